"""Model → Markdown pages and JSON data: pure functions, no files written here.

``render_docs(project)`` returns ``{relative path: text}`` for the whole docs tree; the build
step writes it out and hands it to the site engine.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import jinja2
import markupsafe
import yaml

from .content import Project, model
from .content.contacts import contact_lines
from .content.provenance import MARK, describe_sources, when_text

TEMPLATES = Path(__file__).parent / "templates" / "pages"

KIND_NAMES = {
    "law": "法律", "administrative-regulation": "行政法规", "departmental-rule": "部门规章",
    "normative-document": "规范性文件", "national-standard": "国家标准", "industry-standard": "行业标准",
    "local-standard": "地方标准", "local-policy": "地方政策文件",
}
STATUS_NAMES = {"current": "现行有效", "amended": "已修订", "repealed": "已废止"}


def _yaml_str(value: str) -> str:
    """A one-line YAML scalar for front matter."""
    return json.dumps(str(value), ensure_ascii=False)


def _cell(value) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _unconfirmed(prov: model.Provenance | None) -> bool:
    return prov is not None and not prov.is_confirmed


def page_mark(prov: model.Provenance | None, what: str = "本页内容") -> str:
    """The 待确认 notice under a page heading; empty for confirmed items (and items without one)."""
    if not _unconfirmed(prov):
        return ""
    text = f'<p class="guide-unconfirmed"><strong class="guide-mark">{MARK}</strong> {markupsafe.escape(what)}尚待主管部门确认。'
    if prov.assumed:
        text += f'<br><span class="guide-assumed">编者假设：{markupsafe.escape(prov.assumed)}</span>'
    return text + "</p>"


def inline_mark(prov: model.Provenance | None) -> str:
    """The 待确认 mark after an item in a list or heading; empty for confirmed items."""
    if not _unconfirmed(prov):
        return ""
    text = f' <strong class="guide-mark">{MARK}</strong>'
    if prov.assumed:
        text += f'<span class="guide-assumed">（编者假设：{markupsafe.escape(prov.assumed)}）</span>'
    return text


def clause_refs(project: Project, prov: model.Provenance | None) -> str:
    """依据条款: the clauses and articles an item rests on (no row when there are none)."""
    if prov is None or not any(r.clause or r.article for r in prov.sources):
        return ""
    only = model.Provenance(sources=[r for r in prov.sources if r.clause or r.article])
    return describe_sources(project, only)


def order_key(project: Project):
    """Sort key for services: by their category's place in site.yml, then their code, else the clause
    they come from (7.2.10 after 7.2.9), then id."""
    place = {c.id: i for i, c in enumerate(project.site.categories)} if project.site else {}

    def key(svc: model.Service) -> tuple:
        ref = svc.code or next((r.clause or r.article for r in (svc.provenance.sources if svc.provenance else [])
                                if r.clause or r.article), "")
        parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in str(ref).replace("-", ".").split("."))
        return (place.get(svc.category, len(place)), parts, svc.id)

    return key


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=False, lstrip_blocks=False)
    env.filters["yaml_str"] = _yaml_str
    env.filters["cell"] = _cell
    env.globals["contact_lines"] = contact_lines
    env.globals["page_mark"] = page_mark
    env.globals["inline_mark"] = inline_mark
    env.globals["when_text"] = when_text
    env.globals["notify_labels"] = model.WARNING_NOTIFY_LABELS
    env.globals["channel_labels"] = model.WARNING_CHANNEL_LABELS
    return env


def _render(template: str, **context) -> str:
    text = environment().get_template(template).render(**context)
    # Collapse the runs of blank lines that template control blocks leave behind.
    lines, blank = [], 0
    for line in text.splitlines():
        blank = blank + 1 if not line.strip() else 0
        if blank <= 1:
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


@dataclass
class FlowArt:
    """The drawing of each flow, made once per build and reused on every page that shows it."""

    draw: Callable[[model.Flow], str]

    def __post_init__(self):
        self._cache: dict[str, str] = {}

    def svg(self, flow: model.Flow) -> str:
        if flow.id not in self._cache:
            self._cache[flow.id] = self.draw(flow)
        return self._cache[flow.id]


def flow_block(flow: model.Flow, art: FlowArt, anchor: str = "step", searchable: bool = True) -> str:
    """Diagram + numbered steps. Pages that embed a flow another page owns pass
    ``searchable=False``: the steps stay on the page but are indexed once, on the flow's page."""
    index = {s.id: i for i, s in enumerate(flow.steps, start=1)}
    label = {s.id: s.label for s in flow.steps}
    return _render("flow_block.md.j2", f=flow, svg=art.svg(flow), index=index, label=label, anchor=anchor,
                   searchable=searchable)


