"""`guide db`: online backup, restore, integrity check and retention purge of the SQLite database."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .options import db_option, project_option, settings_overrides

__all__ = ["db"]


@click.group()
def db() -> None:
    """Database maintenance: online backup, restore, integrity check, retention purge."""


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
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@db_option
@click.option("--force", is_flag=True, help="Replace the database there (kept beside as <name>.replaced-<time>).")
def restore(file: Path, project: Path, db_path: Path | None, force: bool) -> None:
    """Put the backup FILE in place as the database (stop the service first).

    FILE is checked first; the copy is migrated to this version and checked again.
    """
    from ..settings import SettingsError, resolve
    from ..storage import Storage, StorageError, restore_copy

    try:
        path = resolve(settings_overrides(project, db_path))["GUIDE_DB"]
    except SettingsError as exc:
        raise click.UsageError(str(exc))
    try:
        kept = restore_copy(file, path, replace=force)
        storage = Storage(path)  # migrates a backup made by an older version
    except StorageError as exc:
        raise click.ClickException(str(exc))
    try:
        problems = storage.quick_check()
        applications = storage.count_applications()
    finally:
        storage.close()
    if problems:
        raise click.ClickException(f"the restored database failed its check: {'; '.join(problems[:3])}")
    if kept:
        click.echo(f"the database that was there is kept as {kept}", err=True)
    click.echo(f"restored {file} to {path} ({applications} applications); start the service", err=True)


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
