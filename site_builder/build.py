"""Build step: validated project → docs tree on disk → site engine → ``site/``.

The new site is built beside the old one and swapped in only when the engine succeeded, so a
failed build never leaves a half-built site in place of the last good one.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import changes, engine, search
from .content import Diagnostic, Project, load_valid_project
from .content.checks import page_url
from .errors import BuildError, PublishRefused
from .flowsvg import render_svg
from .content.contacts import footer_contacts
from .handbook import FILE_NAME as HANDBOOK_FILE
from .handbook import HandbookResult, build_handbook, size_text
from .handbook import wanted as wants_handbook
from .render import FlowArt, HandbookLink, catalog, nav, render_docs

ASSETS = Path(__file__).resolve().parent / "assets"
STAMP = ".guide-build-stamp"


@dataclass
class BuildResult:
    site_dir: Path
    pages: int
    seconds: float
    warnings: list[Diagnostic] = field(default_factory=list)
    search_index_bytes: int = 0
    changes: dict = field(default_factory=dict)
    handbook: "HandbookResult | None" = None
    engine: str = engine.DEFAULT_ENGINE


def build_dir_for(root: Path) -> Path:
    return root / ".guide-build"


def write_if_changed(path: Path, text: str | bytes) -> bool:
    """Write only when the content differs, so live reload sees real changes only."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def draw_flows(project: Project, art: FlowArt) -> None:
    """Graphviz runs as a subprocess per flow: draw them side by side, once, before rendering."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(art.svg, project.flows.values()))


def generate(project: Project, build_dir: Path, art: FlowArt | None = None,
             extra_files: dict[str, str | bytes] | None = None, extra_css: tuple[str, ...] = (),
             extra_javascript: tuple[str, ...] = (), handbook: "HandbookResult | None" = None,
             engine_name: str = engine.DEFAULT_ENGINE) -> Path:
    """Write the docs tree and the engine config for ``project``; return the config path.

    ``extra_files`` (docs-relative path → content) and the extra CSS/JS are for ``guide preview``;
    ``handbook`` is the PDF made for this build: it is published as ``handbook.pdf`` and the
    home page links to it; ``engine_name`` the site engine the config is written for."""
    art = art or FlowArt(render_svg)
    draw_flows(project, art)
    docs_dir = build_dir / "docs"
    link = None
    if handbook is not None:
        link = HandbookLink(href=HANDBOOK_FILE, size=size_text(handbook.bytes), date=handbook.date.isoformat())
    docs = dict(render_docs(project, art, handbook=link), **(extra_files or {}))
    wanted = {docs_dir / p for p in docs}
    if handbook is not None:
        dest = docs_dir / HANDBOOK_FILE
        wanted.add(dest)
        write_if_changed(dest, handbook.path.read_bytes())
    for rel_path, text in docs.items():
        write_if_changed(docs_dir / rel_path, text)
    for src in ASSETS.rglob("*"):
        if src.is_file():
            dest = docs_dir / "assets" / src.relative_to(ASSETS)
            wanted.add(dest)
            write_if_changed(dest, src.read_bytes())
    files = project.content_dir / "files"
    if files.is_dir():
        for src in files.rglob("*"):
            if src.is_file():
                dest = docs_dir / "files" / src.relative_to(files)
                wanted.add(dest)
                write_if_changed(dest, src.read_bytes())
    # Remove pages of services, flows or policies that were deleted.
    if docs_dir.exists():
        for old in docs_dir.rglob("*"):
            if old.is_file() and old not in wanted:
                old.unlink()
    site = project.site
    return engine.write_config(project.root, build_dir, site_name=site.short_title or site.title,
                               description=site.description, site_url=site.url, nav=nav(project),
                               engine=engine_name, edition=project.edition_line(), extra_css=extra_css,
                               extra_settings={"guide_footer": footer_contacts(site)},
                               extra_javascript=extra_javascript)


_DOC_FILE = re.compile(r"Doc file '([^']+)'")
_LINK = re.compile(r"link '([^']+)'")
_DOC_SOURCES = {"services": "service", "flows": "flow", "policies": "policy"}


def engine_diagnostics(project: Project, messages: list[str]) -> list[Diagnostic]:
    """The site engine's warnings, at the YAML file (and line) the generated page came from."""
    out = []
    for message in messages:
        doc = _DOC_FILE.search(message)
        parts = doc.group(1).split("/") if doc else []
        src = None
        if len(parts) == 2 and parts[0] in _DOC_SOURCES:
            src = project.source(_DOC_SOURCES[parts[0]], parts[1].removesuffix(".md"))
        elif doc:
            src = project.source("site", "site")
        path, line = (src.display, 1) if src else ("mkdocs", 0)
        link = _LINK.search(message)
        if src and link:
            text = src.path.read_text(encoding="utf-8").splitlines()
            line = next((n for n, t in enumerate(text, 1) if link.group(1) in t), 1)
        text = message.replace("\n", " ").strip()
        out.append(Diagnostic(path, line, 1, "warning", f"site engine: {text}",
                              "fix the link or text in this file" if src else ""))
    return out


