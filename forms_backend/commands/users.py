"""`guide user`: staff accounts of the console (argon2-hashed passwords)."""
from __future__ import annotations

import os
from pathlib import Path

import click

from .options import db_option, project_option, settings_overrides

__all__ = ["user"]

PASSWORD_ENV = "GUIDE_PASSWORD"
WEAK_PASSWORD = {
    "password_short": "the password must have at least {min} characters",
    "password_long": "the password must have at most {max} characters",
    "password_is_name": "the password must not be or contain the account name",
    "password_common": "the password is too common or too easy to guess (number runs, keyboard rows, "
                       "common words); choose a longer, less regular one",
}


@click.group()
def user() -> None:
    """Staff accounts of the console at /staff (argon2-hashed passwords)."""


def _open_for_users(project: Path, db_path: Path | None):
    """The database, created and migrated if needed: accounts may come before the first start."""
    from ..private_files import private_dir
    from ..settings import SettingsError, resolve
    from ..storage import Storage

    try:
        path = resolve(settings_overrides(project, db_path))["GUIDE_DB"]
    except SettingsError as exc:
        raise click.UsageError(str(exc))
    private_dir(path.parent)
    return Storage(path)


def _new_password(name: str) -> str:
    """From GUIDE_PASSWORD (scripts), else asked twice without echo; checked against the rules."""
    from ..forms.staff import WeakPassword, check_password

    password = os.environ.get(PASSWORD_ENV)
    if not password:
        password = click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    try:
        check_password(name, password)
    except WeakPassword as exc:
        raise click.ClickException(WEAK_PASSWORD[exc.key].format(**exc.params))
    return password


def _account_name(name: str) -> str:
    from ..forms.staff import clean_account_name

    try:
        return clean_account_name(name)
    except ValueError:
        raise click.UsageError(f"'{name}' is not a valid account name: start with a lower-case letter, then "
                               "letters, digits, '.', '_' or '-', 2 to 32 characters")


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True,
              help="admin may also manage accounts in the console.")
@project_option
@db_option
def user_add(name: str, role: str, project: Path, db_path: Path | None) -> None:
    """Create a staff account NAME (password from GUIDE_PASSWORD, or asked twice)."""
    from ..auth import hash_password
    from ..storage import UserExists

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
@project_option
@db_option
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
    from ..storage import LastAdmin, UserNotFound

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
@project_option
@db_option
def user_disable(name: str, project: Path, db_path: Path | None) -> None:
    """Disable an account; its sessions end at once."""
    _update(project, db_path, name, active=False)
    click.echo(f"disabled {name}", err=True)


@user.command("enable")
@click.argument("name")
@project_option
@db_option
def user_enable(name: str, project: Path, db_path: Path | None) -> None:
    """Enable a disabled account again."""
    _update(project, db_path, name, active=True)
    click.echo(f"enabled {name}", err=True)


@user.command("passwd")
@click.argument("name")
@project_option
@db_option
def user_passwd(name: str, project: Path, db_path: Path | None) -> None:
    """Set a new password (GUIDE_PASSWORD, or asked twice); the account's sessions end."""
    from ..auth import hash_password

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
