"""Model → the handbook as one HTML document (pure functions; nothing is written here).

Each service chapter is the service's web page itself: the Markdown that ``render.py`` makes
for the site is converted here with the site's own Markdown extensions, so the handbook lists
the 办事指南 sections in exactly the order and words of the web page. Web-only parts are
adapted for paper on the way: links to other pages become references to the handbook's own
pages (with their page numbers), the 在线申请 buttons give way to QR codes, headings move one
level down under the family chapter, and every id is made unique within the book.
"""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urljoin

import jinja2
from markupsafe import Markup, escape
import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from ..content import model
from ..errors import HandbookError
from ..content import Project
from ..render import (KIND_NAMES, STATUS_NAMES, FlowArt, contact_lines, flow_block, inline_mark, order_key,
                      page_mark, render_service)
from .qr import qr_data_uri

TEMPLATES = Path(__file__).resolve().parent / "templates"
MARKDOWN_EXTENSIONS = ["tables", "attr_list", "md_in_html", "admonition"]

# Colours for the printed diagrams: light tints that stay distinct in greyscale.
FLOW_PRINT_STYLE = """<style>
text { font-family: "Noto Sans CJK SC"; fill: #000; }
.node polygon, .node path, .node ellipse { fill: #ffffff; stroke: #1f2d5a; }
.flow-start path, .flow-start polygon, .flow-end path, .flow-end polygon { fill: #e3e8f4; }
.flow-decision polygon { fill: #f3f3f3; }
.edge path { stroke: #333; fill: none; }
.edge polygon { stroke: #333; fill: #333; }
</style>"""


@dataclass
class Entry:
    """One line of the 目录 and one PDF bookmark."""

    level: int
    title: str
    anchor: str
    children: list["Entry"] = field(default_factory=list)


@dataclass
class Part:
    """A run of the book: the overview, a chapter's or category's heading, a service, an appendix.

    ``newpage``: it starts a page (CSS class hb-newpage), so the book can be cut before it.
    ``chapter``: the running header's chapter on its first page.
    """

    macro: str
    newpage: bool
    chapter: str
    args: dict


@dataclass
class Book:
    """The handbook: a front (cover + 目录) and the parts after it, each rendered on demand.

    ``html`` is the whole book as one document; ``front()`` and ``part_html()`` give its pieces
    for typesetting the book in parts (``parallel.py``).
    """

    flows: dict[str, bytes]  # flow id -> standalone print SVG, fetched as flow:<id>
    toc: list[Entry]
    qr_codes: bool
    parts: list[Part]
    links: "Links"
    shell: dict  # what the document shell and the cover need
    strings: dict[str, str]  # the running header's strings (book title, edition mark)

    def part_html(self, index: int) -> str:
        part = self.parts[index]
        args = dict(part.args)
        if part.macro == "service":
            args["body"] = Markup(page_html(once_per_book(args.pop("page")(), args.pop("flow"), args.pop("flow_place")),
                                            self.links, f"s-{args['s'].id}"))
            args["urls"] = service_urls(self.links.project, args["s"], self.links.base_url)
        elif part.macro == "overview":
            basic = args["basic_flow"]
            args["basic_flow_html"] = Markup(page_html(flow_block(basic, FlowArt(flow_image), anchor="basic",
                                                                  searchable=False), self.links, "overview")
                                             if basic else "")
        return str(getattr(_parts(), part.macro)(**args))

    def front(self, numbers: dict[str, int] | None = None) -> str:
        """The cover and the 目录; ``numbers`` (anchor -> page) printed as given, else counted."""
        shell = self.shell
        parts = _parts()
        return (str(parts.cover(shell["site"], shell["date"], shell["edition"], shell["edition_mark"]))
                + str(parts.contents(self.toc, numbers)))

    def document(self, body: str, extra_css: str = "", css: str | None = None) -> str:
        """``body`` in the book's HTML shell, with the book's stylesheet (or ``css``) and ``extra_css``."""
        css = (TEMPLATES / "handbook.css").read_text(encoding="utf-8") if css is None else css
        return environment().get_template("handbook.html.j2").render(
            body=Markup(body), extra_css=extra_css, css=css,
            **{k: self.shell[k] for k in ("site", "date")})

    @property
    def html(self) -> str:
        """The whole book as one HTML document."""
        return self.document(self.front() + "".join(self.part_html(i) for i in range(len(self.parts))))


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十 (chapter numbers; up to 99)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    if n >= 100:
        return str(n)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