def service_jsonld(project: Project, svc: model.Service) -> str:
    site = project.site
    data = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "name": svc.name,
        "alternateName": svc.aliases or None,
        "description": svc.summary,
        "serviceType": project.category(svc.category).name if project.category(svc.category) else None,
        "provider": [{"@type": "Organization", "name": project.providers[p].name}
                     for p in svc.providers if p in project.providers],
        "serviceOperator": {"@type": "GovernmentOrganization", "name": site.publisher},
        "areaServed": site.publisher,
        "isRelatedTo": [{"@type": "Legislation", "name": project.policies[r.id].title,
                         "legislationIdentifier": project.policies[r.id].number}
                        for r in svc.policies if r.id in project.policies] or None,
        "termsOfService": svc.fee.text or ("免费" if svc.fee.free else None),
        "dateModified": str(svc.reviewed),
    }
    if site.url:
        data["url"] = site.url.rstrip("/") + f"/services/{svc.id}/"
    data = {k: v for k, v in data.items() if v is not None}
    # "</" would end the <script> element the JSON sits in.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def render_service(project: Project, svc: model.Service, art: FlowArt) -> str:
    category = project.category(svc.category)
    family = project.family_of(svc.category)
    flow = project.flows.get(svc.flow) if svc.flow else None

    @dataclass
    class Ref:
        policy: model.Policy
        article: str | None

    return _render(
        "service.md.j2", s=svc, site=project.site, category=category, family=family, flow=flow,
        flow_block=flow_block(flow, art, searchable=False) if flow else "",
        providers=[project.providers[p] for p in svc.providers if p in project.providers],
        policy_refs=[Ref(project.policies[r.id], r.article) for r in svc.policies if r.id in project.policies],
        related=[project.services[r] for r in svc.related if r in project.services],
        jsonld=service_jsonld(project, svc), clauses=clause_refs(project, svc.provenance),
    )


def render_notice(project: Project, svc: model.Service) -> str:
    """The printable 一次性告知单 of a service: materials, conditions, time limit, fee, where to go."""
    return _render("notice.md.j2", s=svc, site=project.site,
                   providers=[project.providers[p] for p in svc.providers if p in project.providers])


def render_flow(project: Project, flow: model.Flow, art: FlowArt) -> str:
    return _render("flow.md.j2", f=flow, flow_block=flow_block(flow, art),
                   basis=[project.policies[p] for p in flow.basis if p in project.policies],
                   services=project.services_using_flow(flow.id))


def render_policy(project: Project, policy: model.Policy) -> str:
    @dataclass
    class Citation:
        service: model.Service
        article: str | None

    citing = [Citation(s, next((r.article for r in s.policies if r.id == policy.id), None))
              for s in project.services_citing(policy.id)]
    flows = [f for f in project.flows.values() if policy.id in f.basis]
    return _render("policy.md.j2", p=policy, kind_name=KIND_NAMES[policy.kind],
                   status_name=STATUS_NAMES[policy.status], citing=citing, flows=flows)


def render_family(project: Project, family: model.Category) -> str:
    groups = []
    for cat in [family] + [c for c in project.site.categories if c.parent == family.id]:
        services = [s for s in project.services.values() if s.category == cat.id]
        if services:
            groups.append((cat, sorted(services, key=order_key(project))))
    return _render("family.md.j2", fam=family, groups=groups)


@dataclass
class HandbookLink:
    """What the home page says about the printed handbook: its file, size and date."""

    href: str
    size: str
    date: str


def render_home(project: Project, art: FlowArt, handbook: HandbookLink | None = None) -> str:
    families = [(f, sorted(project.services_in_family(f.id), key=order_key(project)))
                for f in project.families()]
    basic = project.flows.get(project.site.basic_flow) if project.site.basic_flow else None
    popular = [project.services[sid] for sid in project.site.popular if sid in project.services]
    return _render("home.md.j2", site=project.site, families=families, basic_flow=basic, popular=popular,
                   basic_flow_block=flow_block(basic, art, anchor="basic", searchable=False) if basic else "",
                   handbook=handbook)


def render_flows_index(project: Project) -> str:
    flows = [(f, len(project.services_using_flow(f.id))) for f in project.flows.values()]
    return _render("flows_index.md.j2", flows=flows)


def render_policies_index(project: Project) -> str:
    groups = []
    own = [p for p in project.policies.values() if not p.reference]
    for kind, name in KIND_NAMES.items():
        policies = [p for p in own if p.kind == kind]
        if not policies:
            continue
        areas: dict[str, list[model.Policy]] = {}
        for p in sorted(policies, key=lambda p: (p.jurisdiction != "全国", p.jurisdiction, p.number or "", p.id)):
            areas.setdefault(p.jurisdiction, []).append(p)
        groups.append((name, list(areas.items())))
    # 外地经验参考: other jurisdictions' documents, apart from the library, grouped by jurisdiction.
    reference: dict[str, list[model.Policy]] = {}
    for p in sorted((p for p in project.policies.values() if p.reference),
                    key=lambda p: (p.jurisdiction, p.issued or dt.date.min, p.id)):
        reference.setdefault(p.jurisdiction, []).append(p)
    return _render("policies_index.md.j2", groups=groups, count=len(own), status_names=STATUS_NAMES,
                   reference=list(reference.items()))


