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


def _print_diagnostics(diags, root_causes=(), warnings: str = "list") -> None:
    from .report import print_diagnostics

    print_diagnostics(diags, root_causes, warnings=warnings)


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
@click.option("--strict", is_flag=True, help="Fail on warnings too (stale review dates, placeholders, links).")
@click.option("--allow-placeholders", is_flag=True,
              help="With --strict: placeholders are listed apart and do not fail the check.")
@click.option("--errors-only", is_flag=True, help="List errors only; warnings are counted.")
@click.option("--review-due", "review_days", type=click.IntRange(0), default=None, metavar="DAYS",
              help="Also list items whose yearly review (a year after 'reviewed') falls due within DAYS.")
@click.option("--links", is_flag=True, help="Also fetch every external address and report broken ones.")
@click.option("--links-timeout", type=float, default=10.0, show_default=True,
              help="Seconds to wait for each external address.")
@_today_option
def check(project: Path, strict: bool, allow_placeholders: bool, errors_only: bool, review_days: int | None,
          links: bool, links_timeout: float, today) -> None:
    """Validate the YAML content only; build nothing."""
    from .content import load_project
    from .report import kind_of, warning_summary

    try:
        proj = load_project(project, today=today.date() if today else None)
    except GuideError as exc:
        raise click.ClickException(str(exc))
    if review_days is not None:
        _add_review_due(proj, review_days, today.date() if today else None)
    if links:
        from .content.links import check_external, report_lines

        for line in report_lines(check_external(proj, timeout=links_timeout)):
            click.echo(line)
    placeholders = [d for d in proj.warnings if kind_of(d) == "placeholder"] if allow_placeholders else []
    others = [d for d in proj.diagnostics if d not in placeholders]
    _print_diagnostics(others, proj.root_causes, warnings="summary" if errors_only else "list")
    if placeholders and not errors_only:
        click.echo(f"placeholders still to fill in ({len(placeholders)}, allowed by --allow-placeholders):",
                   err=True)
        _print_diagnostics(placeholders)
    errors, warnings = len(proj.errors), len(proj.warnings)
    summary = (f"{len(proj.services)} services, {len(proj.flows)} flows, {len(proj.policies)} policies, "
               f"{len(proj.providers)} providers: {errors} error(s), {warnings} warning(s)")
    click.echo(summary, err=True)
    _print_unconfirmed_summary(proj)
    failing = [d for d in proj.warnings if d not in placeholders]
    if errors or (strict and failing):
        if strict and failing and not errors:
            click.echo(f"--strict: {warning_summary(failing)}", err=True)
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


def _add_review_due(proj, days: int, today=None) -> None:
    """A warning at each 'reviewed' whose yearly review falls due within ``days`` (the ones
    already past are reported anyway, as over a year old)."""
    import datetime as dt

    from .changes import review_due
    from .content import Diagnostic

    today = today or dt.date.today()
    for item in review_due(proj, days, today):
        left = item.days_left(today)
        if left >= 0:
            proj.diagnostics.append(Diagnostic(item.path, item.line, 1, "warning",
                                               f"review due on {item.due} (in {left} days): {item.kind[:-1] if item.kind != 'policies' else 'policy'} "
                                               f"'{item.id}' was last reviewed on {item.reviewed}",
                                               "check the facts again and update 'reviewed'"))


@main.command()
@_project_option
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the site (default: <project>/site).")
@click.option("--publish", is_flag=True,
              help="Build the published edition: refuse while anything is unconfirmed or a placeholder remains.")
@_today_option
@click.option("--engine", "engine_name", type=click.Choice(["material", "zensical"]), default=None,
              help="Site engine for this build (default: 'engine:' in mkdocs.yml).")
def build(project: Path, strict: bool, site_dir: Path | None, publish: bool, today, engine_name: str | None) -> None:
    """Validate, generate the docs tree and build the static site."""
    from .build import build_site

    try:
        result = build_site(project, strict=strict, site_dir=site_dir, publish=publish,
                            today=today.date() if today else None, engine_name=engine_name)
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
        _print_diagnostics(exc.diagnostics, exc.root_causes)
        click.echo("build stopped: fix the errors above; the previous site was left as it was", err=True)
        sys.exit(1)
    except GuideError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    from .changes import summary_lines

    _print_diagnostics(result.warnings)
    for line in summary_lines(result.changes):
        click.echo(line, err=True)
    click.echo(f"built {result.pages} pages into {result.site_dir} with {result.engine} in {result.seconds:.1f} s",
               err=True)
    if result.handbook:
        _report_handbook(result.handbook, result.site_dir / result.handbook.path.name)


