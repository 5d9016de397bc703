"""Storage: every SQL statement of the backend lives in this package.

SQLite through sqlite-utils. One connection per process, shared by its threads behind a lock
(the single writer that keeps us clear of the WAL-reset bug of SQLite < 3.51.3 as far as one
process can); WAL, a busy timeout, and ``BEGIN IMMEDIATE`` wherever a read decides a write:
reference numbers, submissions, status changes, claiming mail. Migrations are numbered and
recorded by sqlite-utils' ``Migrations``; a later migration adds the staff console's tables.

This module is the seam for moving to another database: views never see SQL or rows, only
the dataclasses and dicts returned here.
"""
from __future__ import annotations

# The package splits one long module by area; callers keep importing from forms_backend.storage.
from .common import *  # noqa: F401,F403
from .migrations import migrations  # noqa: F401
from .records import *  # noqa: F401,F403
from .store import Storage  # noqa: F401
