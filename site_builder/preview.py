"""``guide preview``: regenerate the docs tree on every YAML change; the engine live-reloads.

The engine's own server watches the generated docs folder; we watch the YAML. A save that
breaks validation leaves the last good pages in place and shows the errors twice: in the
terminal (errors first, warnings summarised) and as a banner over the page in the browser
(``preview_assets/status.js`` reads ``assets/preview/status.json``, which we rewrite after
every save). Preview starts even when the content has errors.

Search works in the preview too: after each regeneration ``PreviewSearch`` reads the engine's
own index from the live server once it has rebuilt, and writes the guide's search index
(``search/index.json``, the same as ``guide build`` writes) into the docs tree.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import click

from . import engine, search
from .build import best_bets, build_dir_for, generate, write_if_changed
from .content import ContentError, GuideError, load_valid_project
from .report import print_diagnostics, status_data

PREVIEW_ASSETS = Path(__file__).resolve().parent / "preview_assets"
STATUS = "assets/preview/status.json"
SCRIPT = "assets/preview/status.js"
STYLE = "assets/preview/status.css"


def _preview_files(status: dict) -> dict[str, str | bytes]:
    return {STATUS: json.dumps(status, ensure_ascii=False, indent=1),
            SCRIPT: (PREVIEW_ASSETS / "status.js").read_bytes(),
            STYLE: (PREVIEW_ASSETS / "status.css").read_bytes()}


def _write_failed_status(root: Path, status: dict, engine_name: str = engine.DEFAULT_ENGINE) -> None:
    """Keep the last good pages; write the errors for the banner. On a first start with
    errors there are no pages yet: write a single page that says so."""
    build_dir = build_dir_for(root)
    docs = build_dir / "docs"
    for rel_path, data in _preview_files(status).items():
        write_if_changed(docs / rel_path, data)
    if not (build_dir / "mkdocs.yml").exists() or not (docs / "index.md").exists():
        write_if_changed(docs / "index.md", "# 预览\n\n内容有错误，修正后这里会自动显示指南。\n")
        engine.write_config(root, build_dir, site_name="预览", description="", site_url=None,
                            nav=[{"预览": "index.md"}], engine=engine_name, extra_css=(STYLE,),
                            extra_javascript=(SCRIPT,))


class PreviewSearch:
    """Keeps the preview's search index in step with its pages. ``update(project)`` after each
    regeneration; ``run`` (a thread) then waits until the live server serves a new engine index
    (or ``settle`` seconds pass: a change may not alter any page text) and writes ours."""

    def __init__(self, root: Path, engine_name: str, host: str, port: int, settle: float = 15.0):
        self.root, self.engine_name, self.settle = root, engine_name, settle
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        self.server = f"http://{local}:{port}"
        self.url = ""
        self.data: bytes | None = None      # our index, kept in the docs tree by every regeneration
        self.project = None
        self.changed = threading.Event()
        self._seen: bytes | None = None     # the engine index our last one was made from

    def files(self) -> dict[str, bytes]:
        return {search.INDEX_PATH.as_posix(): self.data} if self.data else {}

    def update(self, project) -> None:
        self.project = project
        self.changed.set()

    def _fetch(self) -> bytes | None:
        try:
            with urllib.request.urlopen(self.url, timeout=5) as response:
                return response.read()
        except (OSError, ValueError):
            return None

    def _engine_index(self, stop: threading.Event) -> bytes | None:
        deadline, latest = time.monotonic() + self.settle, None
        while not stop.is_set():
            raw = self._fetch()
            latest = raw or latest
            if raw and raw != self._seen:
                return raw
            if time.monotonic() > deadline and latest:
                return latest
            stop.wait(0.5)
        return None

    def _address(self) -> str:
        """The engine index on the live server, which mounts the site at site_url's path."""
        import yaml

        config = build_dir_for(self.root) / "mkdocs.yml"
        cfg = yaml.safe_load(config.read_text(encoding="utf-8")) if config.exists() else {}
        mount = urlsplit((cfg or {}).get("site_url") or "").path or "/"
        return self.server + mount.rstrip("/") + "/" + engine.index_address(self.engine_name)

    def refresh(self, stop: threading.Event) -> None:
        self.changed.clear()
        self.url = self._address()
        project, raw = self.project, self._engine_index(stop)
        if raw is None or project is None:
            return
        try:
            data = search.index_bytes(engine.sections(raw, self.engine_name), project, best_bets(project))
        except ValueError:  # caught the engine mid-write: try again
            self.changed.set()
            return
        self._seen, self.data = raw, data
        write_if_changed(build_dir_for(self.root) / "docs" / search.INDEX_PATH, data)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if self.changed.wait(0.5):
                self.refresh(stop)


