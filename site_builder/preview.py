"""``guide preview``: regenerate the docs tree on every YAML change; the engine live-reloads.

The engine's own server watches the generated docs folder; we watch the YAML. A save that
breaks validation leaves the last good pages in place and shows the errors twice: in the
terminal (errors first, warnings summarised) and as a banner over the page in the browser
(``preview_assets/status.js`` reads ``assets/preview/status.json``, which we rewrite after
every save). Preview starts even when the content has errors.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import click

from . import engine
from .build import build_dir_for, generate, write_if_changed
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


def regenerate(root: Path, warnings: str = "summary", engine_name: str = engine.DEFAULT_ENGINE) -> bool:
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
        generate(project, build_dir_for(root), extra_files=_preview_files(
            status_data(project.diagnostics, project.root_causes, ok=True, root=root)),
            extra_css=(STYLE,), extra_javascript=(SCRIPT,), engine_name=engine_name)
    except GuideError as exc:
        click.echo(click.style(f"error: {exc}", fg="red"), err=True)
        return False
    print_diagnostics(project.warnings, warnings=warnings)
    return True


def watch_yaml(root: Path, stop: threading.Event, warnings: str, interval: float = 0.5,
               engine_name: str = engine.DEFAULT_ENGINE) -> None:
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
            if regenerate(root, warnings, engine_name):
                click.echo(f"regenerated in {time.perf_counter() - started:.2f} s", err=True)


def preview(root: Path, host: str, port: int, errors_only: bool = False, engine_name: str | None = None) -> None:
    root = root.resolve()
    try:
        chosen = engine.choose(root, engine_name)
    except GuideError as exc:
        raise click.ClickException(str(exc))
    warnings = "none" if errors_only else "summary"
    regenerate(root, warnings, chosen)
    stop = threading.Event()
    thread = threading.Thread(target=watch_yaml, args=(root, stop, warnings, 0.5, chosen), daemon=True)
    thread.start()
    click.echo(click.style(f"preview at http://{host}:{port}/", bold=True)
               + " — pages update on every save; errors show in the terminal and over the page", err=True)
    try:
        engine.serve(build_dir_for(root) / "mkdocs.yml", host, port, chosen)
    finally:
        stop.set()
