"""Page feedback: 是否有帮助 votes on the guide's pages and their comments."""
from __future__ import annotations

from .common import between, iso, utcnow
from .errors import VoteNotFound
from .core import StoreBase

__all__ = ["PageFeedbackStore"]


class PageFeedbackStore(StoreBase):
    """Storage methods for the ``page_feedback`` table."""

    def add_page_vote(self, page: str, helpful: bool, comment: str | None = None) -> int:
        now = iso(utcnow())
        with self._immediate() as db:
            return db.execute("INSERT INTO page_feedback (page, helpful, comment, created_at, updated_at) "
                              "VALUES (?,?,?,?,?)", (page, int(helpful), comment or None, now, now)).lastrowid

    def purge_page_feedback(self, before: str) -> int:
        """Delete votes (and their comments) last changed before ``before`` (retention)."""
        with self._immediate() as db:
            return db.execute("DELETE FROM page_feedback WHERE updated_at < ?", (before,)).rowcount

    def update_page_vote(self, vote_id: int, *, helpful: bool | None = None, comment: str | None = None) -> None:
        """Change the answer of a vote, or add its comment (a comment is never blanked)."""
        with self._immediate() as db:
            if db.execute("SELECT 1 FROM page_feedback WHERE id = ?", (vote_id,)).fetchone() is None:
                raise VoteNotFound(str(vote_id))
            db.execute("UPDATE page_feedback SET helpful = coalesce(?, helpful), comment = coalesce(?, comment), "
                       "updated_at = ? WHERE id = ?",
                       (None if helpful is None else int(helpful), comment or None, iso(utcnow()), vote_id))

    def page_vote(self, vote_id: int) -> dict | None:
        rows = self._dicts("SELECT id, page, helpful, comment FROM page_feedback WHERE id = ?", (vote_id,))
        return rows[0] if rows else None

    def page_feedback_by_page(self, since: str | None = None, until: str | None = None) -> list[dict]:
        where, params = between("created_at", since, until)
        return self._dicts(f"SELECT page, sum(helpful) AS yes, sum(1 - helpful) AS no, sum(comment IS NOT NULL) "
                           f"AS comments FROM page_feedback{where} GROUP BY page", params)

    def page_feedback_comments(self, *, page: str | None = None, limit: int = 50, offset: int = 0
                               ) -> tuple[list[dict], int]:
        where, params = "WHERE comment IS NOT NULL", []
        if page:
            where += " AND page = ?"
            params.append(page)
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM page_feedback {where}", params).fetchone()[0]
            rows = list(self.db.query(f"SELECT page, helpful, comment, created_at FROM page_feedback {where} "
                                      f"ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)))
        return rows, total
