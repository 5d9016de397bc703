"""Exports read row by row: each export runs on a read-only connection of its own.

A CSV of 100,000 applications is sent while it is read, so neither the export nor the other
requests of the process wait for each other: the shared connection (and its lock) is never
held for the length of an export, and memory holds one batch of rows, not the table. SQLite's
WAL gives the export one consistent snapshot from its first row to its last.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

from sqlite_utils import Database

from .common import archive_no, range_terms, where_sql
from .core import StoreBase
from .sqlite import sqlite3
from .records import QueueFilter

__all__ = ["ExportFilter", "ExportsStore"]


@dataclass(frozen=True)
class ExportFilter:
    """What an export asks for (already validated): a period of UTC times and one service."""
    since: str | None = None   # UTC ISO, inclusive
    until: str | None = None   # UTC ISO, exclusive
    service_id: str | None = None


def _terms(f: ExportFilter, time_column: str, service_column: str | None) -> tuple[list[str], list]:
    where, params = range_terms(time_column, f.since, f.until)
    if f.service_id and service_column:
        where.append(f"{service_column} = ?")
        params.append(f.service_id)
    return where, params


class ExportsStore(StoreBase):
    """Exports (and the paged catalogue); the applications' query is the queue's (``QueueStore``)."""

    def _stream(self, sql: str, params) -> Iterator[dict]:
        """Rows as dicts (sqlite-utils' ``query``, lazily from the cursor) on a connection of the export's own."""
        db = Database(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10, check_same_thread=False))
        try:
            yield from db.query(sql, params)
        finally:
            db.close()

    def _count(self, sql: str, params) -> int:
        return self._one(f"SELECT count(*) FROM ({sql})", params)[0]

    # ------------------------------------------------------------ applications

    def _applications_sql(self, f: QueueFilter) -> tuple[str, list]:
        where, params = self._queue_where(f)
        return (f"SELECT a.ref, a.service_name, a.status, a.org_name, a.uscc, a.contact_name, a.phone, a.email, "
                f"a.submitted_at, a.updated_at, a.due_at, a.closed_at, a.archive_year, a.archive_seq, a.answers, "
                f"{self._LAST_CONTACT} AS last_contact_at, {self._SCORE} AS score, a.assignee FROM applications a{where} "
                f"ORDER BY a.id",
                params)

    def count_export_applications(self, f: QueueFilter) -> int:
        where, params = self._queue_where(f)
        return self._one(f"SELECT count(*) FROM applications a{where}", params)[0]

    def answer_fields(self, f: QueueFilter) -> list[tuple[str, str]]:
        """Every (field id, label) found in the answers of the applications ``f`` selects, in first-seen order."""
        where, params = self._queue_where(f)
        return [tuple(r) for r in self._all(
            f"SELECT json_extract(j.value, '$.id') AS field, json_extract(j.value, '$.label') "
            f"FROM applications a, json_each(a.answers) j{where} GROUP BY field ORDER BY min(a.id), min(j.key)",
            params)]

    def iter_applications(self, f: QueueFilter) -> Iterator[dict]:
        sql, params = self._applications_sql(f)
        for d in self._stream(sql, params):
            d["answers"] = json.loads(d["answers"])
            d["archive_no"] = archive_no(d.pop("archive_year"), d.pop("archive_seq"))
            yield d

    # ------------------------------------------------------------ ratings, page feedback, 意见箱

    _RATINGS = ("SELECT a.ref, a.service_name, a.org_name, a.uscc, r.score, r.q_guide, r.q_process, r.q_materials, "
                "r.q_interface, r.comment, r.created_at, r.current FROM ratings r "
                "JOIN applications a ON a.id = r.application_id")

    def _ratings_sql(self, f: ExportFilter) -> tuple[str, list]:
        where, params = _terms(f, "r.created_at", "a.service_id")
        return f"{self._RATINGS}{where_sql(where)} ORDER BY r.id", params

    def iter_ratings(self, f: ExportFilter = ExportFilter()) -> Iterator[dict]:
        return self._stream(*self._ratings_sql(f))

    def _page_feedback_sql(self, f: ExportFilter) -> tuple[str, list]:
        where, params = _terms(f, "created_at", None)
        return f"SELECT page, helpful, comment, created_at FROM page_feedback{where_sql(where)} ORDER BY id", params

    def iter_page_feedback(self, f: ExportFilter = ExportFilter()) -> Iterator[dict]:
        return self._stream(*self._page_feedback_sql(f))

    def _suggestions_sql(self, f: ExportFilter) -> tuple[str, list]:
        where, params = _terms(f, "s.created_at", "s.service_id")
        return ("SELECT s.ref, s.kind, s.service_name, s.related_ref, s.body, s.name, s.org_name, s.phone, s.email, "
                "s.created_at, i.status, i.owner, i.first_contact_due, i.first_contact_at, i.rectify_due, "
                "i.closed_at, i.outcome, i.told_via FROM suggestions s LEFT JOIN issues i ON i.suggestion_id = s.id"
                f"{where_sql(where)} ORDER BY s.id", params)

    def iter_suggestions(self, f: ExportFilter = ExportFilter()) -> Iterator[dict]:
        return self._stream(*self._suggestions_sql(f))

    # ------------------------------------------------------------ the archive catalogue

    @staticmethod
    def _catalogue_sql(year: int | None, uscc: str | None, service_id: str | None = None) -> tuple[str, list]:
        given = {"archive_year = ?": year, "uscc = ?": uscc or None, "service_id = ?": service_id or None}
        where = ["archive_year IS NOT NULL", *(term for term, value in given.items() if value is not None)]
        params = [value for value in given.values() if value is not None]
        return ("SELECT archive_year AS year, archive_seq AS seq, ref, service_name, org_name, uscc, submitted_at, closed_at, status "
                "FROM applications" + where_sql(where) + " ORDER BY archive_year, archive_seq"), params

    @staticmethod
    def _catalogue_entry(d: dict) -> dict:
        d["archive_no"] = archive_no(d["year"], d["seq"])
        return d

    def catalogue(self, *, year: int | None = None, uscc: str | None = None, limit: int | None = None,
                  offset: int = 0) -> tuple[list[dict], int]:
        """One page of archived cases in archive-number order (the 归档文件目录, seed 001 9.4) and their number."""
        sql, params = self._catalogue_sql(year, uscc)
        total = self._count(sql, params)
        if limit is not None:
            sql, params = f"{sql} LIMIT ? OFFSET ?", [*params, limit, offset]
        rows = [self._catalogue_entry(d) for d in self._dicts(sql, params)]
        return rows, total

    def iter_catalogue(self, *, year: int | None = None, uscc: str | None = None,
                       service_id: str | None = None) -> Iterator[dict]:
        for d in self._stream(*self._catalogue_sql(year, uscc, service_id)):
            yield self._catalogue_entry(d)

    def count_export(self, what: str, f: ExportFilter, *, year: int | None = None, uscc: str | None = None) -> int:
        """Rows an export of ``what`` (not applications: see count_export_applications) would have."""
        if what == "catalogue":
            sql, params = self._catalogue_sql(year, uscc, f.service_id)
        else:
            sql, params = {"ratings": self._ratings_sql, "feedback": self._page_feedback_sql,
                           "suggestions": self._suggestions_sql}[what](f)
        return self._count(sql, params)