def regenerate(root: Path, warnings: str = "summary", engine_name: str = engine.DEFAULT_ENGINE,
               finder: PreviewSearch | None = None) -> bool:
    """Regenerate the docs tree; report problems; return whether it succeeded."""
    try:
        project = load_valid_project(root)
    except ContentError as exc:
        print_diagnostics(exc.diagnostics, exc.root_causes, warnings=warnings)
        click.echo(click.style("the preview keeps showing the last valid version until these are fixed",
                               fg="red"), err=True)
        _write_failed_status(root, status_data(exc.diagnostics, exc.root_causes, ok=False, root=root), engine_name)
        return False
    except GuideError as exc:
        click.echo(click.style(f"error: {exc}", fg="red"), err=True)
        _write_failed_status(root, {"ok": False, "errors": [{"where": "", "message": str(exc), "hint": ""}],
                                    "more_errors": 0, "warnings": ""}, engine_name)
        return False
    try:
        generate(project, build_dir_for(root), extra_files=dict(_preview_files(
            status_data(project.diagnostics, project.root_causes, ok=True, root=root)),
            **(finder.files() if finder else {})),
            extra_css=(STYLE,), extra_javascript=(SCRIPT,), engine_name=engine_name)
    except GuideError as exc:
        click.echo(click.style(f"error: {exc}", fg="red"), err=True)
        return False
    print_diagnostics(project.warnings, warnings=warnings)
    if finder:
        finder.update(project)
    return True


def watch_yaml(root: Path, stop: threading.Event, warnings: str, interval: float = 0.5,
               engine_name: str = engine.DEFAULT_ENGINE, finder: PreviewSearch | None = None) -> None:
    """Poll content/, flows/ and mkdocs.yml (portable, no inotify limits); regenerate on change."""
    def snapshot():
        files = [p for d in (root / "content", root / "flows") if d.exists() for p in d.rglob("*") if p.is_file()]
        files += [p for p in (root / "mkdocs.yml",) if p.exists()]
        return {p: p.stat().st_mtime_ns for p in files}

    last = snapshot()
    while not stop.wait(interval):
        now = snapshot()
        if now != last:
            last = now
            started = time.perf_counter()
            if regenerate(root, warnings, engine_name, finder):
                click.echo(f"regenerated in {time.perf_counter() - started:.2f} s", err=True)


def preview(root: Path, host: str, port: int, errors_only: bool = False, engine_name: str | None = None) -> None:
    root = root.resolve()
    try:
        chosen = engine.choose(root, engine_name)
    except GuideError as exc:
        raise click.ClickException(str(exc))
    warnings = "none" if errors_only else "summary"
    finder = PreviewSearch(root, chosen, host, port)
    regenerate(root, warnings, chosen, finder)
    stop = threading.Event()
    threading.Thread(target=finder.run, args=(stop,), daemon=True).start()
    thread = threading.Thread(target=watch_yaml, args=(root, stop, warnings, 0.5, chosen, finder), daemon=True)
    thread.start()
    click.echo(click.style(f"preview at http://{host}:{port}/", bold=True)
               + " — pages update on every save; errors show in the terminal and over the page", err=True)
    try:
        engine.serve(build_dir_for(root) / "mkdocs.yml", host, port, chosen)
    finally:
        stop.set()
