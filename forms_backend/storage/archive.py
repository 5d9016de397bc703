"""The enterprise archive: enterprises by code or name, the yearly catalogue (归档文件目录)."""
from __future__ import annotations

from .common import NAME_SQL, like, name_key
from .core import StoreBase

__all__ = ["ArchiveStore"]


class ArchiveStore(StoreBase):
    """Storage methods for archived applications."""

    def enterprises(self, query: str, *, limit: int = 50) -> list[dict]:
        """Enterprises whose code is ``query`` or whose name contains it, with their case counts."""
        return self._dicts(
            "SELECT uscc, (SELECT org_name FROM applications b WHERE b.uscc = a.uscc ORDER BY b.id DESC LIMIT 1) "
            "AS org_name, count(*) AS cases, max(submitted_at) AS last_submitted_at, "
            "sum(archive_year IS NOT NULL) AS archived FROM applications a "
            f"WHERE uscc = ? OR {NAME_SQL.format(col='org_name')} LIKE ? ESCAPE '\\' "
            "GROUP BY uscc ORDER BY max(id) DESC LIMIT ?",
            (query.upper(), like(name_key(query)), limit))

    def archive_years(self) -> list[tuple[int, int]]:
        return [tuple(r) for r in self._all("SELECT archive_year, count(*) FROM applications "
                                            "WHERE archive_year IS NOT NULL GROUP BY archive_year "
                                            "ORDER BY archive_year DESC")]
