"""Options the backend's commands share: the guide folder and the database file."""
from __future__ import annotations

import os
from pathlib import Path

import click

__all__ = ["db_option", "project_option", "settings_overrides"]


def project_option(f):
    return click.option("--project", "project", type=click.Path(file_okay=False, path_type=Path),
                        default=lambda: os.environ.get("GUIDE_PROJECT", "."), show_default="GUIDE_PROJECT or .",
                        help="Guide folder holding content/ and flows/.")(f)


def db_option(f):
    return click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="SQLite file (default GUIDE_DB, else <data dir>/guide.db); uploads/, outbox/ "
                             "and secret_key live beside it.")(f)


def settings_overrides(project: Path, db_path: Path | None) -> dict:
    """The GUIDE_* settings the options give (the rest comes from the environment)."""
    overrides: dict = {"GUIDE_PROJECT": project}
    if db_path is not None:
        overrides["GUIDE_DB"] = db_path
        overrides["GUIDE_DATA_DIR"] = db_path.resolve().parent
    return overrides
