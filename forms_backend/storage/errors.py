"""The named errors of the storage layer; the views translate them at the edge."""
from __future__ import annotations

__all__ = ["StorageError", "DatabaseCorrupt", "DraftNotFound", "StaleSubmission", "ApplicationNotFound", "BadTransition", "StatusChanged", "UserExists", "UserNotFound", "LastAdmin", "IssueNotFound", "IssueClosed", "NotClosed", "VoteNotFound", "RecordNotFound", "ProductNotFound", "RecordChanged",
           "StorageUnavailable", "StorageBusy", "StorageFull",
           "EquipmentNotFound", "DuplicateDeviceCode"]


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


class NotClosed(StorageError):
    """Only a closed case or follow-up item can be reopened (or asked about its handling)."""


class VoteNotFound(StorageError):
    """No page-feedback vote with this number (or not this visitor's)."""


class RecordNotFound(StorageError):
    """No service record with this id."""


class ProductNotFound(StorageError):
    """No product with this id (for this enterprise)."""


class RecordChanged(StorageError):
    """Someone else changed the service record since the edit form was shown."""


class StorageUnavailable(StorageError):
    """The data cannot be written just now; nothing of the attempt is stored, retrying later works."""


class StorageBusy(StorageUnavailable):
    """Another connection kept the database locked for longer than the busy timeout."""


class StorageFull(StorageUnavailable):
    """The disk holding the data folder is full (SQLITE_FULL, ENOSPC)."""


class EquipmentNotFound(StorageError):
    """No equipment record with that id."""


class DuplicateDeviceCode(StorageError):
    """Another equipment record already has that device code."""