def _swap(new: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def best_bets(project: Project) -> dict[str, list[str]]:
    """content/search.yml's best bets as query -> site paths."""
    bets: dict[str, list[str]] = {}
    for bet in project.search.best_bets:
        for query in bet.queries:
            bets.setdefault(query.strip(), []).extend(page_url(p) for p in bet.pages)
    return bets


def build_site(root: Path | str, strict: bool = False, site_dir: Path | None = None,
               publish: bool = False, today: dt.date | None = None,
               engine_name: str | None = None) -> BuildResult:
    """Validate (dates against ``today``), generate and build; raise ``ContentError``/``BuildError``
    and keep the old site.

    With ``publish`` the build refuses (``PublishRefused``, nothing built) while anything is
    unconfirmed or a placeholder remains; without it a draft guide builds as a 征求意见稿.
    ``engine_name`` overrides ``engine:`` in the project's mkdocs.yml.
    """
    started = time.perf_counter()
    root = Path(root).resolve()
    chosen = engine.choose(root, engine_name)
    project = load_valid_project(root, strict=strict, today=today)
    if publish and (pending := project.unconfirmed_items()):
        raise PublishRefused(pending)
    build_dir = build_dir_for(root)
    art = FlowArt(render_svg)
    handbook = None
    if wants_handbook(project):
        draw_flows(project, art)
        handbook = build_handbook(project, build_dir / HANDBOOK_FILE, art=art, reuse=True)
    config = generate(project, build_dir, art, handbook=handbook, engine_name=chosen)
    site_dir = (site_dir or root / "site").resolve()
    staging = site_dir.with_name(site_dir.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    try:
        engine_warnings = engine.build(config, staging, chosen, source=engine.config_source(root))
        index_bytes = search.write_index(staging, engine.take_sections(staging, chosen), project, best_bets(project))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    what_changed = changes.diff(changes.read_previous(site_dir), changes.snapshot(catalog(project)))
    (staging / "data" / "changes.json").write_text(json.dumps(
        {"built": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "changes": what_changed}, ensure_ascii=False, indent=1),
        encoding="utf-8")
    (staging / STAMP).write_text(json.dumps({"built": time.time()}), encoding="utf-8")
    _swap(staging, site_dir)
    pages = sum(1 for _ in site_dir.rglob("index.html"))
    return BuildResult(site_dir=site_dir, pages=pages, seconds=time.perf_counter() - started,
                       warnings=project.warnings + engine_diagnostics(project, engine_warnings),
                       search_index_bytes=index_bytes, changes=what_changed, handbook=handbook, engine=chosen)


def _inputs(root: Path):
    yield root / "mkdocs.yml"
    for folder in (root / "content", root / "flows", Path(__file__).resolve().parent):
        if folder.exists():
            yield from (p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def is_stale(root: Path, site_dir: Path) -> bool:
    stamp = site_dir / STAMP
    if not stamp.exists():
        return True
    built = stamp.stat().st_mtime
    return any(p.exists() and p.stat().st_mtime > built for p in _inputs(root))


def ensure_built(project_root: Path, site_dir: Path | None = None) -> Path:
    """Build the site when it is missing or older than its content; return the site folder."""
    root = Path(project_root).resolve()
    site_dir = (site_dir or root / "site").resolve()
    if is_stale(root, site_dir):
        build_site(root, site_dir=site_dir)
    return site_dir


__all__ = ["BuildResult", "BuildError", "build_site", "ensure_built", "generate", "is_stale"]
