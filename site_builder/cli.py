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
from .errors import PublishRefused


def _project_option(f):
    return click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("."), show_default=True,
                        help="Guide folder holding content/ and flows/.")(f)


def _today_option(f):
    return click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                        help="Check dates as of this day (YYYY-MM-DD) instead of today, e.g. to see what goes "
                             "stale next month.")(f)


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
@_today_option
def check(project: Path, strict: bool, today) -> None:
    """Validate the YAML content only; build nothing."""
    from .content import load_project

    try:
        proj = load_project(project, today=today.date() if today else None)
    except GuideError as exc:
        raise click.ClickException(str(exc))
    _print_diagnostics(proj.diagnostics)
    errors, warnings = len(proj.errors), len(proj.warnings)
    summary = (f"{len(proj.services)} services, {len(proj.flows)} flows, {len(proj.policies)} policies, "
               f"{len(proj.providers)} providers: {errors} error(s), {warnings} warning(s)")
    click.echo(summary, err=True)
    _print_unconfirmed_summary(proj)
    if errors or (strict and warnings):
        sys.exit(1)


def _print_unconfirmed_summary(proj) -> None:
    from .content.provenance import by_file

    pending = proj.unconfirmed_items()
    if not pending:
        click.echo("everything is confirmed: `guide build --publish` will publish this guide", err=True)
        return
    files = by_file(pending)
    click.echo(f"unconfirmed: {sum(f[1] for f in files)} item(s) and {sum(f[2] for f in files)} placeholder(s) "
               f"in {len(files)} file(s) — the site builds as {proj.edition_line()}; "
               f"`guide review` writes the worksheet to send round", err=True)
    for path, items, placeholders in files:
        parts = ([f"{items} unconfirmed"] if items else []) + ([f"{placeholders} placeholder(s)"] if placeholders else [])
        click.echo(f"  {path}: {', '.join(parts)}", err=True)


@main.command()
@_project_option
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the site (default: <project>/site).")
@click.option("--publish", is_flag=True,
              help="Build the published edition: refuse while anything is unconfirmed or a placeholder remains.")
@_today_option
def build(project: Path, strict: bool, site_dir: Path | None, publish: bool, today) -> None:
    """Validate, generate the docs tree and build the static site."""
    from .build import build_site

    try:
        result = build_site(project, strict=strict, site_dir=site_dir, publish=publish,
                            today=today.date() if today else None)
    except PublishRefused as exc:
        for item in exc.items:
            what = "placeholder" if item.placeholder else f"unconfirmed {item.kind}"
            hint = ("replace 【待补充】 with the confirmed value" if item.placeholder else
                    "get it confirmed and add 'confirmed: {by: ..., date: ...}' to its provenance")
            click.echo(f"{item.where}: {what}: {item.statement} — {hint}", err=True)
        click.echo(f"publish refused: {len(exc.items)} item(s) not confirmed; nothing was built "
                   f"(a build without --publish makes the 征求意见稿 edition)", err=True)
        sys.exit(1)
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
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the worksheet (default: <project>/review).")
def review(project: Path, out_dir: Path | None) -> None:
    """Write the review worksheet (XLSX and CSV): one row per unconfirmed fact."""
    from .content import load_project
    from .review import write_worksheet

    try:
        proj = load_project(project)
    except GuideError as exc:
        raise click.ClickException(str(exc))
    if proj.errors:
        _print_diagnostics(proj.errors)
        click.echo("review stopped: fix the errors above first", err=True)
        sys.exit(1)
    pending = proj.unconfirmed_items()
    xlsx, csv_path = write_worksheet(out_dir or project / "review", pending, proj.site.title)
    click.echo(f"wrote {len(pending)} row(s) to {xlsx} and {csv_path}", err=True)


@main.command()
@_project_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
def preview(project: Path, host: str, port: int) -> None:
    """Live preview for editors: pages change within seconds of saving a YAML file."""
    from .preview import preview as run_preview

    run_preview(project, host, port)