def render_info(page: model.InfoPage) -> str:
    return _render("info.md.j2", page=page)


def catalog(project: Project) -> dict:
    """Everything a machine needs, in one JSON document (``/data/catalog.json``)."""
    def dump(obj):
        return obj.model_dump(mode="json", exclude_none=True)

    return {
        "site": {"title": project.site.title, "publisher": project.site.publisher,
                 "description": project.site.description, "url": project.site.url},
        "categories": [dump(c) for c in project.site.categories],
        "services": [dict(dump(s), url=f"services/{s.id}/",
                          apply_url=f"/apply/{s.id}" if s.takes_applications else None)
                     for s in sorted(project.services.values(), key=lambda s: s.id)],
        "flows": [dict(dump(f), url=f"flows/{f.id}/") for f in sorted(project.flows.values(), key=lambda f: f.id)],
        "policies": [dict(dump(p), url=f"policies/{p.id}/",
                          cited_by=[s.id for s in project.services_citing(p.id)])
                     for p in sorted(project.policies.values(), key=lambda p: p.id)],
        "providers": [dump(p) for p in project.providers.values()],
    }


def render_docs(project: Project, art: FlowArt, handbook: HandbookLink | None = None) -> dict[str, str]:
    """The whole generated docs tree as {path: text}."""
    docs: dict[str, str] = {"index.md": render_home(project, art, handbook)}
    for fam in project.families():
        docs[f"families/{fam.id}.md"] = render_family(project, fam)
    for svc in project.services.values():
        docs[f"services/{svc.id}.md"] = render_service(project, svc, art)
        docs[f"services/{svc.id}/notice.md"] = render_notice(project, svc)
    docs["flows/index.md"] = render_flows_index(project)
    for flow in project.flows.values():
        docs[f"flows/{flow.id}.md"] = render_flow(project, flow, art)
    docs["policies/index.md"] = render_policies_index(project)
    for policy in project.policies.values():
        docs[f"policies/{policy.id}.md"] = render_policy(project, policy)
    for page in project.site.pages:
        docs[f"about/{page.id}.md"] = render_info(page)
    docs["data/catalog.json"] = json.dumps(catalog(project), ensure_ascii=False, indent=1)
    docs.update(redirect_pages(project))
    return docs


REDIRECT_FOLDERS = {"service": "services", "flow": "flows", "policy": "policies"}


def redirect_pages(project: Project) -> dict[str, str]:
    """A small HTML page at each renamed page's old address that sends the reader on (relative
    links, so it works wherever the site is mounted)."""
    pages = {}
    for r in project.redirects:
        folder = REDIRECT_FOLDERS[r.kind]
        target = f"../{r.new}/"
        pages[f"{folder}/{r.old}/index.html"] = (
            "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
            f"<title>本页已迁移</title><meta http-equiv=\"refresh\" content=\"0; url={target}\">"
            f"<link rel=\"canonical\" href=\"{target}\"><meta name=\"robots\" content=\"noindex\"></head>"
            f"<body><p>本页已迁移至<a href=\"{target}\">新地址</a>。</p></body></html>\n")
    return pages


NAV_SERVICES_LIMIT = 120


def nav(project: Project) -> list:
    """The site navigation, in the order a reader expects.

    Up to NAV_SERVICES_LIMIT services are listed in the sidebar under their family; beyond
    that the sidebar lists families only (each family page lists its services), since a
    sidebar of hundreds of entries helps no reader and Material renders it on every page.
    """
    families = [{f.name: f"families/{f.id}.md"} for f in project.families()]
    services = []
    for fam in project.families():
        items = [f"services/{s.id}.md" for s in sorted(project.services_in_family(fam.id), key=order_key(project))]
        if len(project.services) > NAV_SERVICES_LIMIT:
            items = []
        services.append({fam.name: [f"families/{fam.id}.md"] + items})
    flows = ["flows/index.md"] + [f"flows/{f.id}.md" for f in project.flows.values()]
    policies = ["policies/index.md"] + [f"policies/{p.id}.md" for p in sorted(
        project.policies.values(), key=lambda p: (list(KIND_NAMES).index(p.kind), p.id))]
    about = [f"about/{p.id}.md" for p in project.site.pages]
    out = [{"首页": "index.md"}, {"服务事项": services or families}, {"办理流程": flows}, {"政策法规": policies}]
    if about:
        out.append({"服务监督": about})
    return out


def dump_nav(project: Project) -> str:
    return yaml.safe_dump(nav(project), allow_unicode=True)
