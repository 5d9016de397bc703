"""Follow-up items (a bad rating or an 意见箱 entry): owner, notes, contacts, closing."""
from __future__ import annotations

from typing import Sequence

from sqlite_utils import Database

from ..vocabulary import TOLD_VIA
from .common import iso, utcnow
from .errors import IssueClosed, IssueNotFound, StorageError
from .records import Issue, IssueNote
from .core import StoreBase

__all__ = ["IssuesStore"]


class IssuesStore(StoreBase):
    """Storage methods for ``issues`` and ``issue_notes``."""

    _ISSUE_SELECT = (
        "SELECT i.id, i.kind, i.application_id, i.rating_id, i.suggestion_id, i.service_id, i.service_name, "
        "i.opened_at, i.first_contact_due, i.rectify_due, i.first_contact_at, i.owner, i.status, i.closed_at, "
        "i.outcome, i.told_via, coalesce(a.ref, s.ref), coalesce(a.org_name, s.org_name, s.name) "
        "FROM issues i LEFT JOIN applications a ON a.id = i.application_id "
        "LEFT JOIN suggestions s ON s.id = i.suggestion_id")

    @staticmethod
    def _issue(row: tuple) -> Issue:
        return Issue(*row)

    def list_issues(self, *, status: str | None = "open", kind: str | None = None, owner: str | None = None,
                    overdue_on: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Issue], int]:
        """Follow-up items; ``overdue_on`` (a local date) keeps the open ones past a deadline."""
        where, params = [], []
        if status:
            where.append("i.status = ?")
            params.append(status)
        if kind:
            where.append("i.kind = ?")
            params.append(kind)
        if owner:
            where.append("i.owner = ?")
            params.append(owner)
        if overdue_on:
            where.append("i.status = 'open' AND (i.rectify_due < ? OR (i.first_contact_at IS NULL AND "
                         "i.first_contact_due IS NOT NULL AND i.first_contact_due < ?))")
            params += [overdue_on, overdue_on]
        sql_where = (" WHERE " + " AND ".join(where)) if where else ""
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM issues i{sql_where}", params).fetchone()[0]
            rows = self.db.execute(f"{self._ISSUE_SELECT}{sql_where} ORDER BY i.status = 'closed', i.rectify_due, "
                                   f"i.id LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [self._issue(r) for r in rows], total

    def get_issue(self, issue_id: int) -> Issue | None:
        with self._lock:
            row = self.db.execute(f"{self._ISSUE_SELECT} WHERE i.id = ?", (issue_id,)).fetchone()
            if row is None:
                return None
            issue = self._issue(row)
            issue.notes = [IssueNote(*r) for r in self.db.execute(
                "SELECT at, actor, kind, channel, note FROM issue_notes WHERE issue_id = ? ORDER BY id",
                (issue_id,)).fetchall()]
        return issue

    def _open_issue(self, db: Database, issue_id: int) -> tuple:
        row = db.execute("SELECT id, status FROM issues WHERE id = ?", (issue_id,)).fetchone()
        if row is None:
            raise IssueNotFound(str(issue_id))
        if row[1] != "open":
            raise IssueClosed(str(issue_id))
        return row

    def set_issue_owner(self, issue_id: int, owner: str | None, *, actor: str) -> None:
        now = iso(utcnow())
        with self._immediate() as db:
            self._open_issue(db, issue_id)
            db.execute("UPDATE issues SET owner = ? WHERE id = ?", (owner, issue_id))
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?,?, 'owner', ?)",
                       (issue_id, now, actor, owner))

    def add_issue_note(self, issue_id: int, *, actor: str, note: str, channel: str | None = None,
                       at: str | None = None) -> None:
        """A note; with a ``channel`` it is a contact with the enterprise (the first one is dated)."""
        now = iso(utcnow())
        with self._immediate() as db:
            self._open_issue(db, issue_id)
            kind = "contact" if channel else "note"
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, channel, note) VALUES (?,?,?,?,?,?)",
                       (issue_id, at or now, actor, kind, channel, note))
            if channel:
                db.execute("UPDATE issues SET first_contact_at = coalesce(first_contact_at, ?) WHERE id = ?",
                           (at or now, issue_id))

    def close_issue(self, issue_id: int, *, actor: str, outcome: str, told_via: str,
                    mails: Sequence[dict] = ()) -> None:
        """Close with the outcome told to the enterprise; ``mails`` carry it when told by email."""
        if told_via not in TOLD_VIA:
            raise StorageError(f"unknown way of telling '{told_via}'")
        now = iso(utcnow())
        with self._immediate() as db:
            self._open_issue(db, issue_id)
            app_id = db.execute("SELECT application_id FROM issues WHERE id = ?", (issue_id,)).fetchone()[0]
            db.execute("UPDATE issues SET status = 'closed', closed_at = ?, outcome = ?, told_via = ? WHERE id = ?",
                       (now, outcome, told_via, issue_id))
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?,?, 'closed', ?)",
                       (issue_id, now, actor, outcome))
            self._queue_mail(db, app_id, mails, now)
