"""Provenance: where every item of a guide comes from, and what is still unconfirmed.

Services, flows, policies, providers, the site and its info pages must each carry a
``provenance`` block (sources or an assumption); flow steps, page sections, contacts,
supervision channels and platforms may carry their own when they add something their parent's
source does not say. An item without ``confirmed`` is unconfirmed (待确认): that is the default.

``items(project)`` lists every item with its own provenance; ``unconfirmed(project)`` lists what
an editor still has to get confirmed (unconfirmed items and 【待补充】 placeholders), each with
its file and line, for ``guide check``, ``guide review``, ``guide build --publish`` and the marks
on the site.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from . import model
from .diagnostics import Diagnostic, closest
from .yamlsrc import Source, leaves

if TYPE_CHECKING:
    from .project import Project

DRAFT_LABEL = "征求意见稿"
MARK = "待确认"

KIND_NAMES = {"site": "指南", "page": "说明页", "section": "说明页段落", "contact": "联系方式",
              "supervision": "监督渠道", "platform": "服务平台", "provider": "服务机构", "policy": "政策法规",
              "flow": "办理流程", "step": "流程步骤", "warning_level": "预警级别", "service": "服务事项", "placeholder": "待补充内容"}

# What each kind of item is called in messages, and whether it must carry provenance itself.
REQUIRED = ("site", "page", "provider", "policy", "flow", "service")


@dataclass(frozen=True)
class Item:
    """One fact-bearing item of the guide, where it sits, and what it rests on."""

    kind: str
    key: str              # e.g. the service id, "flow-id#step-id", "site.pages[0].sections[1]"
    statement: str        # what the item says, in one line
    path: str             # file as editors see it
    line: int
    provenance: model.Provenance | None
    source_text: str = ""  # its sources, spelled out
    placeholder: bool = False

    @property
    def is_confirmed(self) -> bool:
        return not self.placeholder and self.provenance is not None and self.provenance.is_confirmed

    @property
    def assumption(self) -> str:
        return (self.provenance.assumed or "") if self.provenance else ""

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def source(self) -> str:
        """Its source or assumption, as one line for a worksheet."""
        parts = []
        if self.source_text:
            parts.append(self.source_text)
        if self.assumption:
            parts.append("编者假设：" + self.assumption)
        return "；".join(parts)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _one_line(text: str | None, limit: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_sources(project: "Project", prov: model.Provenance | None) -> str:
    """The sources of ``prov`` spelled out for readers: titles with clauses or articles."""
    if prov is None:
        return ""
    docs = {d.id: d for d in project.site.documents} if project.site else {}
    grouped: dict[str, list[str]] = {}
    for ref in prov.sources:
        if ref.doc:
            title, part = (docs[ref.doc].title if ref.doc in docs else ref.doc), ref.clause
        else:
            pol = project.policies.get(ref.policy)
            title = (f"《{pol.title}》" + (f"（{pol.number}）" if pol.number else "")) if pol else ref.policy
            part = ref.article
        parts = grouped.setdefault(title, [])
        if part and part not in parts:
            parts.append(part)
    return "；".join(f"{title} {'、'.join(parts)}" if parts else title for title, parts in grouped.items())


def _walk(project: "Project") -> Iterator[tuple[str, str, str, Source, tuple, Any, bool]]:
    """(kind, key, statement, source file, location, object, required) for every item."""
    site, src = project.site, project.source("site", "site")
    if site and src:
        yield "site", "site", site.title, src, (), site, True
        for i, c in enumerate(site.contacts):
            yield "contact", f"site.contacts[{i}]", _one_line(f"{c.name}：{c.note or ''}"), src, ("contacts", i), c, False
        for i, c in enumerate(site.supervision):
            yield ("supervision", f"site.supervision[{i}]", _one_line(f"{c.name}：{c.note or ''}"), src,
                   ("supervision", i), c, False)
        for i, p in enumerate(site.platforms):
            yield "platform", f"site.platforms[{i}]", _one_line(f"{p.name}：{p.summary}"), src, ("platforms", i), p, False
        for i, page in enumerate(site.pages):
            yield "page", f"site.pages[{i}]", page.title, src, ("pages", i), page, True
            for j, sec in enumerate(page.sections):
                yield ("section", f"site.pages[{i}].sections[{j}]", _one_line(f"{page.title} · {sec.title}：{sec.text}"),
                       src, ("pages", i, "sections", j), sec, False)
    psrc = project.source("providers", "providers")
    if psrc:
        for i, prov in enumerate(project.providers.values()):
            yield "provider", prov.id, _one_line(f"{prov.name}：{prov.summary}"), psrc, ("providers", i), prov, True
    for pid, pol in project.policies.items():
        s = project.source("policy", pid)
        if s:
            yield "policy", pid, pol.title + (f"（{pol.number}）" if pol.number else ""), s, (), pol, True
    for fid, flow in project.flows.items():
        s = project.source("flow", fid)
        if not s:
            continue
        yield "flow", fid, flow.title, s, (), flow, True
        for i, step in enumerate(flow.steps):
            text = f"{flow.title} · {step.label}" + (f"（{step.duration}）" if step.duration else "")
            if step.note:
                text += f"：{step.note}"
            yield "step", f"{fid}#{step.id}", _one_line(text), s, ("steps", i), step, False
        if flow.warnings:
            for i, lv in enumerate(flow.warnings.levels):
                yield ("warning_level", f"{fid}#level{lv.level}", _one_line(f"{flow.title} · {lv.name}：{when_text(lv)}"),
                       s, ("warnings", "levels", i), lv, False)
    for sid, svc in project.services.items():
        s = project.source("service", sid)
        if s:
            yield "service", sid, _one_line(f"{svc.name}：{svc.summary}"), s, (), svc, True


def when_text(level: model.WarningLevel) -> str:
    """When a warning level starts, in words: 到期前 90 天 / 到期前 1 个月."""
    return f"到期前 {level.days_before} 天" if level.days_before else f"到期前 {level.months_before} 个月"


def items(project: "Project") -> list[Item]:
    """Every item that carries its own provenance (or must, and does not)."""
    out, shown = [], {}  # a file's display path is worked out once (it resolves the path)
    for kind, key, statement, src, loc, obj, required in _walk(project):
        prov = getattr(obj, "provenance", None)
        if prov is None and not required:
            continue  # it rests on its parent's provenance
        line, _ = src.where(loc + ("provenance",) if prov is not None else loc)
        path = shown.setdefault(id(src), src.display)
        out.append(Item(kind, key, statement, path, line, prov, describe_sources(project, prov)))
    return out


def _placeholders(project: "Project") -> list[Item]:
    out = []
    for (_kind, _key), src in project.sources.items():
        display = None
        for loc, value in leaves(src.data):
            if isinstance(value, str) and model.PLACEHOLDER in value:
                field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
                line, _ = src.where(loc)
                display = display or src.display
                out.append(Item("placeholder", f"{display}:{'.'.join(map(str, loc))}",
                                _one_line(f"{field}: {value}"), display, line, None, placeholder=True))
    return out


def unconfirmed(project: "Project") -> list[Item]:
    """What keeps the guide from being published: unconfirmed items and placeholders, by file and line."""
    found = [i for i in items(project) if i.provenance is not None and not i.is_confirmed]
    found += _placeholders(project)
    return sorted(found, key=lambda i: (i.path, i.line, i.kind))


def edition_line(project: "Project", date: dt.date | None = None) -> str | None:
    """``征求意见稿（YYYY-MM-DD）`` while anything is unconfirmed, else None (the published edition)."""
    if not unconfirmed(project):
        return None
    return f"{DRAFT_LABEL}（{(date or dt.date.today()).isoformat()}）"


def check(project: "Project", today: dt.date) -> list[Diagnostic]:
    """Provenance errors: a required item without one, a source that does not exist, a future date."""
    diags: list[Diagnostic] = []
    docs = [d.id for d in project.site.documents] if project.site else []

    for kind, key, _statement, src, loc, obj, required in _walk(project):
        prov = getattr(obj, "provenance", None)
        if prov is None:
            if required:
                diags.append(src.diag(loc, f"{kind} '{key}' does not say where it comes from",
                                      "add 'provenance:' with 'sources' (doc + clause, or policy + article) "
                                      "or 'assumed: <one-line reason>' (see content/_example)"))
            continue
        for i, ref in enumerate(prov.sources):
            ref_loc = loc + ("provenance", "sources", i)
            # A site.yml or policy file that does not parse is the one error to fix (no cascade).
            if ref.doc and ref.doc not in docs and ("site", "site") not in project.failed:
                guess = closest(ref.doc, docs)
                diags.append(src.diag(ref_loc + ("doc",), f"unknown source document '{ref.doc}'",
                                      f"did you mean '{guess}'?" if guess else "list it under 'documents' in site.yml"))
            if ref.policy and ref.policy not in project.policies and ("policy", ref.policy) not in project.failed:
                guess = closest(ref.policy, project.policies)
                diags.append(src.diag(ref_loc + ("policy",), f"unknown policy '{ref.policy}'",
                                      f"did you mean '{guess}'?" if guess else "add it to content/policies/ or fix the id"))
        if prov.confirmed and prov.confirmed.date > today:
            diags.append(src.diag(loc + ("provenance", "confirmed", "date"),
                                  f"confirmation date {prov.confirmed.date} is in the future",
                                  "use the day the department actually confirmed it"))
    return diags


def check_library(project: "Project") -> list[Diagnostic]:
    """外地经验参考 documents stay apart: cited by no service or flow, and marked when foreign."""
    diags: list[Diagnostic] = []
    for sid, svc in project.services.items():
        src = project.source("service", sid)
        for i, ref in enumerate(svc.policies):
            pol = project.policies.get(ref.id)
            if pol is not None and pol.reference and src:
                diags.append(src.diag(("policies", i, "id"),
                                      f"'{ref.id}' is a 外地经验参考 document of {pol.jurisdiction}, not a basis of this guide's services",
                                      "cite a policy that applies here, or remove this entry"))
    for fid, flow in project.flows.items():
        src = project.source("flow", fid)
        for i, pid in enumerate(flow.basis):
            pol = project.policies.get(pid)
            if pol is not None and pol.reference and src:
                diags.append(src.diag(("basis", i), f"'{pid}' is a 外地经验参考 document of {pol.jurisdiction}, not a basis of this flow",
                                      "cite a policy that applies here, or remove this entry"))
    own = project.site.jurisdictions if project.site else []
    if own:
        for pid, pol in project.policies.items():
            src = project.source("policy", pid)
            if src and not pol.reference and pol.jurisdiction not in own:
                diags.append(src.diag(("jurisdiction",),
                                      f"a document of {pol.jurisdiction} is not among this guide's jurisdictions ({'、'.join(own)})",
                                      "mark it 'reference: true' (外地经验参考) or add the jurisdiction to 'jurisdictions' in site.yml"))
    return diags


def by_file(found: list[Item]) -> list[tuple[str, int, int]]:
    """(file, unconfirmed items, placeholders) per file, for the summary of ``guide check``."""
    counts: dict[str, list[int]] = {}
    for item in found:
        c = counts.setdefault(item.path, [0, 0])
        c[1 if item.placeholder else 0] += 1
    return [(path, c[0], c[1]) for path, c in sorted(counts.items())]
