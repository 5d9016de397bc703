"""`guide db`: online backup, integrity check and retention purge of the SQLite database."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import db_option, project_option, settings_overrides

__all__ = ["db"]


@click.group()
def db() -> None:
    """Database maintenance: online backup, integrity check, retention purge."""


def _open_existing(project: Path, db_path: Path | None):
    from ..settings import SettingsError, resolve
    from ..storage import Storage

    try:
        path = resolve(settings_overrides(project, db_path))["GUIDE_DB"]
    except SettingsError as exc:
        raise click.UsageError(str(exc))
    if not path.is_file():
        raise click.ClickException(f"no database at {path} (start the app once, or pass --db PATH)")
    return Storage(path, migrate=False)


@db.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@project_option
@db_option
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup(file: Path, project: Path, db_path: Path | None, force: bool) -> None:
    """Copy the live database to FILE (consistent while the app keeps running)."""
    if file.exists() and not force:
        raise click.ClickException(f"{file} exists; pass --force to replace it")
    from ..storage import check_copy

    storage = _open_existing(project, db_path)
    try:
        storage.backup(file)
    finally:
        storage.close()
    problems, applications = check_copy(file)
    if problems:
        click.echo(f"error: the backup failed its check: {'; '.join(problems[:3])}", err=True)
        sys.exit(1)
    click.echo(f"backed up to {file} ({file.stat().st_size} bytes, {applications} applications)",
               err=True)


@db.command()
@project_option
@db_option
def purge(project: Path, db_path: Path | None) -> None:
    """Delete what is past its keeping time (GUIDE_MAIL_KEEP_DAYS, GUIDE_FEEDBACK_KEEP_DAYS).

    The app does the same every hour; this is for a cron job or a machine without the app.
    """
    from .. import retention
    from ..settings import SettingsError, resolve

    try:
        cfg = resolve(settings_overrides(project, db_path))
    except SettingsError as exc:
        raise click.UsageError(str(exc))
    storage = _open_existing(project, db_path)
    try:
        counts = retention.purge(storage, {**cfg, "OUTBOX_DIR": cfg["GUIDE_DATA_DIR"] / "outbox"})
    finally:
        storage.close()
    click.echo("deleted: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items()), err=True)


@db.command()
@project_option
@db_option
def check(project: Path, db_path: Path | None) -> None:
    """Run SQLite's quick_check and print the SQLite version in use."""
    from ..storage import sqlite

    storage = _open_existing(project, db_path)
    try:
        problems = storage.quick_check()
    finally:
        storage.close()
    click.echo(sqlite.library(), err=True)
    if not sqlite.is_safe():
        click.echo(f"warning: SQLite older than {'.'.join(map(str, sqlite.SAFE_SQLITE))} has the WAL-reset bug; "
                   "the file lock every write takes is a mitigation; install the pysqlite3 wheel (see the README)",
                   err=True)
    if problems:
        for p in problems:
            click.echo(f"error: {p}", err=True)
        sys.exit(1)
    click.echo("database ok", err=True)
