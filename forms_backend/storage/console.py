"""What the staff console and its daily digest count across areas, and jobs that run once a day."""
from __future__ import annotations

from typing import Callable

from ..vocabulary import FINAL_STATUSES
from .common import iso, sql_list, utcnow
from .core import StoreBase
from .records import ConsoleCounts

__all__ = ["ConsoleStore", "NEXT_DEADLINE"]

# The next deadline of an open follow-up item: first contact until it happened, then rectification.
NEXT_DEADLINE = "coalesce(CASE WHEN i.first_contact_at IS NULL THEN i.first_contact_due END, i.rectify_due)"


class ConsoleStore(StoreBase):
    """The navigation's counts, the digest's lists, and the ``jobs`` table."""

    def console_counts(self, today: str, user: str | None) -> ConsoleCounts:
        """Everything the navigation shows, in one query (``today`` is a local date)."""
        open_case = f"status NOT IN ({sql_list(FINAL_STATUSES)})"
        issue_due = NEXT_DEADLINE.replace("i.", "")
        row = self._one(
            f"SELECT (SELECT count(*) FROM applications WHERE status = 'submitted'), "
            f"(SELECT count(*) FROM applications WHERE assignee = ? AND {open_case}), "
            f"(SELECT count(*) FROM applications WHERE {open_case} AND due_at = ?), "
            f"(SELECT count(*) FROM applications WHERE {open_case} AND due_at < ?), "
            f"(SELECT count(*) FROM issues WHERE status = 'open'), "
            f"(SELECT count(*) FROM issues WHERE status = 'open' AND {issue_due} = ?), "
            f"(SELECT count(*) FROM issues WHERE status = 'open' AND {issue_due} < ?), "
            f"(SELECT count(*) FROM mail_queue WHERE status = 'failed')",
            (user or "", today, today, today, today))
        return ConsoleCounts(*row)

    def daily_job(self, name: str, today: str, compose: Callable[[], list[dict]]) -> bool:
        """Run the job ``name`` once per ``today`` (a local date) across all processes.

        In one transaction: check and stamp the job's last run and queue the mails ``compose``
        returns (it may read the database). False when the job already ran today.
        """
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT last_run FROM jobs WHERE name = ?", (name,)).fetchone()
            if row is not None and row[0] >= today:
                return False
            db.execute("INSERT INTO jobs (name, last_run) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                       "last_run = excluded.last_run", (name, today))
            self._queue_mail(db, None, compose(), now)
        return True

    def job_done(self, name: str, today: str) -> bool:
        """Whether the once-a-day job ``name`` has finished for ``today`` (a local date)."""
        row = self._one("SELECT last_run FROM jobs WHERE name = ?", (name,))
        return row is not None and row[0] >= today

    def stamp_job(self, name: str, today: str) -> None:
        with self._immediate() as db:
            db.execute("INSERT INTO jobs (name, last_run) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET "
                       "last_run = max(last_run, excluded.last_run)", (name, today))

    def digest_rows(self, today: str, since: str) -> dict:
        """What the daily digest lists: new applications since ``since`` (UTC ISO), cases and
        items due today or overdue (``today`` a local date)."""
        open_case = f"status NOT IN ({sql_list(FINAL_STATUSES)})"
        issue_due = NEXT_DEADLINE
        new = self._all("SELECT ref, service_name, org_name, submitted_at FROM applications WHERE submitted_at >= ? "
                        "ORDER BY id", (since,))
        cases = self._all(f"SELECT ref, service_name, org_name, due_at, assignee FROM applications WHERE {open_case} "
                          f"AND due_at <= ? ORDER BY due_at, id", (today,))
        issues = self._all(f"SELECT i.id, i.kind, i.service_name, {issue_due}, i.owner FROM issues i "
                           f"WHERE i.status = 'open' AND {issue_due} <= ? ORDER BY {issue_due}, i.id", (today,))
        return {"new": [dict(zip(("ref", "service_name", "org_name", "submitted_at"), r)) for r in new],
                "cases": [dict(zip(("ref", "service_name", "org_name", "due_at", "assignee"), r)) for r in cases],
                "issues": [dict(zip(("id", "kind", "service_name", "due", "owner"), r)) for r in issues]}
