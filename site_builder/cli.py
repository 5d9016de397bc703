"""The ``guide`` command: one entry point for editors and operators.

Errors are named exceptions inside; this module is the edge that turns them into messages and
exit codes (0 ok, 1 content or build errors, 2 usage errors).
"""
from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

from .content import ContentError, GuideError


def _project_option(f):
    return click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("."), show_default=True,
                        help="Guide folder holding content/ and flows/.")(f)


def _print_diagnostics(diags) -> None:
    for d in diags:
        click.echo(d.format(), err=True)


COMMANDS_GROUP = "guide.commands"


class GuideGroup(click.Group):
    """Adds the commands other packages register under the ``guide.commands`` entry-point group
    (as ``flask`` finds ``flask.commands``): the backend's ``serve``, ``db`` and ``user``. A plugin
    is imported only when its command is asked for (or listed), so editors' commands stay light."""

    def _plugins(self):
        return {ep.name: ep for ep in entry_points(group=COMMANDS_GROUP)}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx, name):
        if name not in self.commands:
            ep = self._plugins().get(name)
            if ep is not None:
                self.add_command(ep.load(), name)
        return super().get_command(ctx, name)


@click.group(cls=GuideGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Build and serve the service guide."""


@main.command()
@_project_option
@click.option("--strict", is_flag=True, help="Fail on warnings too (stale review dates, placeholders).")
def check(project: Path, strict: bool) -> None:
    """Validate the YAML content only; build nothing."""
    from .content import load_project

    try:
        proj = load_project(project)
    except GuideError as exc:
        raise click.ClickException(str(exc))
    _print_diagnostics(proj.diagnostics)
    errors, warnings = len(proj.errors), len(proj.warnings)
    summary = (f"{len(proj.services)} services, {len(proj.flows)} flows, {len(proj.policies)} policies, "
               f"{len(proj.providers)} providers: {errors} error(s), {warnings} warning(s)")
    click.echo(summary, err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@main.command()
@_project_option
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the site (default: <project>/site).")
def build(project: Path, strict: bool, site_dir: Path | None) -> None:
    """Validate, generate the docs tree and build the static site."""
    from .build import build_site

    try:
        result = build_site(project, strict=strict, site_dir=site_dir)
    except ContentError as exc:
        _print_diagnostics(exc.diagnostics)
        click.echo("build stopped: fix the errors above; the previous site was left as it was", err=True)
        sys.exit(1)
    except GuideError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    _print_diagnostics(result.warnings)
    click.echo(f"built {result.pages} pages into {result.site_dir} in {result.seconds:.1f} s", err=True)


@main.command()
@_project_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def preview(project: Path, host: str, port: int) -> None:
    """Live preview for editors: pages change within seconds of saving a YAML file."""
    from .preview import preview as run_preview

    run_preview(project, host, port)
