"""The staff console (``/staff``): one blueprint, its pages split by area (see ``base``)."""
from . import accounts, archive, cases, feedback, followup, reports, review, work  # noqa: F401 - they add the routes
from .base import bp

__all__ = ["bp"]
