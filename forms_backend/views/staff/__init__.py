"""The staff console (``/staff``): one blueprint, its pages split by area (see ``base``)."""
from . import (accounts, archive, cases, equipment, equipment_dashboard, equipment_import, feedback, followup, reports, review,  # noqa: F401
               service_records, work)  # they add the routes
from .base import bp

__all__ = ["bp"]
