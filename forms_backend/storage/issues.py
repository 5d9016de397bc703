"""Follow-up items (a bad rating or an 意见箱 entry): owner, notes, contacts, closing."""
from __future__ import annotations

from typing import Callable, Sequence

from sqlite_utils import Database

from ..vocabulary import FOLLOWUP_SCORES, TOLD_VIA
from .common import iso, utcnow
from .errors import IssueClosed, IssueNotFound, NotClosed, StorageError
from .records import Issue, IssueNote
from .core import StoreBase

__all__ = ["IssuesStore"]


class IssuesStore(StoreBase):
    """Storage methods for ``issues`` and ``issue_notes``."""

    _ISSUE_SELECT = (
        "SELECT i.id, i.kind, i.application_id, i.rating_id, i.suggestion_id, i.service_id, i.service_name, "
        "i.opened_at, i.first_contact_due, i.rectify_due, i.first_contact_at, i.owner, i.status, i.closed_at, "
        "i.outcome, i.told_via, coalesce(a.ref, s.ref, e.device_code), coalesce(a.org_name, s.org_name, s.name, e.org_name), "
        "i.group_id, i.followup_score, i.followup_at, i.followup_comment, i.equipment_id "
        "FROM issues i LEFT JOIN applications a ON a.id = i.application_id "
        "LEFT JOIN suggestions s ON s.id = i.suggestion_id LEFT JOIN equipment e ON e.id = i.equipment_id")

    @staticmethod
    def _issue(row: tuple) -> Issue:
        issue = Issue(*row[:18])
        issue.group_id, issue.followup_score, issue.followup_at, issue.followup_comment, issue.equipment_id = row[18:23]
        return issue

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
                    mails: Sequence[dict] = ()) -> list[int]:
        """Close with the outcome told to the enterprise; ``mails`` carry it when told by email.

        The open items linked to it (about the same case, or merged by staff) close with it and
        the same outcome: one matter, one answer. Returns the ids closed.
        """
        if told_via not in TOLD_VIA:
            raise StorageError(f"unknown way of telling '{told_via}'")
        now = iso(utcnow())
        with self._immediate() as db:
            self._open_issue(db, issue_id)
            app_id, group = db.execute("SELECT application_id, group_id FROM issues WHERE id = ?",
                                       (issue_id,)).fetchone()
            closing = [issue_id] + [r[0] for r in db.execute(
                "SELECT id FROM issues WHERE group_id = ? AND status = 'open' AND id != ? ORDER BY id",
                (group, issue_id)).fetchall()]
            for member in closing:
                db.execute("UPDATE issues SET status = 'closed', closed_at = ?, outcome = ?, told_via = ? "
                           "WHERE id = ?", (now, outcome, told_via, member))
                db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?,?, 'closed', ?)",
                           (member, now, actor, outcome if member == issue_id else
                            f"随第 {issue_id} 号事项一并办结：{outcome}"))
            self._queue_mail(db, app_id, mails, now)
        return closing

    def _open_linked(self, db: Database, issue_id: int, application_id: int | None, ref: str, now: str,
                     alert: Callable | None) -> None:
        """A new item: link it to its case's open items, give it their owner, queue the alert.

        ``alert(issue_id, ref, owner, email)`` returns the mails that tell staff at once; they
        are queued in the same transaction as the item.
        """
        self._link_to_case(db, issue_id, application_id, now)
        owner, email = self._alert_target(db, issue_id)
        if owner:
            db.execute("UPDATE issues SET owner = coalesce(owner, ?) WHERE id = ?", (owner, issue_id))
        if alert is not None:
            self._queue_mail(db, application_id, alert(issue_id, ref, owner, email), now)

    # ------------------------------------------------------------ linked items, reopening, 回访满意度

    _CASE_OF_ISSUE = ("coalesce(i.application_id, (SELECT a.id FROM suggestions s JOIN applications a "
                      "ON a.ref = s.related_ref WHERE s.id = i.suggestion_id))")

    def _link_to_case(self, db: Database, issue_id: int, application_id: int | None, now: str) -> int:
        """Join a new item to the open items about the same case; returns its group id."""
        group = None
        if application_id is not None:
            row = db.execute(f"SELECT min(i.group_id) FROM issues i WHERE i.status = 'open' AND i.id != ? AND "
                             f"{self._CASE_OF_ISSUE} = ?", (issue_id, application_id)).fetchone()
            group = row[0] if row else None
        if group is None:
            db.execute("UPDATE issues SET group_id = id WHERE id = ?", (issue_id,))
            return issue_id
        db.execute("UPDATE issues SET group_id = ? WHERE id = ?", (group, issue_id))
        for (other,) in db.execute("SELECT id FROM issues WHERE group_id = ? AND id != ?", (group, issue_id)).fetchall():
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?, 'system', 'linked', ?)",
                       (other, now, f"第 {issue_id} 号事项涉及同一申请，已关联"))
        db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?, 'system', 'linked', ?)",
                   (issue_id, now, f"涉及同一申请，已关联到第 {group} 号事项"))
        return group

    def _alert_target(self, db: Database, issue_id: int) -> tuple[str | None, str | None]:
        """Who should hear about a new item at once: (account name, its email) of the group's owner
        or, without one, of the case's 承办人; (None, None) when neither is known."""
        row = db.execute(
            f"SELECT coalesce((SELECT o.owner FROM issues o WHERE o.group_id = i.group_id AND o.owner IS NOT NULL "
            f"ORDER BY o.id LIMIT 1), (SELECT a.assignee FROM applications a WHERE a.id = {self._CASE_OF_ISSUE})) "
            f"FROM issues i WHERE i.id = ?", (issue_id,)).fetchone()
        name = row[0] if row else None
        if not name:
            return None, None
        found = db.execute("SELECT email FROM users WHERE name = ? AND active = 1", (name,)).fetchone()
        return name, (found[0] if found else None)

    def issue_group(self, issue_id: int) -> list[Issue]:
        """The item and every item linked to it, in order of arrival."""
        rows = self._all("SELECT id FROM issues WHERE group_id = (SELECT group_id FROM issues WHERE id = ?) "
                         "ORDER BY id", (issue_id,))
        return [self.get_issue(r[0]) for r in rows]

    def merge_issues(self, issue_id: int, into: int, *, actor: str) -> int:
        """Link the item's group to another item's group (staff saw they are about one matter)."""
        now = iso(utcnow())
        with self._immediate() as db:
            rows = {r[0]: r[1:] for r in db.execute("SELECT id, group_id, status FROM issues WHERE id IN (?, ?)",
                                                     (issue_id, into)).fetchall()}
            if issue_id not in rows or into not in rows:
                raise IssueNotFound(str(into if issue_id in rows else issue_id))
            source, target = rows[issue_id][0], rows[into][0]
            if source == target:
                return target
            if "open" not in (rows[issue_id][1], rows[into][1]):
                raise IssueClosed(str(issue_id))
            group = min(source, target)
            moved = [r[0] for r in db.execute("SELECT id FROM issues WHERE group_id IN (?, ?)",
                                              (source, target)).fetchall()]
            db.execute("UPDATE issues SET group_id = ? WHERE group_id IN (?, ?)", (group, source, target))
            for member in moved:
                db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?,?, 'merged', ?)",
                           (member, now, actor, f"第 {issue_id} 号与第 {into} 号事项合并处理"))
        return group

    def reopen_issue(self, issue_id: int, *, actor: str, reason: str) -> None:
        """Reopen an item closed by mistake; the earlier outcome stays in its notes."""
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT status FROM issues WHERE id = ?", (issue_id,)).fetchone()
            if row is None:
                raise IssueNotFound(str(issue_id))
            if row[0] != "closed":
                raise NotClosed(str(issue_id))
            db.execute("UPDATE issues SET status = 'open', closed_at = NULL, outcome = NULL, told_via = NULL, "
                       "followup_score = NULL, followup_at = NULL, followup_comment = NULL WHERE id = ?", (issue_id,))
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?,?, 'reopened', ?)",
                       (issue_id, now, actor, reason))

    def record_followup(self, issue_id: int, *, score: int, comment: str | None, actor: str) -> None:
        """回访满意度: how satisfied the enterprise is with the handling, for the item and its group."""
        if score not in FOLLOWUP_SCORES:
            raise StorageError(f"unknown follow-up score {score!r}")
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT status, group_id FROM issues WHERE id = ?", (issue_id,)).fetchone()
            if row is None:
                raise IssueNotFound(str(issue_id))
            if row[0] != "closed":
                raise NotClosed(str(issue_id))
            members = [r[0] for r in db.execute("SELECT id FROM issues WHERE group_id = ? AND status = 'closed'",
                                                (row[1],)).fetchall()]
            for member in members:
                db.execute("UPDATE issues SET followup_score = ?, followup_at = ?, followup_comment = ? WHERE id = ?",
                           (score, now, comment, member))
                db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?,?, 'followup', ?)",
                           (member, now, actor, f"回访满意度：{FOLLOWUP_SCORES[score]}" +
                            (f"。{comment}" if comment else "")))
