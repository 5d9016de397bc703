"""The staff console (``/staff``): one blueprint, its pages split by area (see ``base``)."""
from . import (accounts, archive, cases, feedback, followup, reports, review, service_records,  # noqa: F401
               work)  # they add the routes
from .base import bp

__all__ = ["bp"]
