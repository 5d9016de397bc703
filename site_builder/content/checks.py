"""Checks that look across files: references, flows, dates and placeholders."""
from __future__ import annotations

import datetime as dt
from collections import deque
from typing import Any, Iterable

from . import model, provenance
from .diagnostics import closest
from .project import Project
from .yamlsrc import Source, leaves

STALE_AFTER_DAYS = 365


# Which file defines each kind of reference: ("site", "site") for categories, ...
_DEFINED_IN = {"category": ("site", None), "provider": ("providers", None), "policy": ("policy", ""),
               "flow": ("flow", ""), "related service": ("service", "")}


def _ref(project: Project, src: Source, loc: tuple, value: str, known: Iterable[str], what: str, where: str):
    known = list(known)
    if value in known:
        return
    kind, per_file = _DEFINED_IN.get(what, (None, None))
    if kind and ((kind, kind) in project.failed if per_file is None else (kind, str(value)) in project.failed):
        return  # the file that defines it is broken: that file's own error is the one to fix
    guess = closest(value, known)
    hint = f"did you mean '{guess}'?" if guess else f"add it to {where} or fix the id"
    project.diagnostics.append(src.diag(loc, f"unknown {what} '{value}'", hint))


def check_flow(project: Project, flow: model.Flow, src: Source) -> None:
    steps = {s.id: s for s in flow.steps}
    seen: set[str] = set()
    for i, step in enumerate(flow.steps):
        loc = ("steps", i)
        if step.id in seen:
            project.diagnostics.append(src.diag(loc + ("id",), f"duplicate step id '{step.id}'",
                                                "give every step its own id"))
        seen.add(step.id)
        if step.actor is not None and step.actor not in flow.actors:
            guess = closest(step.actor, flow.actors)
            project.diagnostics.append(src.diag(loc + ("actor",), f"undeclared actor '{step.actor}'",
                                                f"did you mean '{guess}'?" if guess else
                                                "add it to 'actors' at the top of the flow"))
        if step.kind == "decision" and len(step.branches) < 2:
            project.diagnostics.append(src.diag(loc, f"decision '{step.id}' has {len(step.branches)} branch(es)",
                                                "a decision needs at least two 'branches' (when/next)"))
        if step.kind != "decision" and step.branches and step.next:
            project.diagnostics.append(src.diag(loc, f"step '{step.id}' has both 'next' and 'branches'",
                                                "keep one of them"))
        if step.kind != "end" and not step.next and not step.branches:
            project.diagnostics.append(src.diag(loc, f"step '{step.id}' leads nowhere",
                                                "add 'next: <step id>' or make it 'kind: end'"))
        targets = [("next",)] if step.next else []
        targets += [("branches", j, "next") for j in range(len(step.branches))]
        for t in targets:
            target = step.next if t == ("next",) else step.branches[t[1]].next
            if target not in steps:
                guess = closest(target, steps)
                project.diagnostics.append(src.diag(loc + t, f"step '{step.id}' points to unknown step '{target}'",
                                                    f"did you mean '{guess}'?" if guess else "use the id of a step of this flow"))
    first = flow.steps[0]
    if first.kind != "start":
        project.diagnostics.append(src.diag(("steps", 0, "kind"), f"the first step '{first.id}' is not the start",
                                            "put the 'kind: start' step first"))
    # Reachability from the start.
    reached, queue = {first.id}, deque([first.id])
    while queue:
        step = steps[queue.popleft()]
        for target in ([step.next] if step.next else []) + [b.next for b in step.branches]:
            if target in steps and target not in reached:
                reached.add(target)
                queue.append(target)
    for i, step in enumerate(flow.steps):
        if step.id not in reached:
            project.diagnostics.append(src.diag(("steps", i), f"step '{step.id}' is unreachable from the start",
                                                "point a 'next' or a branch of an earlier step at it, or delete it"))
    if not any(steps[s].kind == "end" for s in reached):
        project.diagnostics.append(src.diag(("steps",), f"flow '{flow.id}' has no reachable end",
                                            "add a step with 'kind: end' and lead a path to it"))
    for i, pid in enumerate(flow.basis):
        _ref(project, src, ("basis", i), pid, project.policies, "policy", "content/policies/")
    if flow.warnings:
        check_warning_levels(project, flow.warnings, src)
        for key in ("application", "measuring_application"):
            sid = getattr(flow.warnings, key)
            if not sid:
                continue
            _ref(project, src, ("warnings", key), sid, project.services, "service", "content/services/")
            svc = project.services.get(sid)
            if svc is not None and not svc.takes_applications:
                project.diagnostics.append(src.diag(("warnings", key), f"service '{sid}' takes no online applications",
                                                    "name a service with 'application: {enabled: true}'"))
        others = [f for f in project.flows.values() if f.warnings and f.id != flow.id]
        if others and others[0].id < flow.id:
            project.diagnostics.append(src.diag(("warnings",), f"flow '{others[0].id}' already has the guide's 'warnings'",
                                                "keep the warning levels in one flow"))


