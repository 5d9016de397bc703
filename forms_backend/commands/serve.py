"""`guide serve`: build the site if stale, then serve it and the backend from one process."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .options import db_option, project_option, settings_overrides

__all__ = ["serve"]


@click.command()
@project_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@db_option
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Built site to serve (default GUIDE_SITE_DIR, else <project>/site).")
@click.option("--no-build", is_flag=True, help="Serve site/ as it is, without rebuilding it when stale.")
def serve(project: Path, host: str, port: int, db_path: Path | None, site_dir: Path | None, no_build: bool) -> None:
    """Build the site if missing or stale, then serve it and the online forms from one process."""
    from werkzeug.serving import make_server

    from site_builder.content import ContentError, GuideError

    from ..app import create_app
    from ..settings import SettingsError, resolve
    from ..storage import StorageError

    overrides = settings_overrides(project, db_path)
    if site_dir is not None:
        overrides["GUIDE_SITE_DIR"] = site_dir
    try:
        cfg = resolve(overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc))
    site = cfg["GUIDE_SITE_DIR"]
    if not no_build:
        try:
            from site_builder.build import ensure_built
        except ImportError:
            raise click.ClickException("this version cannot build the site (site_builder.build is missing); "
                                       "run 'guide serve --no-build' to serve an existing site/")
        try:
            site = ensure_built(cfg["GUIDE_PROJECT"], site)
        except ContentError as exc:
            for d in exc.diagnostics:
                click.echo(d.format(), err=True)
            click.echo("not serving: fix the content errors above", err=True)
            sys.exit(1)
        except GuideError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
    if not (Path(site) / "index.html").is_file():
        click.echo(f"warning: {site} has no index.html; only the online forms will work", err=True)
    overrides.update({"GUIDE_SITE_DIR": site, "GUIDE_SERVE_SITE": True})
    shown = f"[{host}]" if ":" in host else host
    if not os.environ.get("GUIDE_BASE_URL"):
        # Emailed links point at this server as started; never at a Host header someone sent.
        if host in ("0.0.0.0", "::"):
            click.echo(f"warning: links in emails will point at http://127.0.0.1:{port}/; set GUIDE_BASE_URL to "
                       "the address people use", err=True)
            shown_link = "127.0.0.1"
        else:
            shown_link = shown
        overrides["GUIDE_BASE_URL"] = f"http://{shown_link}:{port}"
    try:
        app = create_app(overrides)
    except ContentError as exc:
        for d in exc.diagnostics:
            click.echo(d.format(), err=True)
        sys.exit(1)
    except (GuideError, StorageError, SettingsError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    from ..content_reload import orphan_messages

    guide = app.extensions["guide"]
    for problem in guide.mail_problems:
        click.echo(f"warning: {problem}", err=True)
    for message in orphan_messages(guide.storage, guide.project):
        click.echo(f"warning: {message}", err=True)
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    click.echo(f"Serving the guide and its online forms at http://{shown}:{port}/  (data in "
               f"{app.config['GUIDE_DATA_DIR']}; press Ctrl+C to stop)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["guide"].background.stop()
