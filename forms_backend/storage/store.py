"""``Storage``: the core (``core.StoreBase``) with every area's methods, one class for the app."""
from __future__ import annotations

from .accounts import AccountsStore
from .applications import ApplicationsStore
from .archive import ArchiveStore
from .console import ConsoleStore
from .corrections import CorrectionsStore
from .core import StoreBase
from .drafts import DraftsStore
from .equipment import EquipmentStore
from .exports import ExportsStore
from .issues import IssuesStore
from .mail_queue import MailQueueStore
from .page_feedback import PageFeedbackStore
from .queue import QueueStore
from .ratings import RatingsStore
from .results import ResultsStore
from .service_records import ServiceRecordsStore
from .statistics import StatisticsStore
from .suggestions import SuggestionsStore

__all__ = ["Storage"]


class Storage(DraftsStore, ApplicationsStore, CorrectionsStore, MailQueueStore, QueueStore, ArchiveStore, AccountsStore, RatingsStore,
              PageFeedbackStore, SuggestionsStore, IssuesStore, ResultsStore, StatisticsStore, ConsoleStore, ExportsStore,
              ServiceRecordsStore, EquipmentStore, StoreBase):
    """One SQLite database file, opened once per process, with the queries of every area."""
