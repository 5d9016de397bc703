"""Links that leave the site (in emails): built on GUIDE_BASE_URL, never on the request's Host.

A request's Host and X-Forwarded-Host headers are chosen by whoever sends it; a link built
from them (``url_for(..., _external=True)``) would let anyone make the official system mail a
link to their own server. Only the path comes from the URL map.
"""
from __future__ import annotations

import functools

from flask import current_app
from werkzeug.routing import Map, MapAdapter


def external_url(endpoint: str, **values) -> str:
    """``GUIDE_BASE_URL`` + the path of ``endpoint`` (no script root taken from the request)."""
    return current_app.config["GUIDE_BASE_URL"] + _paths(current_app.url_map).build(endpoint, values)


@functools.lru_cache(maxsize=8)
def _paths(url_map: Map) -> MapAdapter:
    # One adapter per URL map (an app's): building a path keeps no state in it.
    return url_map.bind("localhost", script_name="/")


# ---------------------------------------------------------------- signed links of the equipment register

APPLY_SALT = "equipment-apply"
ENTERPRISE_SALT = "enterprise-equipment"


def _serializer(salt: str):
    from itsdangerous import URLSafeSerializer
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _read(salt: str, token: str, types: tuple[type, type]) -> tuple | None:
    """The pair a token of ``salt`` signed, when its signature and its types are right."""
    from itsdangerous import BadSignature
    try:
        value = _serializer(salt).loads(token)
    except BadSignature:
        return None
    if isinstance(value, list) and len(value) == 2 and all(type(v) is t for v, t in zip(value, types)):
        return value[0], value[1]
    return None


def equipment_apply_token(equipment_id: int, cycle: int) -> str:
    """The token of a warning's link to the pre-filled periodic-inspection application: valid for
    the record's cycle it was sent in (a later cycle's notice carries a new one)."""
    return _serializer(APPLY_SALT).dumps([equipment_id, cycle])


def read_equipment_apply_token(token: str) -> tuple[int, int] | None:
    return _read(APPLY_SALT, token, (int, int))


def enterprise_token(link_id: int, uscc: str) -> str:
    """The token of an enterprise's link to its own equipment list (revoked by its row, not by time)."""
    return _serializer(ENTERPRISE_SALT).dumps([link_id, uscc])


def read_enterprise_token(token: str) -> tuple[int, str] | None:
    return _read(ENTERPRISE_SALT, token, (int, str))
