"""``guide preview``: regenerate the docs tree on every YAML change; MkDocs live-reloads.

The engine's own server watches the generated docs folder; we watch the YAML. A change that
breaks validation prints the errors and leaves the last good pages in place.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import click

from .build import build_dir_for, generate
from .content import ContentError, GuideError, load_valid_project


def regenerate(root: Path) -> bool:
    """Regenerate the docs tree; print problems; return whether it succeeded."""
    try:
        project = load_valid_project(root)
        generate(project, build_dir_for(root))
    except ContentError as exc:
        for d in exc.diagnostics:
            click.echo(d.format(), err=True)
        click.echo("preview keeps showing the last valid version until these are fixed", err=True)
        return False
    except GuideError as exc:
        click.echo(f"error: {exc}", err=True)
        return False
    for d in project.warnings:
        click.echo(d.format(), err=True)
    return True


def watch_yaml(root: Path, stop: threading.Event, interval: float = 0.5) -> None:
    """Poll content/ and flows/ (portable, no inotify limits) and regenerate on change."""
    def snapshot():
        files = [p for d in (root / "content", root / "flows") if d.exists() for p in d.rglob("*") if p.is_file()]
        return {p: p.stat().st_mtime_ns for p in files}

    last = snapshot()
    while not stop.wait(interval):
        now = snapshot()
        if now != last:
            last = now
            started = time.perf_counter()
            if regenerate(root):
                click.echo(f"regenerated in {time.perf_counter() - started:.2f} s", err=True)


def preview(root: Path, host: str, port: int) -> None:
    root = root.resolve()
    if not regenerate(root):
        raise click.ClickException("fix the errors above, then run guide preview again")
    stop = threading.Event()
    thread = threading.Thread(target=watch_yaml, args=(root, stop), daemon=True)
    thread.start()
    try:
        from mkdocs.commands.serve import serve

        serve(str(build_dir_for(root) / "mkdocs.yml"), livereload=True, dev_addr=f"{host}:{port}")
    finally:
        stop.set()
