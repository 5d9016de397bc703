"""Ratings of completed applications (五级好差评); a bad one opens a follow-up item."""
from __future__ import annotations

from typing import Callable

from .common import iso, utcnow
from .errors import ApplicationNotFound, BadTransition
from .records import Issue, Rating
from .core import StoreBase

__all__ = ["RatingsStore"]


class RatingsStore(StoreBase):
    """Storage methods for the ``ratings`` table."""

    _RATING_COLUMNS = ("id, application_id, score, q_guide, q_process, q_materials, q_interface, comment, "
                       "created_at, current")

    def purge_replaced_ratings(self, before: str) -> int:
        """Delete ratings replaced by a later one and made before ``before`` (retention); a rating
        a follow-up item points at stays with that item."""
        with self._immediate() as db:
            return db.execute("DELETE FROM ratings WHERE current = 0 AND created_at < ? AND id NOT IN "
                              "(SELECT rating_id FROM issues WHERE rating_id IS NOT NULL)", (before,)).rowcount

    def save_rating(self, ref: str, *, score: int, answers: dict[str, int | None], comment: str | None,
                    open_issue: dict | None, summary: str, alert: Callable | None = None) -> tuple[int, int | None]:
        """Store a rating of a completed application; it replaces the current one (kept as history).

        ``open_issue`` ({first_contact_due, rectify_due}) opens a follow-up item, unless one is
        already open for this application: then, as for any new rating while one is open, the
        item gets a note (``summary`` says what the rating is). A new item is linked to the open
        items about the same case (a complaint naming it) and ``alert`` composes the staff alert,
        queued in the same transaction (see ``issues._open_linked``). Returns (rating id, item id).
        """
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id, status, service_id, service_name FROM applications WHERE ref = ?",
                             (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            app_id, status, service_id, service_name = row
            if status != "completed":
                raise BadTransition("only a completed application can be rated")
            db.execute("UPDATE ratings SET current = 0 WHERE application_id = ? AND current = 1", (app_id,))
            rating_id = db.execute(
                "INSERT INTO ratings (application_id, score, q_guide, q_process, q_materials, q_interface, comment, "
                "created_at) VALUES (?,?,?,?,?,?,?,?)",
                (app_id, score, answers.get("q_guide"), answers.get("q_process"), answers.get("q_materials"),
                 answers.get("q_interface"), comment, now)).lastrowid
            issue = db.execute("SELECT id FROM issues WHERE application_id = ? AND kind = 'rating' AND status = 'open'",
                               (app_id,)).fetchone()
            if issue:
                issue_id = issue[0]
                db.execute("UPDATE issues SET rating_id = ? WHERE id = ?", (rating_id, issue_id))
                db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?, 'applicant', "
                           "'updated', ?)", (issue_id, now, summary))
            elif open_issue:
                issue_id = db.execute(
                    "INSERT INTO issues (kind, application_id, rating_id, service_id, service_name, opened_at, "
                    "first_contact_due, rectify_due) VALUES ('rating', ?,?,?,?,?,?,?)",
                    (app_id, rating_id, service_id, service_name, now, open_issue.get("first_contact_due"),
                     open_issue["rectify_due"])).lastrowid
                db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?, 'system', "
                           "'opened', ?)", (issue_id, now, summary))
                self._open_linked(db, issue_id, app_id, ref, now, alert)
            else:
                issue_id = None
        return rating_id, issue_id

    def ratings_of(self, application_id: int) -> list[Rating]:
        """Every rating of the application, the current one first."""
        return [Rating(*r[:9], bool(r[9])) for r in
                self._all(f"SELECT {self._RATING_COLUMNS} FROM ratings WHERE application_id = ? "
                          f"ORDER BY current DESC, id DESC", (application_id,))]

    def rating_issue(self, application_id: int) -> Issue | None:
        """The latest follow-up item opened by a rating of this application."""
        row = self._one("SELECT id FROM issues WHERE application_id = ? AND kind = 'rating' ORDER BY id DESC LIMIT 1",
                        (application_id,))
        return self.get_issue(row[0]) if row else None

    def list_ratings(self, *, service_id: str | None = None, score: int | None = None, limit: int = 50,
                     offset: int = 0) -> tuple[list[dict], int]:
        where, params = ["r.current = 1"], []
        if service_id:
            where.append("a.service_id = ?")
            params.append(service_id)
        if score:
            where.append("r.score = ?")
            params.append(score)
        sql_where = " WHERE " + " AND ".join(where)
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM ratings r JOIN applications a ON a.id = r.application_id"
                                    f"{sql_where}", params).fetchone()[0]
            rows = list(self.db.query(
                f"SELECT a.ref, a.service_name, a.org_name, r.score, r.q_guide, r.q_process, r.q_materials, "
                f"r.q_interface, r.comment, r.created_at, "
                f"(SELECT max(i.id) FROM issues i WHERE i.rating_id = r.id) AS issue_id "
                f"FROM ratings r JOIN applications a ON a.id = r.application_id{sql_where} "
                f"ORDER BY r.id DESC LIMIT ? OFFSET ?", (*params, limit, offset)))
        return rows, total
