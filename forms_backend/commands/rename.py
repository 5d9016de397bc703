"""``guide rename`` hook (entry point ``guide.rename_hooks``): the backend's stored rows follow a
renamed service. The editors' command moves the content; this re-points the database."""
from __future__ import annotations

from pathlib import Path

from .options import settings_overrides

__all__ = ["repoint_after_rename"]


def repoint_after_rename(*, project: Path, db_path: Path | None, old: str, new: str) -> list[str]:
    """Stored applications, drafts, 意见箱 entries and follow-up items of service ``old`` now
    name ``new``; returns the lines ``guide rename`` prints."""
    from ..settings import resolve
    from ..storage import Storage

    path = resolve(settings_overrides(project, db_path))["GUIDE_DB"]
    if not Path(path).is_file():
        return [f"no database at {path}: no stored applications to re-point"]
    storage = Storage(path, migrate=False)
    try:
        changed = storage.rename_service(old, new)
    finally:
        storage.close()
    return [f"database {path}: " + ", ".join(f"{n} {table}" for table, n in changed.items())
            + f" re-pointed to '{new}'"]
