"""The rows statistics and the yearly report are computed from (see ``reports.stats``)."""
from __future__ import annotations

from ..vocabulary import FINAL_STATUSES
from .common import between, sql_list
from .core import StoreBase

__all__ = ["StatisticsStore"]


class StatisticsStore(StoreBase):
    """Storage methods that read across tables for statistics."""

    def stats_applications(self, since: str | None, until: str | None) -> list[dict]:
        where, params = between("submitted_at", since, until)
        return self._dicts(
            f"SELECT service_id, service_name, status, submitted_at, closed_at, due_at, uscc FROM applications{where}",
            params)

    def stats_ratings(self, since: str | None, until: str | None) -> list[dict]:
        where, params = between("r.created_at", since, until)
        where = (where + " AND" if where else " WHERE") + " r.current = 1"
        return self._dicts(
            f"SELECT a.service_id, a.service_name, r.score, r.q_guide, r.q_process, r.q_materials, r.q_interface "
            f"FROM ratings r JOIN applications a ON a.id = r.application_id{where}", params)

    def stats_issues(self, since: str | None, until: str | None) -> list[dict]:
        where, params = between("opened_at", since, until)
        return self._dicts(
            f"SELECT kind, status, opened_at, first_contact_due, first_contact_at, rectify_due, closed_at, "
            f"service_name, outcome FROM issues{where} ORDER BY id", params)

    def stats_contacts(self, since: str | None, until: str | None) -> dict[str, int]:
        where, params = between("at", since, until)
        return dict(self._all(f"SELECT channel, count(*) FROM contacts{where} GROUP BY channel", params))

    def count_open_issues_overdue(self, today: str) -> dict[str, int]:
        row = self._one(
            "SELECT sum(first_contact_at IS NULL AND first_contact_due IS NOT NULL AND first_contact_due < ?), "
            "sum(rectify_due < ?) FROM issues WHERE status = 'open'", (today, today))
        return {"first_contact": row[0] or 0, "rectify": row[1] or 0}

    def count_closed_without_limit(self, since: str | None, until: str | None) -> int:
        """Closed cases submitted in the range that had no due date (the guide gives no days)."""
        where, params = between("submitted_at", since, until)
        where = (where + " AND" if where else " WHERE") + f" status IN ({sql_list(FINAL_STATUSES)}) AND due_at IS NULL"
        return self._one(f"SELECT count(*) FROM applications{where}", params)[0]