def _report_handbook(result, path: Path) -> None:
    from .handbook import size_text

    if not result.qr_codes:
        click.echo("note: the handbook has no QR codes: site.yml has no 'url' (the guide's public address); "
                   "add it, or pass --url to 'guide handbook'", err=True)
    parts = ""
    if result.parts > 1:
        parts = f", typeset in {result.parts} parts" + (f", {result.reused_parts} reused" if result.reused_parts else "")
    click.echo(f"handbook: {path} ({result.pages} pages, {size_text(result.bytes)}) in {result.seconds:.1f} s{parts}",
               err=True)


def _check_url(ctx, param, value):
    if value is not None and not value.startswith(("https://", "http://")):
        raise click.BadParameter("give the guide's public address, e.g. https://guide.example.gov.cn/")
    return value


@main.command()
@_project_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PDF file to write (default: <project>/handbook.pdf).")
@click.option("--url", "base_url", default=None, callback=_check_url,
              help="The guide's public address for the QR codes (default: 'url' in site.yml).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes that typeset the book in parts (default: GUIDE_HANDBOOK_WORKERS, else one per "
                   "CPU); 1 typesets it as one document in this process.")
def handbook(project: Path, output: Path | None, base_url: str | None, workers: int | None) -> None:
    """Write the printed service handbook (服务手册) of the guide as a PDF."""
    from .handbook import build_handbook
    from .content import load_valid_project

    output = output or project / "handbook.pdf"
    try:
        proj = load_valid_project(project)
        result = build_handbook(proj, output, base_url=base_url, workers=workers)
    except ContentError as exc:
        _print_diagnostics(exc.diagnostics)
        click.echo("handbook not written: fix the errors above", err=True)
        sys.exit(1)
    except GuideError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if proj.warnings:
        click.echo(f"{len(proj.warnings)} warning(s) in the content: 'guide check' lists them", err=True)
    _report_handbook(result, output)


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
@click.option("--errors-only", is_flag=True, help="Print errors only, not the warnings' summary.")
@click.option("--engine", "engine_name", type=click.Choice(["material", "zensical"]), default=None,
              help="Site engine (default: 'engine:' in mkdocs.yml).")
def preview(project: Path, host: str, port: int, errors_only: bool, engine_name: str | None) -> None:
    """Live preview for editors: pages change within seconds of saving a YAML file; errors show
    in the terminal and as a banner over the page."""
    from .preview import preview as run_preview

    run_preview(project, host, port, errors_only=errors_only, engine_name=engine_name)


@main.command()
@_project_option
@click.argument("old")
@click.argument("new")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The backend's SQLite file whose applications are re-pointed (default: as guide serve).")
def rename(project: Path, old: str, new: str, db_path: Path | None) -> None:
    """Give a service, flow or policy a new id: move the file, rewrite references, record a
    redirect, and re-point stored applications."""
    from .content import load_project
    from .content.diagnostics import rel
    from .rename import RenameError, rename as do_rename

    try:
        result = do_rename(project, old, new)
    except (RenameError, GuideError) as exc:
        raise click.ClickException(str(exc))
    click.echo(f"moved {rel(result.moved[0])} → {rel(result.moved[1])}")
    for path, count in sorted(result.edited.items()):
        click.echo(f"  {rel(path)}: {count} reference(s) rewritten")
    folder = {"service": "services", "flow": "flows", "policy": "policies"}[result.kind]
    click.echo(f"redirect recorded in {rel(project / 'content' / 'redirects.yml')}: /{folder}/{old}/ → "
               f"/{folder}/{new}/" + (f" and /apply/{old} → /apply/{new}" if result.kind == "service" else ""))
    if result.kind == "service":
        _repoint_applications(project, db_path, old, new)
    after = load_project(project)
    if after.errors:
        _print_diagnostics(after.errors)
        sys.exit(1)
    click.echo("content checked: no errors; run `guide build` to publish the new pages")


RENAME_HOOKS = "guide.rename_hooks"


def _repoint_applications(project: Path, db_path: Path | None, old: str, new: str) -> None:
    """Let the packages that store service ids (the backend) follow the rename: each hook of the
    ``guide.rename_hooks`` entry-point group is called and returns lines to print."""
    for ep in entry_points(group=RENAME_HOOKS):
        for line in ep.load()(project=project, db_path=db_path, old=old, new=new):
            click.echo(line)