# ---------------------------------------------------------------- flow drawings for print

def print_svg(flow_id: str, web_svg: str) -> bytes:
    """The site's inline Graphviz SVG made a standalone, print-coloured SVG document.

    Raises ``HandbookError`` when the drawing is not well-formed SVG, so a broken diagram
    stops the handbook with the flow's name instead of leaving a blank space on the page.
    """
    svg = web_svg.strip()
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise HandbookError(f"flow '{flow_id}': its diagram is not valid SVG ({exc}); "
                            f"check flows/{flow_id}.yml and that Graphviz works ('dot -V')") from None
    if root.tag != "{http://www.w3.org/2000/svg}svg" or not root.get("viewBox"):
        raise HandbookError(f"flow '{flow_id}': its diagram is not an SVG drawing with a viewBox "
                            f"(got <{root.tag}>); check that Graphviz works ('dot -V')")
    width, height = (float(v) for v in root.get("viewBox").split()[2:4])
    # Graphviz sizes in points; give the image its natural size, the stylesheet caps the width.
    svg = re.sub(r"^<svg\b", f'<svg width="{width:.1f}pt" height="{height:.1f}pt"', svg, count=1)
    svg = re.sub(r'\sstyle="max-width:[^"]*"', "", svg, count=1)
    svg = re.sub(r"(<svg\b[^>]*>)", r"\1" + FLOW_PRINT_STYLE.replace("\\", "\\\\"), svg, count=1)
    return svg.encode("utf-8")


_FLOW_BLOCK = re.compile(r'<figure class="guide-flow".*?</ol>', re.S)


def once_per_book(page: str, flow: model.Flow | None, place: str | None) -> str:
    """The first page that shows a flow keeps its diagram and steps; later ones refer to it.

    ``place`` says, in words, where the book already shows ``flow`` (服务概述, 第二章“…”), or is
    None if this page is the first. The reference names the place instead of printing its page
    number: a page number (CSS ``target-counter``) makes WeasyPrint lay every referring page out
    again, which at 1,000 services cost a third of the typesetting time. The 目录 gives the
    place's page.
    """
    if flow is None or place is None:
        return page
    ref = (f'<p class="hb-flow-ref">本事项按“{escape(flow.title)}”办理，流程图和办理步骤见'
           f'<a class="hb-ref" href="#flow-{flow.id}">{escape(place)}</a>。</p>')
    page, found = _FLOW_BLOCK.subn(ref, page, count=1)
    if not found:
        raise HandbookError(f"flow '{flow.id}': the web page template no longer has the diagram block "
                            f"the handbook replaces (site_builder/templates/pages/flow_block.md.j2)")
    return page


def flow_image(flow: model.Flow) -> str:
    return (f'<img class="hb-flow-img" id="flow-{flow.id}" src="flow:{flow.id}" alt="{escape(flow.title)}流程图">')


# ---------------------------------------------------------------- web Markdown → print HTML