def check_warning_levels(project: Project, plan: model.WarningPlan, src: Source) -> None:
    """Levels numbered 1, 2, 3 ..., each starting closer to the due date than the one before, the
    last no later than ``deadline_months`` before it (特种设备安全法 asks for the request a month ahead)."""
    def at(i: int, lv: model.WarningLevel) -> tuple:
        return ("warnings", "levels", i, "days_before" if lv.days_before is not None else "months_before")
    for i, lv in enumerate(plan.levels):
        if lv.level != i + 1:
            project.diagnostics.append(src.diag(("warnings", "levels", i, "level"),
                                                f"level {lv.level} is number {i + 1} in the list",
                                                "number the levels 1, 2, 3 ... in order, earliest first"))
        if i and lv.max_days >= plan.levels[i - 1].min_days:
            project.diagnostics.append(src.diag(at(i, lv), f"level {lv.level} must start closer to the due date "
                                                           f"than level {plan.levels[i - 1].level}",
                                                "give it fewer days (or months) before the due date"))
    last = plan.levels[-1]
    if (last.months_before or 0) < plan.deadline_months and last.min_days < 31 * plan.deadline_months:
        project.diagnostics.append(src.diag(
            at(len(plan.levels) - 1, last),
            f"the last level (level {last.level}) must start no later than {plan.deadline_months} month(s) before "
            f"the due date (the legal request deadline)",
            f"write 'months_before: {plan.deadline_months}' or at least 'days_before: {31 * plan.deadline_months}'"))


def check_service(project: Project, svc: model.Service, src: Source) -> None:
    cats = [c.id for c in project.site.categories] if project.site else []
    _ref(project, src, ("category",), svc.category, cats, "category", "site.yml 'categories'")
    for i, pid in enumerate(svc.providers):
        _ref(project, src, ("providers", i), pid, project.providers, "provider", "content/providers.yml")
    for i, ref in enumerate(svc.policies):
        _ref(project, src, ("policies", i, "id"), ref.id, project.policies, "policy", "content/policies/")
    if svc.flow:
        _ref(project, src, ("flow",), svc.flow, project.flows, "flow", "flows/")
    for i, rid in enumerate(svc.related):
        if rid == svc.id:
            project.diagnostics.append(src.diag(("related", i), "a service cannot be related to itself",
                                                "remove this entry"))
        else:
            _ref(project, src, ("related", i), rid, project.services, "related service", "content/services/")
    if svc.takes_applications and svc.time_limit.days is None:
        # Without days the backend has no due date: the overdue filter and the on-time statistics
        # say nothing about this service ("办事指南未规定办理天数").
        project.diagnostics.append(src.diag(
            ("time_limit",), f"service '{svc.id}' takes online applications but its time limit has no 'days'",
            "add 'days: N' to time_limit once the bureau confirms it; until then its cases have no due "
            "date and the statistics count them apart", severity="warning"))
    for i, m in enumerate(svc.materials):
        for key in ("template", "sample"):
            name = getattr(m, key)
            if name and not (project.content_dir / "files" / name).exists():
                project.diagnostics.append(src.diag(("materials", i, key), f"{key} file '{name}' not found",
                                                    f"put the file under content/files/ or remove '{key}'"))
    if svc.application and svc.application.enabled:
        check_form(project, svc, src)


