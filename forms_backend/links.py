"""Links that leave the site (in emails): built on GUIDE_BASE_URL, never on the request's Host.

A request's Host and X-Forwarded-Host headers are chosen by whoever sends it; a link built
from them (``url_for(..., _external=True)``) would let anyone make the official system mail a
link to their own server. Only the path comes from the URL map.
"""
from __future__ import annotations

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """``GUIDE_BASE_URL`` + the path of ``endpoint`` (no script root taken from the request)."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return current_app.config["GUIDE_BASE_URL"] + adapter.build(endpoint, values)
