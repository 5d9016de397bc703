"""Access logs without bearer tokens or search terms.

Two things in URLs are secrets or personal data: the signed links of our emails
(``/track/link/<token>``, ``/feedback/followup/<token>``: whoever has one sees the
application, for ``GUIDE_TRACK_LINK_DAYS``) and query strings (the staff's searches for an
enterprise name or 统一社会信用代码, the filters of exports). Every access log we configure
writes the path with the token replaced and the query string cut:

- ``guide serve``: Werkzeug's request log, through ``RedactFilter`` (installed by create_app);
- gunicorn: ``--logger-class forms_backend.logredact.GunicornLogger``;
- nginx: the ``log_format`` of the README's sample.
"""
from __future__ import annotations

import logging
import re

# /track/link/<token>, /track/equipment/<token> and /feedback/followup/<token>: the signed part goes.
TOKEN_PATHS = re.compile(r"(/track/link/|/track/equipment/|/feedback/followup/)[^/?#\s\"]+")
REDACTED = "[redacted]"


def redact(uri: str) -> str:
    """A request path (or request line) as it may be logged."""
    def one(path: str) -> str:
        path = TOKEN_PATHS.sub(r"\1" + REDACTED, path)
        head, sep, _ = path.partition("?")
        return head + (f"?{REDACTED}" if sep else "")
    # A request line "GET /path?q HTTP/1.1" keeps its method and protocol.
    return re.sub(r"\S*/\S*", lambda m: one(m.group(0)), uri) if " " in uri else one(uri)


class RedactFilter(logging.Filter):
    """For Werkzeug's logger: its request lines ('"GET /x?q HTTP/1.1" 200 -') are redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            record.args = (redact(record.args[0]), *record.args[1:])
        elif isinstance(record.msg, str) and "/" in record.msg and not record.args:
            record.msg = redact(record.msg)
        return True


def install_werkzeug_filter() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactFilter) for f in logger.filters):
        logger.addFilter(RedactFilter())


try:  # gunicorn is a dependency, but keep this module importable without it
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger whose access-log atoms carry no tokens and no query strings."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        for key in ("q", "{query_string}e"):
            if atoms.get(key):
                atoms[key] = REDACTED
        for key in ("f", "{referer}i"):  # the Referer repeats the previous page's URL
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