class PrintLinks(Treeprocessor):
    """Rewrites one page's element tree for the book (see the module docstring)."""

    def __init__(self, md, book: "Links", page_id: str):
        super().__init__(md)
        self.book = book
        self.page_id = page_id

    def run(self, root):
        parents = {child: parent for parent in root.iter() for child in parent}
        for el in list(root.iter()):
            if el.tag in ("h1", "h2", "h3", "h4") and el in parents:
                if el.tag == "h1":
                    parents[el].remove(el)  # the book prints its own title block
                    continue
                el.tag = f"h{int(el.tag[1]) + 1}"
            if el.tag != "a" or el not in parents:
                continue
            classes = (el.get("class") or "").split()
            if "md-button" in classes:
                parent = parents[el]
                parent.remove(el)
                continue
            target = self.book.resolve(el.get("href", ""))
            if target is None:
                el.tag = "span"  # web-only link: keep the words, drop the link
                el.attrib.clear()
                continue
            el.set("href", target)
            if target.startswith("#"):
                # Where to look, in words: a page number here would be a forward reference,
                # which makes the typesetter lay every such page out twice.
                el.set("class", "hb-ref")
                el.tail = f"（见{self.book.place(target)}）" + (el.tail or "")
        # Drop paragraphs emptied by removed buttons.
        for el in list(root.iter("p")):
            if el in parents and not len(el) and not (el.text or "").strip():
                parents[el].remove(el)


class PrintExtension(Extension):
    def __init__(self, book: "Links", page_id: str):
        super().__init__()
        self.book, self.page_id = book, page_id

    def extendMarkdown(self, md):
        md.treeprocessors.register(PrintLinks(md, self.book, self.page_id), "print_links", 1)


@dataclass
class Links:
    """Where the web pages' links point to in the book."""

    project: Project
    base_url: str | None

    def __post_init__(self):
        self.chapter_names = {f.id: f"第{chinese_number(i)}章" for i, f in enumerate(self.project.families(), start=1)}

    def resolve(self, href: str) -> str | None:
        """An in-book ``#anchor``, an absolute URL, or None (no equivalent on paper)."""
        if href.startswith(("http://", "https://", "mailto:")):
            return href
        if href.startswith("#"):
            return None
        m = re.fullmatch(r"(?:\.\./)?(services|policies|families|flows)/([a-z0-9-]+)\.md(#.*)?", href)
        if m:
            kind, ident = m.group(1), m.group(2)
            if kind == "flows":
                return None  # the flow is printed right there in the service
            return f"#{ {'services': 'service', 'policies': 'policy', 'families': 'family'}[kind]}-{ident}"
        m = re.fullmatch(r"([a-z0-9-]+)\.md", href)  # a related service, same folder
        if m and m.group(1) in self.project.services:
            return f"#service-{m.group(1)}"
        m = re.fullmatch(r"(?:\.\./)?index\.md#(contacts|supervision)", href)
        if m:
            return f"#{m.group(1)}"
        if href.startswith("/") and self.base_url:
            return urljoin(self.base_url, href)
        return None

    def place(self, anchor: str) -> str:
        """Where an in-book anchor is, in words: 附录一, 第二章 ..."""
        kind, _, ident = anchor[1:].partition("-")
        if kind == "policy":
            return "附录一"
        if kind in ("contacts", "supervision"):
            return "附录二"
        if kind == "service" and ident in self.project.services:
            family = self.project.family_of(self.project.services[ident].category)
            return self.chapter_names.get(family.id, "本手册") if family else "本手册"
        if kind == "family":
            return self.chapter_names.get(ident, "本手册")
        return "本手册"


def _strip_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5:]
    return text


def page_html(text: str, links: Links, page_id: str) -> str:
    """One web page's Markdown as print HTML, every id prefixed with ``page_id``."""
    md = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS + [PrintExtension(links, page_id)])
    html = md.convert(_strip_front_matter(text))
    return re.sub(r'(\s)id="(?!flow-)', rf'\1id="{page_id}--', html)


def md_html(text: str) -> str:
    """Editors' Markdown (intro, notes, sections) as HTML."""
    return markdown.markdown(text or "", extensions=MARKDOWN_EXTENSIONS)


# ---------------------------------------------------------------- the whole book

@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["md"] = lambda text: Markup(md_html(text))
    env.globals["contact_lines"] = contact_lines
    # The site's own 待确认 marks (issue 9), so print and web say the same about every item.
    env.globals["page_mark"] = lambda prov, what="本页内容": Markup(page_mark(prov, what))
    env.globals["inline_mark"] = lambda prov: Markup(inline_mark(prov))
    return env


