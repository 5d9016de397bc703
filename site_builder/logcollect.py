"""A logging handler that keeps the warnings a library logs during one call (MkDocs, WeasyPrint)."""
from __future__ import annotations

import logging


class WarningCollector(logging.Handler):
    """Collects the messages of WARNING and above while it is attached to a logger."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())
