"""Constants, named errors and small helpers shared by the storage modules."""
from __future__ import annotations

import datetime as dt
import json  # noqa: F401 - the area modules take these names from here (star import)
import logging
import os  # noqa: F401
import secrets  # noqa: F401
import sqlite3
import threading  # noqa: F401
from contextlib import contextmanager  # noqa: F401

try:
    import fcntl
except ImportError:  # pragma: no cover - not Linux/macOS: SQLite's own locking only
    fcntl = None
from dataclasses import dataclass, field  # noqa: F401
from pathlib import Path  # noqa: F401
from typing import Callable, Iterator, Sequence  # noqa: F401

from sqlite_utils import Database  # noqa: F401
from sqlite_utils.migrations import Migrations  # noqa: F401

from ..vocabulary import (CONTACT_CHANNELS, FINAL_STATUSES, ISSUE_KINDS, NOTE_KINDS, ROLES, STATUSES,  # noqa: F401
                          SUGGESTION_KINDS, TOLD_VIA, TRANSITIONS)

log = logging.getLogger(__name__)

# SQLite releases before this one can corrupt a WAL database when two connections write or
# checkpoint at the same moment (the "WAL-reset" bug, fixed in 3.51.3).
SAFE_SQLITE = (3, 51, 3)

# Reference numbers avoid characters people confuse when reading or typing them: 0/O, 1/I/L.
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REF_RANDOM_CHARS = 5


class StorageError(Exception):
    """Base class of the storage errors."""


class DatabaseCorrupt(StorageError):
    """PRAGMA quick_check found problems in the database file."""


class DraftNotFound(StorageError):
    """No draft with this token (expired, purged or never made)."""


class StaleSubmission(StorageError):
    """The answers changed after the check-answers page was shown."""


class ApplicationNotFound(StorageError):
    """No application with this reference number."""


class BadTransition(StorageError):
    """This status change is not allowed from the application's current status."""


class StatusChanged(BadTransition):
    """Someone else changed the application's status since the page was shown."""


class UserExists(StorageError):
    """A staff account with this name already exists."""


class UserNotFound(StorageError):
    """No staff account with this name."""


class LastAdmin(StorageError):
    """The change would leave no active administrator."""


class IssueNotFound(StorageError):
    """No follow-up item with this number."""


class IssueClosed(StorageError):
    """The follow-up item is already closed."""


class VoteNotFound(StorageError):
    """No page-feedback vote with this number (or not this visitor's)."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")


def sqlite_version() -> tuple[int, ...]:
    return tuple(int(p) for p in sqlite3.sqlite_version.split("."))


def sqlite_is_safe() -> bool:
    return sqlite_version() >= SAFE_SQLITE
