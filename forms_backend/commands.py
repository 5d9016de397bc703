"""Operator commands added to the ``guide`` group: ``serve``, ``db`` and ``user``.

Registered in pyproject.toml under the ``guide.commands`` entry-point group, which the
``guide`` command reads (site_builder never imports the backend). Errors become messages
and exit codes here, at the edge: 0 ok, 1 content/database problems, 2 usage errors.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click


def _project_option(f):
    return click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path),
                        default=lambda: os.environ.get("GUIDE_PROJECT", "."), show_default="GUIDE_PROJECT or .",
                        help="Guide folder holding content/ and flows/.")(f)


def _db_option(f):
    return click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="SQLite file (default GUIDE_DB, else <data dir>/guide.db); uploads/, outbox/ "
                             "and secret_key live beside it.")(f)


def _overrides(project: Path, db_path: Path | None) -> dict:
    overrides: dict = {"GUIDE_PROJECT": project}
    if db_path is not None:
        overrides["GUIDE_DB"] = db_path
        overrides["GUIDE_DATA_DIR"] = db_path.resolve().parent
    return overrides


@click.command()
@_project_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@_db_option
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Built site to serve (default GUIDE_SITE_DIR, else <project>/site).")
@click.option("--no-build", is_flag=True, help="Serve site/ as it is, without rebuilding it when stale.")
def serve(project: Path, host: str, port: int, db_path: Path | None, site_dir: Path | None, no_build: bool) -> None:
    """Build the site if missing or stale, then serve it and the online forms from one process."""
    from werkzeug.serving import make_server

    from site_builder.content import ContentError, GuideError

    from .app import create_app
    from .settings import SettingsError, resolve
    from .storage import StorageError

    overrides = _overrides(project, db_path)
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
    try:
        app = create_app(overrides)
    except ContentError as exc:
        for d in exc.diagnostics:
            click.echo(d.format(), err=True)
        sys.exit(1)
    except (GuideError, StorageError, SettingsError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for problem in app.extensions["guide"].mail_problems:
        click.echo(f"warning: {problem}", err=True)
    try:
        server = make_server(host, port, app, threaded=True)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving the guide and its online forms at http://{shown}:{port}/  (data in "
               f"{app.config['GUIDE_DATA_DIR']}; press Ctrl+C to stop)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["guide"].background.stop()


@click.group()
def db() -> None:
    """Database maintenance: online backup and integrity check."""


def _open_existing(project: Path, db_path: Path | None):
    from .settings import SettingsError, resolve
    from .storage import Storage

    try:
        path = resolve(_overrides(project, db_path))["GUIDE_DB"]
    except SettingsError as exc:
        raise click.UsageError(str(exc))
    if not path.is_file():
        raise click.ClickException(f"no database at {path} (start the app once, or pass --db PATH)")
    return Storage(path, migrate=False)


@db.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_project_option
@_db_option
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def backup(file: Path, project: Path, db_path: Path | None, force: bool) -> None:
    """Copy the live database to FILE (consistent while the app keeps running)."""
    if file.exists() and not force:
        raise click.ClickException(f"{file} exists; pass --force to replace it")
    from .storage import check_copy

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
@_project_option
@_db_option
def check(project: Path, db_path: Path | None) -> None:
    """Run SQLite's quick_check and print the SQLite version in use."""
    import sqlite3

    from .storage import SAFE_SQLITE, sqlite_is_safe

    storage = _open_existing(project, db_path)
    try:
        problems = storage.quick_check()
    finally:
        storage.close()
    click.echo(f"SQLite {sqlite3.sqlite_version}", err=True)
    if not sqlite_is_safe():
        click.echo(f"warning: SQLite older than {'.'.join(map(str, SAFE_SQLITE))} has the WAL-reset bug; "
                   "see the README", err=True)
    if problems:
        for p in problems:
            click.echo(f"error: {p}", err=True)
        sys.exit(1)
    click.echo("database ok", err=True)


# ---------------------------------------------------------------- guide user: staff accounts

PASSWORD_ENV = "GUIDE_PASSWORD"
WEAK_PASSWORD = {
    "password_short": "the password must have at least {min} characters",
    "password_long": "the password must have at most {max} characters",
    "password_is_name": "the password must not be the account name",
}


