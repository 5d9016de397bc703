"""Result documents (检定证书, 检验报告, 告知书 ...) that staff attach to a case; kept with the archive."""
from __future__ import annotations

import secrets
from typing import Sequence

from sqlite_utils import Database

from .common import iso, utcnow
from .core import StoreBase
from .errors import ApplicationNotFound
from .records import ResultDocument

__all__ = ["ResultsStore"]


class ResultsStore(StoreBase):
    """Storage methods for the ``result_documents`` table."""

    @staticmethod
    def _insert_result(db: Database, application_id: int, doc: dict, actor: str, now: str) -> str:
        token = secrets.token_urlsafe(12)
        db.execute("INSERT INTO result_documents (token, application_id, title, original_name, stored_name, kind, "
                   "size, sha256, actor, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (token, application_id, doc["title"], doc["original_name"], doc["stored_name"], doc["kind"],
                    doc["size"], doc["sha256"], actor, now))
        db.execute("INSERT INTO application_events (application_id, at, actor, kind, note, public) "
                   "VALUES (?,?,?, 'result', ?, 1)", (application_id, now, actor, f"办理结果文件：{doc['title']}"))
        return token

    def add_result(self, ref: str, doc: dict, *, actor: str) -> str:
        """Attach a stored result document to a case (its history says so); returns its token."""
        now = iso(utcnow())
        with self._immediate() as db:
            row = db.execute("SELECT id, status FROM applications WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise ApplicationNotFound(ref)
            return self._insert_result(db, row[0], doc, actor, now)

    def results_of(self, application_id: int) -> list[ResultDocument]:
        return [ResultDocument(*r) for r in self._all(
            "SELECT token, title, original_name, stored_name, kind, size, sha256, actor, created_at "
            "FROM result_documents WHERE application_id = ? ORDER BY id", (application_id,))]

    def result_counts(self, refs: Sequence[str]) -> dict[str, int]:
        """How many result documents each of these cases has (for archive lists)."""
        refs = list(refs)
        if not refs:
            return {}
        marks = ",".join("?" * len(refs))
        return dict(self._all(f"SELECT a.ref, count(*) FROM result_documents r JOIN applications a "
                              f"ON a.id = r.application_id WHERE a.ref IN ({marks}) GROUP BY a.ref", refs))
