"""Errors of the site side (after the content was valid)."""
from __future__ import annotations

from .content.diagnostics import GuideError


class BuildError(GuideError):
    """The site engine failed after the content was valid."""


class PublishRefused(GuideError):
    """``--publish`` was asked while items are unconfirmed or placeholders remain; ``items`` lists them."""

    def __init__(self, items):
        self.items = items
        super().__init__(f"{len(items)} item(s) unconfirmed or with placeholders")


class HandbookError(GuideError):
    """The printed handbook could not be made (a missing font, a broken drawing, ...)."""
