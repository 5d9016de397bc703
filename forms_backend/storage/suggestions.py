"""意见箱 entries (complaints and suggestions), each opening its follow-up item."""
from __future__ import annotations

from typing import Callable

from ..vocabulary import SUGGESTION_KINDS
from .common import iso, new_ref, utcnow
from .errors import StorageError
from .records import Suggestion, SuggestionStatus
from .core import StoreBase

__all__ = ["SuggestionsStore"]


class SuggestionsStore(StoreBase):
    """Storage methods for the ``suggestions`` table."""

    def add_suggestion(self, record: dict, *, ref_prefix: str, yymm: str, code_hash: str, issue: dict,
                       alert: Callable | None = None) -> str:
        """Store an entry and open its follow-up item, in one transaction; return its reference.

        An entry naming an application (``related_ref``) is linked to the open items about it;
        ``alert`` composes the staff alert, queued in the same transaction.
        """
        if record["kind"] not in SUGGESTION_KINDS:
            raise StorageError(f"unknown kind '{record['kind']}'")
        now = iso(utcnow())
        with self._immediate() as db:
            ref = new_ref(db, ref_prefix, yymm, table="suggestions")
            sid = db.execute(
                "INSERT INTO suggestions (ref, kind, service_id, service_name, related_ref, body, name, org_name, "
                "phone, phone_norm, email, code_hash, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (ref, record["kind"], record.get("service_id"), record.get("service_name"), record.get("related_ref"),
                 record["body"], record.get("name"), record.get("org_name"), record.get("phone"),
                 record.get("phone_norm"), record.get("email"), code_hash, now)).lastrowid
            issue_id = db.execute(
                "INSERT INTO issues (kind, suggestion_id, service_id, service_name, opened_at, first_contact_due, "
                "rectify_due) VALUES (?,?,?,?,?,?,?)",
                (record["kind"], sid, record.get("service_id"), record.get("service_name"), now,
                 issue.get("first_contact_due"), issue["rectify_due"])).lastrowid
            db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind) VALUES (?,?, 'system', 'opened')",
                       (issue_id, now))
            case = db.execute("SELECT id FROM applications WHERE ref = ?",
                              (record.get("related_ref") or "",)).fetchone()
            self._open_linked(db, issue_id, case[0] if case else None, ref, now, alert)
        return ref

    _SUGGESTION_COLUMNS = ("id, ref, kind, service_id, service_name, related_ref, body, name, org_name, phone, "
                           "email, created_at")

    def get_suggestion(self, suggestion_id: int) -> Suggestion | None:
        row = self._one(f"SELECT {self._SUGGESTION_COLUMNS} FROM suggestions WHERE id = ?", (suggestion_id,))
        return Suggestion(*row) if row else None

    def find_suggestion_for_tracking(self, ref: str, *, phone_norm: str | None, code_hash: str
                                     ) -> SuggestionStatus | None:
        """The entry whose reference matches and whose query code or phone number does; else None."""
        row = self._one(
            "SELECT s.ref, s.kind, s.service_name, s.created_at, i.status, i.first_contact_at, i.closed_at, "
            "i.outcome, (SELECT count(*) FROM issue_notes n WHERE n.issue_id = i.id AND n.kind != 'opened') "
            "FROM suggestions s JOIN issues i ON i.suggestion_id = s.id "
            "WHERE s.ref = ? AND (s.code_hash = ? OR (s.phone_norm IS NOT NULL AND s.phone_norm = ?))",
            (ref, code_hash, phone_norm or "-"))
        if row is None:
            return None
        status = "closed" if row[4] == "closed" else ("in_progress" if row[5] or row[8] else "received")
        return SuggestionStatus(row[0], row[1], row[2], row[3], status, row[6], row[7] if row[4] == "closed" else None)
