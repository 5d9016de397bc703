"""Operator commands added to the ``guide`` group: ``serve``, ``db``, ``user`` and ``warnings`` (one module each).

Registered in pyproject.toml under the ``guide.commands`` entry-point group, which the
``guide`` command reads (site_builder never imports the backend). Errors become messages
and exit codes here, at the edge: 0 ok, 1 content/database problems, 2 usage errors.
"""
from .db import db
from .serve import serve
from .users import user
from .warnings import warnings

__all__ = ["db", "serve", "user", "warnings"]