def check_form(project: Project, svc: model.Service, src: Source) -> None:
    """The guide and the online form agree: required materials are required uploads (unless the
    YAML says why not), and conditional questions point at an earlier choice and one of its options."""
    fields = svc.application.fields
    by_id = {f.id: (j, f) for j, f in enumerate(fields)}
    files = [f.id for f in fields if f.type == "file"]
    for i, m in enumerate(svc.materials):
        if m.upload:
            if m.upload not in by_id or by_id[m.upload][1].type != "file":
                guess = closest(m.upload, files)
                project.diagnostics.append(src.diag(
                    ("materials", i, "upload"), f"material '{m.name}' names upload field '{m.upload}', "
                    "which is not a file field of the form",
                    f"did you mean '{guess}'?" if guess else "use the id of a 'type: file' field of 'application'"))
                continue
            j, f = by_id[m.upload]
            if m.required and "required" in f.model_fields_set and not f.required:
                project.diagnostics.append(src.diag(
                    ("application", "fields", j, "required"),
                    f"the guide lists '{m.name}' as required, but its upload '{f.id}' is optional",
                    "remove 'required: false' (the upload follows the material), or make the material "
                    "'required: false'"))
        elif m.required and not m.no_upload:
            project.diagnostics.append(src.diag(
                ("materials", i), f"required material '{m.name}' has no upload in the online form",
                "link its file field with 'upload: <field id>', or say why not with 'no_upload: <reason>'",
                severity="warning"))
    for j, f in enumerate(fields):
        if f.show_if is None:
            continue
        target = by_id.get(f.show_if.field)
        if target is None or target[0] >= j or target[1].type not in ("select", "radio", "checkbox"):
            project.diagnostics.append(src.diag(
                ("application", "fields", j, "show_if", "field"),
                f"'show_if' of '{f.id}' points at '{f.show_if.field}', which is not an earlier choice question",
                "name a select, radio or checkbox field above this one"))
        elif f.show_if.value not in [o.value for o in target[1].options]:
            values = [o.value for o in target[1].options]
            guess = closest(f.show_if.value, values)
            project.diagnostics.append(src.diag(
                ("application", "fields", j, "show_if", "value"),
                f"'{f.show_if.value}' is not an option of '{f.show_if.field}'",
                f"did you mean '{guess}'?" if guess else "use one of: " + ", ".join(values)))


def check_record_kinds(project: Project, src: Source) -> None:
    """site.yml ``record_kinds``: new ids and names (not the fixed kinds' either), each counted as
    one of the fixed kinds in the yearly evaluation."""
    fixed = model.RECORD_KIND_LABELS
    ids: set[str] = set()
    names: set[str] = set()
    for i, kind in enumerate(project.site.record_kinds):
        if kind.id in fixed or kind.id in ids:
            project.diagnostics.append(src.diag(
                ("record_kinds", i, "id"), f"record kind id '{kind.id}' is already "
                + ("a fixed kind" if kind.id in fixed else "used above"), "give this kind an id of its own"))
        if kind.name in fixed.values() or kind.name in names:
            project.diagnostics.append(src.diag(
                ("record_kinds", i, "name"), f"record kind name '{kind.name}' is already "
                + ("a fixed kind" if kind.name in fixed.values() else "used above"),
                "use the fixed kind itself, or give this kind a name of its own"))
        if kind.counts_as not in fixed:
            by_label = {v: k for k, v in fixed.items()}
            guess = by_label.get(kind.counts_as) or closest(kind.counts_as, list(fixed))
            project.diagnostics.append(src.diag(
                ("record_kinds", i, "counts_as"), f"'counts_as: {kind.counts_as}' is not a fixed record kind",
                f"did you mean '{guess}'?" if guess else "use one of: " + ", ".join(fixed)))
        ids.add(kind.id)
        names.add(kind.name)


def check_dates(project: Project, obj: Any, src: Source, today: dt.date) -> None:
    reviewed = getattr(obj, "reviewed", None)
    if reviewed is None:
        return
    if reviewed > today:
        project.diagnostics.append(src.diag(("reviewed",), f"review date {reviewed} is in the future",
                                            "use the day the content was actually checked"))
    elif (today - reviewed).days > STALE_AFTER_DAYS:
        project.diagnostics.append(src.diag(("reviewed",), f"content last reviewed on {reviewed}, over a year ago",
                                            "check the facts again and update 'reviewed'", severity="warning"))


def check_placeholders(project: Project, src: Source) -> None:
    for loc, value in leaves(src.data):
        if isinstance(value, str) and model.PLACEHOLDER in value:
            project.diagnostics.append(src.diag(loc, f"placeholder in '{loc[-1] if loc else ''}': {value}",
                                                "replace it with the confirmed value", severity="warning"))