@click.group()
def user() -> None:
    """Staff accounts of the console at /staff (argon2-hashed passwords)."""


def _open_for_users(project: Path, db_path: Path | None):
    """The database, created and migrated if needed: accounts may come before the first start."""
    from .settings import SettingsError, resolve
    from .storage import Storage

    try:
        path = resolve(_overrides(project, db_path))["GUIDE_DB"]
    except SettingsError as exc:
        raise click.UsageError(str(exc))
    path.parent.mkdir(parents=True, exist_ok=True)
    return Storage(path)


def _new_password(name: str) -> str:
    """From GUIDE_PASSWORD (scripts), else asked twice without echo; checked against the rules."""
    from .forms.staff import WeakPassword, check_password

    password = os.environ.get(PASSWORD_ENV)
    if not password:
        password = click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    try:
        check_password(name, password)
    except WeakPassword as exc:
        raise click.ClickException(WEAK_PASSWORD[exc.key].format(**exc.params))
    return password


def _account_name(name: str) -> str:
    from .forms.staff import clean_account_name

    try:
        return clean_account_name(name)
    except ValueError:
        raise click.UsageError(f"'{name}' is not a valid account name: start with a lower-case letter, then "
                               "letters, digits, '.', '_' or '-', 2 to 32 characters")


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True,
              help="admin may also manage accounts in the console.")
@_project_option
@_db_option
def user_add(name: str, role: str, project: Path, db_path: Path | None) -> None:
    """Create a staff account NAME (password from GUIDE_PASSWORD, or asked twice)."""
    from .auth import hash_password
    from .storage import UserExists

    name = _account_name(name)
    password = _new_password(name)
    storage = _open_for_users(project, db_path)
    try:
        storage.create_user(name, role, hash_password(password))
    except UserExists:
        raise click.ClickException(f"account {name} already exists (use 'guide user passwd {name}')")
    finally:
        storage.close()
    click.echo(f"created {role} account {name}", err=True)


@user.command("list")
@_project_option
@_db_option
def user_list(project: Path, db_path: Path | None) -> None:
    """List the accounts: name, role, active or disabled, last login (UTC)."""
    storage = _open_for_users(project, db_path)
    try:
        users = storage.list_users()
    finally:
        storage.close()
    if not users:
        click.echo("no accounts yet; create one with 'guide user add NAME --role admin'", err=True)
    for u in users:
        click.echo(f"{u.name}\t{u.role}\t{'active' if u.active else 'disabled'}\t"
                   f"{(u.last_login_at or 'never')[:16]}")


def _update(project: Path, db_path: Path | None, name: str, **changes) -> None:
    from .storage import LastAdmin, UserNotFound

    storage = _open_for_users(project, db_path)
    try:
        storage.update_user(name.strip().lower(), **changes)
    except UserNotFound:
        raise click.ClickException(f"no account {name}")
    except LastAdmin:
        raise click.ClickException(f"{name} is the last active admin; make another admin first")
    finally:
        storage.close()


@user.command("disable")
@click.argument("name")
@_project_option
@_db_option
def user_disable(name: str, project: Path, db_path: Path | None) -> None:
    """Disable an account; its sessions end at once."""
    _update(project, db_path, name, active=False)
    click.echo(f"disabled {name}", err=True)


@user.command("enable")
@click.argument("name")
@_project_option
@_db_option
def user_enable(name: str, project: Path, db_path: Path | None) -> None:
    """Enable a disabled account again."""
    _update(project, db_path, name, active=True)
    click.echo(f"enabled {name}", err=True)


@user.command("passwd")
@click.argument("name")
@_project_option
@_db_option
def user_passwd(name: str, project: Path, db_path: Path | None) -> None:
    """Set a new password (GUIDE_PASSWORD, or asked twice); the account's sessions end."""
    from .auth import hash_password

    name = name.strip().lower()
    storage = _open_for_users(project, db_path)
    try:
        known = storage.get_user(name) is not None
    finally:
        storage.close()
    if not known:
        raise click.ClickException(f"no account {name}")
    _update(project, db_path, name, password_hash=hash_password(_new_password(name)))
    click.echo(f"password of {name} changed", err=True)
