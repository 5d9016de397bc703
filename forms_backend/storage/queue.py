"""The staff queue: filtering, sorting and exporting applications."""
from __future__ import annotations


from ..vocabulary import FINAL_STATUSES, NO_ASSIGNEE
from .common import NAME_SQL, archive_no, like, name_key, sql_list
from .records import QueueFilter, QueueRow
from .core import StoreBase

__all__ = ["QueueStore"]


class QueueStore(StoreBase):
    """Storage methods that search applications for staff."""

    _LAST_CONTACT = "(SELECT max(c.at) FROM contacts c WHERE c.application_id = a.id)"
    _SCORE = "(SELECT r.score FROM ratings r WHERE r.application_id = a.id AND r.current = 1)"
    _CORRECTION_DUE = ("(SELECT min(c.due_on) FROM corrections c WHERE c.application_id = a.id "
                       "AND c.answered_at IS NULL AND a.status = 'needs_info')")
    _OPEN = f"a.status NOT IN ({sql_list(FINAL_STATUSES)})"
    SORTS = {  # name -> ORDER BY terms (each gets the direction)
        "submitted": ("a.id",), "updated": ("a.updated_at",), "due": ("a.due_at IS NULL", "a.due_at"),
        "org": ("a.org_name",), "service": ("a.service_name",), "status": ("a.status",),
        "contact": (f"coalesce({_LAST_CONTACT}, a.submitted_at)",),
    }

    def _queue_where(self, f: QueueFilter) -> tuple[str, list]:
        where, params = [], []
        if f.service_id:
            where.append("a.service_id = ?")
            params.append(f.service_id)
        if f.status == "open":
            where.append(self._OPEN)
        elif f.status:
            where.append("a.status = ?")
            params.append(f.status)
        if f.submitted_from:
            where.append("a.submitted_at >= ?")
            params.append(f.submitted_from)
        if f.submitted_before:
            where.append("a.submitted_at < ?")
            params.append(f.submitted_before)
        if f.enterprise:
            where.append(f"(a.uscc = ? OR {NAME_SQL.format(col='a.org_name')} LIKE ? ESCAPE '\\')")
            params += [f.enterprise.upper(), like(name_key(f.enterprise))]
        if f.uscc:
            where.append("a.uscc = ?")
            params.append(f.uscc)
        if f.assignee == NO_ASSIGNEE:
            where.append("a.assignee IS NULL")
        elif f.assignee:
            where.append("a.assignee = ?")
            params.append(f.assignee)
        if f.overdue == "time":
            where.append(f"{self._OPEN} AND a.due_at IS NOT NULL AND a.due_at < ?")
            params.append(f.today)
        elif f.overdue == "nolimit":
            where.append(f"{self._OPEN} AND a.status != 'submitted' AND a.due_at IS NULL")
        elif f.overdue == "correction":  # 补正 whose deadline passed without an answer
            where.append("a.status = 'needs_info' AND EXISTS (SELECT 1 FROM corrections c WHERE "
                         "c.application_id = a.id AND c.answered_at IS NULL AND c.due_on < ?)")
            params.append(f.today)
        elif f.overdue == "followup":
            where.append(f"{self._OPEN} AND coalesce({self._LAST_CONTACT}, a.submitted_at) < ?")
            params.append(f.followup_cutoff)
        return (" WHERE " + " AND ".join(where)) if where else "", params

    def search_applications(self, f: QueueFilter, *, sort: str = "submitted", descending: bool = True,
                            limit: int = 25, offset: int = 0) -> tuple[list[QueueRow], int]:
        """One page of the queue and the number of applications that match."""
        where, params = self._queue_where(f)
        order = ", ".join(f"{part} {'DESC' if descending else 'ASC'}" for part in self.SORTS[sort])
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM applications a{where}", params).fetchone()[0]
            rows = self.db.execute(
                f"SELECT a.ref, a.service_id, a.service_name, a.status, a.org_name, a.uscc, a.submitted_at, "
                f"a.updated_at, a.due_at, a.closed_at, a.archive_year, a.archive_seq, {self._LAST_CONTACT}, "
                f"{self._SCORE}, a.assignee, {self._CORRECTION_DUE} FROM applications a{where} "
                f"ORDER BY {order}, a.id DESC LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [QueueRow(*r[:10], archive_no(r[10], r[11]), r[12], r[13], r[14], r[15]) for r in rows], total