def check_redirects(project: Project) -> None:
    src = project.source("redirects", "redirects")
    if src is None:
        return
    existing = {"service": project.services, "flow": project.flows, "policy": project.policies}
    for i, r in enumerate(project.redirects):
        if r.old in existing[r.kind]:
            project.diagnostics.append(src.diag(("redirects", i, "old"),
                                                f"redirect from {r.kind} '{r.old}', which exists again",
                                                "remove this redirect, or rename the new file"))
        _ref(project, src, ("redirects", i, "new"), r.new, existing[r.kind], r.kind, f"the {r.kind}s")


def page_url(ref: str) -> str:
    """A best bet's page reference as a site path: services/x -> services/x/, home -> ''."""
    path, _, anchor = ref.strip().partition("#")
    path = path.strip("/")
    url = "" if path in ("", "home") else path + "/"
    return url + (f"#{anchor}" if anchor else "")


def check_search(project: Project, src: Source) -> None:
    """Every best bet points at a page the guide has."""
    known = {"": True}
    known.update({f"services/{k}/": True for k in project.services})
    known.update({f"policies/{k}/": True for k in project.policies})
    known.update({f"flows/{k}/": True for k in project.flows})
    if project.site:
        known.update({f"families/{c.id}/": True for c in project.families()})
        known.update({f"about/{p.id}/": True for p in project.site.pages})
    for i, bet in enumerate(project.search.best_bets):
        for j, ref in enumerate(bet.pages):
            url = page_url(ref).partition("#")[0]
            if url not in known:
                guess = closest(url, known)
                hint = (f"did you mean '{guess.rstrip('/') or 'home'}'?" if guess else
                        "write services/<id>, policies/<id>, flows/<id>, families/<id>, about/<id> or home")
                project.diagnostics.append(src.diag(("best_bets", i, "pages", j), f"unknown page '{ref}'", hint))


def check_project(project: Project, today: dt.date | None = None) -> None:
    from .links import check_links
    from .siteconfig import load as load_site_config

    today = today or dt.date.today()
    check_links(project)
    project.diagnostics.extend(load_site_config(project.root)[1])
    site_src = project.source("site", "site")
    if project.site and site_src:
        ids = [c.id for c in project.site.categories]
        for i, cat in enumerate(project.site.categories):
            if ids.count(cat.id) > 1 and ids.index(cat.id) != i:
                project.diagnostics.append(site_src.diag(("categories", i, "id"), f"duplicate id '{cat.id}'",
                                                         "category ids must be unique"))
            if cat.parent:
                _ref(project, site_src, ("categories", i, "parent"), cat.parent, ids, "category", "site.yml")
        names = [c.name for c in project.site.contacts]
        for i, name in enumerate(project.site.footer_contacts):
            if name not in names:
                guess = closest(name, names)
                project.diagnostics.append(site_src.diag(
                    ("footer_contacts", i), f"footer contact '{name}' is not one of 'contacts'",
                    f"did you mean '{guess}'?" if guess else "use the 'name' of an entry of 'contacts'"))
        if project.site.basic_flow:
            _ref(project, site_src, ("basic_flow",), project.site.basic_flow, project.flows, "flow", "flows/")
        for i, sid in enumerate(project.site.popular):
            _ref(project, site_src, ("popular", i), sid, project.services, "service", "content/services/")
        check_record_kinds(project, site_src)
        check_dates(project, project.site, site_src, today)
    check_redirects(project)
    codes: dict[str, str] = {}
    for (kind, key), src in list(project.sources.items()):
        check_placeholders(project, src)
        if kind == "flow":
            check_flow(project, project.flows[key], src)
            check_dates(project, project.flows[key], src, today)
        elif kind == "search":
            check_search(project, src)
        elif kind == "policy":
            check_dates(project, project.policies[key], src, today)
        elif kind == "service":
            svc = project.services[key]
            check_service(project, svc, src)
            check_dates(project, svc, src, today)
            if svc.code:
                if svc.code in codes:
                    project.diagnostics.append(src.diag(("code",), f"code '{svc.code}' is also used by '{codes[svc.code]}'",
                                                        "service codes must be unique"))
                codes[svc.code] = svc.id
    project.diagnostics.extend(provenance.check(project, today))
    project.diagnostics.extend(provenance.check_library(project))
