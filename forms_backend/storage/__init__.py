"""Storage: every SQL statement of the backend lives in this package.

SQLite (the one library ``sqlite`` imports: the pysqlite3 wheel's bundled SQLite, else Python's)
through sqlite-utils. One connection per process, shared by its threads behind a lock; WAL, a
busy timeout, and ``BEGIN IMMEDIATE`` wherever a read decides a write:
reference numbers, submissions, status changes, claiming mail. Migrations are numbered and
recorded by sqlite-utils' ``Migrations`` (``migrations.py``).

One module per table or area, each a mixin of ``Storage`` over ``core.StoreBase``: ``drafts``,
``applications``, ``mail_queue``, ``queue``, ``archive``, ``accounts``, ``ratings``,
``page_feedback``, ``suggestions``, ``issues``, ``results``, ``statistics`` (aggregates in SQL), ``console``,
``exports`` (rows streamed on a read connection of their own, the paged catalogue), ``corrections`` (补正),
``service_records`` (offline records, products, the archive timeline and its view log), ``equipment`` (the
equipment register, its warnings and enterprise links); ``records`` holds the
dataclasses returned, ``errors`` the named errors, ``common`` small helpers, ``sqlite`` the SQLite module.

This module is the seam for moving to another database: views never see SQL or rows, only
the dataclasses and dicts returned here.
"""
from __future__ import annotations

from . import sqlite
from .common import REF_ALPHABET, archive_no, iso, random_code, utcnow
from .core import check_copy, restore_copy
from .corrections import CorrectionNotOpen, correction_field
from .errors import (ApplicationNotFound, BadTransition, DatabaseCorrupt, DraftNotFound, DuplicateDeviceCode,
                     EquipmentNotFound, IssueClosed, IssueNotFound, LastAdmin, NotClosed, ProductNotFound, RecordChanged,
                     RecordNotFound, StaleSubmission, StatusChanged, StorageBusy, StorageError, StorageFull,
                     StorageUnavailable, UserExists, UserNotFound, VoteNotFound)
from .equipment import EQUIPMENT_FIELDS, EquipmentFilter, Warning
from .exports import ExportFilter
from .migrations import migrations
from .records import (ApplicationRecord, ConsoleCounts, Contact, Correction, Draft, Event, Issue, IssueNote, NewUpload, QueuedMail,
                      QueueFilter, QueueRow, Rating, ResultDocument, StaffSession, StaffUser, Submitted, Suggestion,
                      SuggestionStatus)
from .store import Storage

__all__ = [
    "Storage", "migrations", "check_copy", "restore_copy", "ExportFilter", "EquipmentFilter", "EQUIPMENT_FIELDS",
    "Warning", "DuplicateDeviceCode", "EquipmentNotFound", "CorrectionNotOpen", "correction_field", "Correction",
    # errors
    "ApplicationNotFound", "BadTransition", "DatabaseCorrupt", "DraftNotFound", "IssueClosed", "IssueNotFound",
    "LastAdmin", "NotClosed", "ProductNotFound", "RecordChanged", "RecordNotFound", "StaleSubmission", "StatusChanged", "StorageError", "StorageUnavailable", "StorageBusy", "StorageFull", "UserExists", "UserNotFound", "VoteNotFound",
    # records
    "ApplicationRecord", "ConsoleCounts", "Contact", "Draft", "Event", "Issue", "IssueNote", "NewUpload", "QueuedMail", "QueueFilter",
    "QueueRow", "Rating", "ResultDocument", "StaffSession", "StaffUser", "Submitted", "Suggestion", "SuggestionStatus",
    # helpers
    "REF_ALPHABET", "archive_no", "iso", "random_code", "sqlite", "utcnow",
]
