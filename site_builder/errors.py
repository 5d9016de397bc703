"""Errors of the site side (after the content was valid)."""
from __future__ import annotations

from .content.diagnostics import GuideError


class BuildError(GuideError):
    """The site engine failed after the content was valid."""