def _sorted_services(project: Project, services) -> list[model.Service]:
    return sorted(services, key=order_key(project))  # the web's order


def service_urls(project: Project, svc: model.Service, base_url: str | None) -> list[tuple[str, str, str]]:
    """(caption, url, QR data URI) for the service's online page and, if any, its form."""
    if not base_url:
        return []
    urls = [("在线页面", urljoin(base_url, f"services/{svc.id}/"))]
    if svc.takes_applications:
        urls.append(("在线申请", urljoin(base_url, f"/apply/{svc.id}")))
    return [(caption, url, qr_data_uri(url)) for caption, url in urls]


@lru_cache(maxsize=1)
def _parts():
    return environment().get_template("parts.html.j2").module


def build_book(project: Project, web_art: FlowArt, *, base_url: str | None = None,
               date: dt.date, edition: str | None, edition_mark: str | None = None) -> Book:
    """The handbook of ``project``: its plan, drawings and 目录; the HTML is made on demand."""
    site = project.site
    base_url = base_url or site.url
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    links = Links(project, base_url)
    flows = {f.id: print_svg(f.id, web_art.svg(f)) for f in project.flows.values()}
    art = FlowArt(flow_image)

    basic = project.flows.get(site.basic_flow) if site.basic_flow else None
    printed: dict[str, str] = {}
    if basic:
        printed[basic.id] = "服务概述"
    parts = [Part("overview", True, "服务概述", dict(site=site, edition_mark=edition_mark, base_url=base_url,
                                                   basic_flow=basic))]
    toc: list[Entry] = [Entry(1, "服务概述", "overview")]
    for number, family in enumerate(project.families(), start=1):
        chapter = f"第{chinese_number(number)}章"
        entry = Entry(1, f"{chapter}　{family.name}", f"family-{family.id}")
        parts.append(Part("chapter", True, entry.title, dict(family=family, title=entry.title)))
        after_heading = True  # the next category or service shares the chapter heading's page
        for cat in [family] + [c for c in site.categories if c.parent == family.id]:
            services = _sorted_services(project, (s for s in project.services.values() if s.category == cat.id))
            if not services:
                continue
            parent = entry
            if cat.id != family.id:
                parent = Entry(2, cat.name, f"category-{cat.id}")
                entry.children.append(parent)
                parts.append(Part("category", not after_heading, entry.title, dict(cat=cat, newpage=not after_heading)))
                after_heading = True
            for svc in services:
                parent.children.append(Entry(parent.level + 1, svc.name, f"service-{svc.id}"))
                flow = project.flows.get(svc.flow or "")
                place = None
                if flow is not None:
                    place = printed.get(flow.id)
                    printed.setdefault(flow.id, f"{chapter}“{svc.name}”")
                parts.append(Part("service", not after_heading, entry.title, dict(
                    s=svc, level=parent.level + 1, newpage=not after_heading, flow=flow, flow_place=place,
                    page=lambda svc=svc: render_service(project, svc, art))))
                after_heading = False
        toc.append(entry)
    policy_groups = []
    for kind, name in KIND_NAMES.items():
        policies = sorted((p for p in project.policies.values() if p.kind == kind),
                          key=lambda p: (p.jurisdiction != "全国", p.jurisdiction, p.number or "", p.id))
        if policies:
            policy_groups.append((name, policies))
    toc.append(Entry(1, "附录一　政策法规目录", "appendix-policies"))
    parts.append(Part("policies", True, toc[-1].title, dict(policy_groups=policy_groups, status_names=STATUS_NAMES)))
    toc.append(Entry(1, "附录二　联系方式与服务监督", "appendix-contacts"))
    parts.append(Part("contacts", True, toc[-1].title, dict(site=site)))
    return Book(flows=flows, toc=toc, qr_codes=bool(base_url), parts=parts, links=links,
                shell=dict(site=site, date=date, edition=edition, edition_mark=edition_mark),
                strings={"book": site.title, "edition": edition_mark or ""})
