"""`guide warnings run`: the daily warning run of the equipment register, by hand or from cron.

The backend's background job does the same once a day (after GUIDE_WARNINGS_HOUR); both may run:
a warning is recorded once per record, level and cycle, so nothing is sent twice.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from .options import db_option, project_option, settings_overrides

__all__ = ["warnings"]


@click.group()
def warnings() -> None:
    """Due-date warnings of the equipment register (特种设备定检“3级”预警)."""


@warnings.command()
@project_option
@db_option
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as of another day (YYYY-MM-DD); default: today in GUIDE_TIMEZONE.")
def run(project: Path, db_path: Path | None, dry_run: bool, today: dt.datetime | None) -> None:
    """Queue today's warnings (one per record, level and cycle), open level-3 follow-up items,
    list overdue equipment."""
    from site_builder.content import GuideError

    from .. import create_app
    from ..settings import SettingsError
    from ..warning_run import NoWarningLevels, local_today, run_warnings

    try:
        app = create_app({**settings_overrides(project, db_path), "GUIDE_MAIL_WORKER": False})
    except SettingsError as exc:
        raise click.UsageError(str(exc))
    except GuideError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    guide = app.extensions["guide"]
    try:
        with app.app_context():
            day = today.date() if today else local_today(app)
            try:
                result = run_warnings(app, day, dry_run=dry_run)
            except NoWarningLevels as exc:
                click.echo(f"error: {exc}; add a 'warnings:' block to the warning flow (see content/_example/flow.yml)",
                           err=True)
                sys.exit(1)
    finally:
        guide.storage.close()
    if dry_run:
        for p in result.planned:
            who = ", ".join(p.to) if p.to else "nobody (no contact for this level)"
            click.echo(f"would send level {p.level} ({p.level_name}) for {p.device_code} ({p.org_name}), due {p.due_date}, "
                       f"to {who}" + ("; would open a follow-up item" if p.escalate else ""))
        click.echo(f"{day}: {len(result.planned)} warning(s) would be sent (dry run: nothing sent or recorded)")
    else:
        levels = ", ".join(f"level {lv}: {n}" for lv, n in sorted(result.sent.items())) or "none"
        click.echo(f"{day}: warnings sent — {levels}; {result.messages} message(s) queued, "
                   f"{result.escalated} follow-up item(s) opened")
    click.echo(f"overdue (must stop until inspected): {result.overdue}")
    for rec in result.overdue_rows:
        click.echo(f"  {rec['device_code']}  {rec['org_name']}  due {rec['due_date']}")
    if result.overdue > len(result.overdue_rows):
        click.echo(f"  ... and {result.overdue - len(result.overdue_rows)} more (see /staff/equipment?level=overdue)")
