"""Offline service records (咨询接待, 走访调研, 法规宣贯, ...), an enterprise's products, the
archive timeline of an enterprise or a product, and the log of every archive view.

Dates of records are local dates (``YYYY-MM-DD``) as staff write them; moments (created_at, the
timeline of online events) are UTC ISO strings. Rows come back as dicts; ``service_ids`` as a list.
"""
from __future__ import annotations

import json
import secrets
from typing import Iterable

from sqlite_utils import Database

from .common import archive_no, iso, like, utcnow
from .core import StoreBase
from ..vocabulary import record_kind_label
from .errors import ProductNotFound, RecordChanged, RecordNotFound

__all__ = ["ServiceRecordsStore", "RECORD_FIELDS"]

# The columns a caller may give for a new record (everything else is set here); an edit changes
# the same columns (the product by name, as on entry).
RECORD_FIELDS = ("kind", "kind_key", "kind_label", "channel", "date", "uscc", "org_name", "product_id", "service_ids", "staff",
                 "duration_minutes", "summary", "outcome", "next_step", "next_date", "topic", "speakers", "attendees",
                 "headcount")
_RECORD_SELECT = ("SELECT r.*, p.name AS product_name FROM service_records r "
                  "LEFT JOIN products p ON p.id = r.product_id")


def _record(row: dict) -> dict:
    row["service_ids"] = json.loads(row.get("service_ids") or "[]")
    return row


class ServiceRecordsStore(StoreBase):
    """Storage methods for ``service_records``, ``products`` and ``archive_views``."""

    # ------------------------------------------------------------ products

    def _ensure_product(self, db: Database, uscc: str, name: str, now: str) -> int:
        row = db.execute("SELECT id FROM products WHERE uscc = ? AND name = ?", (uscc, name)).fetchone()
        if row:
            return row[0]
        return db.execute("INSERT INTO products (uscc, name, created_at) VALUES (?, ?, ?)",
                          (uscc, name, now)).lastrowid

    def save_product(self, uscc: str, name: str, *, product_class: str | None = None, stage: str | None = None,
                     flag: str = "none", flagged_on: str | None = None, product_id: int | None = None) -> int:
        """Add a product of ``uscc`` (or change product ``product_id``); returns its id."""
        now = iso(utcnow())
        with self._immediate() as db:
            if product_id is None:
                pid = self._ensure_product(db, uscc, name, now)
            else:
                if db.execute("SELECT 1 FROM products WHERE id = ? AND uscc = ?", (product_id, uscc)).fetchone() is None:
                    raise ProductNotFound(product_id)
                pid = product_id
                db.execute("UPDATE products SET name = ? WHERE id = ?", (name, pid))
            db.execute("UPDATE products SET product_class = ?, stage = ?, flag = ?, flagged_on = ? WHERE id = ?",
                       (product_class, stage, flag, flagged_on if flag != "none" else None, pid))
        return pid

    def get_product(self, product_id: int) -> dict | None:
        rows = self._dicts("SELECT * FROM products WHERE id = ?", (product_id,))
        return rows[0] if rows else None

    def products_of(self, uscc: str) -> list[dict]:
        return self._dicts("SELECT * FROM products WHERE uscc = ? ORDER BY name", (uscc,))

    def file_application(self, ref: str, uscc: str, product_id: int | None) -> None:
        """File an online application under one of its enterprise's products (None: under none)."""
        with self._immediate() as db:
            if product_id is not None and db.execute("SELECT 1 FROM products WHERE id = ? AND uscc = ?",
                                                     (product_id, uscc)).fetchone() is None:
                raise ProductNotFound(product_id)
            db.execute("UPDATE applications SET product_id = ? WHERE ref = ? AND uscc = ?", (product_id, ref, uscc))

    # ------------------------------------------------------------ enterprises known to the workstation

    def known_enterprises(self, query: str = "", *, limit: int = 200) -> list[dict]:
        """Enterprises from applications and records (code, latest name), newest first."""
        where, params = "", []
        if query:
            where = " WHERE uscc = ? OR org_name LIKE ? ESCAPE '\\'"
            params = [query.upper(), like(query)]
        return self._dicts(
            "SELECT uscc, org_name, max(at) AS at FROM (SELECT uscc, org_name, submitted_at AS at FROM applications UNION ALL "
            "SELECT uscc, org_name, created_at AS at FROM service_records WHERE uscc IS NOT NULL)" + where +
            " GROUP BY uscc ORDER BY at DESC LIMIT ?", [*params, limit])

    def enterprise_name(self, uscc: str) -> str | None:
        row = self._one("SELECT org_name FROM (SELECT org_name, submitted_at AS at FROM applications WHERE uscc = ? "
                        "UNION ALL SELECT org_name, created_at AS at FROM service_records WHERE uscc = ?) "
                        "ORDER BY at DESC LIMIT 1", (uscc, uscc))
        return row[0] if row else None

    # ------------------------------------------------------------ records

    def _insert_record(self, db: Database, record: dict, *, actor: str, source: str, now: str) -> int:
        values = {k: record.get(k) for k in RECORD_FIELDS}
        if record.get("product_name") and values["uscc"] and not values["product_id"]:
            values["product_id"] = self._ensure_product(db, values["uscc"], record["product_name"], now)
        values["service_ids"] = json.dumps(list(values["service_ids"] or []), ensure_ascii=False)
        values.update(source=source, actor=actor, created_at=now)
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        return db.execute(f"INSERT INTO service_records ({names}) VALUES ({marks})", list(values.values())).lastrowid

    def add_record(self, record: dict, *, actor: str, files: Iterable[dict] = ()) -> int:
        """One record entered in the console; ``product_name`` creates the product if it is new;
        ``files`` (stored by ``uploads.receive``, each with its ``role``) are attached with it."""
        now = iso(utcnow())
        with self._immediate() as db:
            record_id = self._insert_record(db, record, actor=actor, source="console", now=now)
            for f in files:
                self._insert_file(db, record_id, f, actor, now)
            return record_id

    def update_record(self, record_id: int, record: dict, *, actor: str, expected: int | None = None) -> list[list]:
        """Change a saved record; the change (each field before and after) goes into its history.

        ``expected`` is the number of changes the editor saw: another edit since raises
        RecordChanged. Returns the changes made ([field, before, after], empty when none).
        """
        now = iso(utcnow())
        with self._immediate() as db:
            rows = db.execute(_RECORD_SELECT + " WHERE r.id = ?", (record_id,))
            names = [d[0] for d in rows.description]
            row = rows.fetchone()
            if row is None:
                raise RecordNotFound(record_id)
            before = _record(dict(zip(names, row)))
            seen = db.execute("SELECT count(*) FROM record_changes WHERE record_id = ?", (record_id,)).fetchone()[0]
            if expected is not None and expected != seen:
                raise RecordChanged(record_id)
            values = {k: record.get(k) for k in RECORD_FIELDS}
            product_name = record.get("product_name")
            if product_name and values["uscc"]:
                values["product_id"] = self._ensure_product(db, values["uscc"], product_name, now)
            elif not product_name:
                values["product_id"] = None
            values["service_ids"] = list(values["service_ids"] or [])
            kind_fields = ("kind", "kind_key", "kind_label")
            changes = [[k, before[k], values[k]] for k in RECORD_FIELDS
                       if k not in ("product_id", *kind_fields) and before[k] != values[k]]
            if any(before[k] != values[k] for k in kind_fields):   # one change, by the kinds' names
                changes.insert(0, ["kind", record_kind_label(before), record_kind_label(values)])
            if before["product_id"] != values["product_id"]:
                changes.append(["product_name", before["product_name"], product_name or None])
            if not changes:
                return []
            values["service_ids"] = json.dumps(values["service_ids"], ensure_ascii=False)
            sets = ", ".join(f"{k} = ?" for k in values)
            # A changed next step is a new promise: it shows in the follow-up list again.
            renewed = any(c[0] in ("next_step", "next_date") for c in changes)
            db.execute(f"UPDATE service_records SET {sets}, updated_at = ?"
                       + (", next_done_at = NULL" if renewed else "") + " WHERE id = ?", [*values.values(), now, record_id])
            db.execute("INSERT INTO record_changes (record_id, at, actor, changes) VALUES (?, ?, ?, ?)",
                       (record_id, now, actor, json.dumps(changes, ensure_ascii=False)))
            return changes

    def record_changes(self, record_id: int) -> list[dict]:
        """The history of a record's changes, oldest first: at, actor, changes [field, before, after]."""
        rows = self._dicts("SELECT at, actor, changes FROM record_changes WHERE record_id = ? ORDER BY id",
                           (record_id,))
        for r in rows:
            r["changes"] = json.loads(r["changes"])
        return rows

    # ------------------------------------------------------------ files of a record

    @staticmethod
    def _insert_file(db: Database, record_id: int, f: dict, actor: str, now: str) -> str:
        token = secrets.token_urlsafe(12)
        db.execute("INSERT INTO record_files (token, record_id, role, original_name, stored_name, kind, size, sha256, "
                   "actor, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (token, record_id, f["role"], f["original_name"], f["stored_name"], f["kind"], f["size"],
                    f["sha256"], actor, now))
        return token

    def add_record_files(self, record_id: int, files: list[dict], *, actor: str) -> None:
        """Attach files to a saved record; its history says so."""
        now = iso(utcnow())
        with self._immediate() as db:
            if db.execute("SELECT 1 FROM service_records WHERE id = ?", (record_id,)).fetchone() is None:
                raise RecordNotFound(record_id)
            for f in files:
                self._insert_file(db, record_id, f, actor, now)
            changes = [["files", None, f"{f['role']}:{f['original_name']}"] for f in files]
            db.execute("INSERT INTO record_changes (record_id, at, actor, changes) VALUES (?, ?, ?, ?)",
                       (record_id, now, actor, json.dumps(changes, ensure_ascii=False)))

    def record_files(self, record_id: int) -> list[dict]:
        return self._dicts("SELECT token, role, original_name, stored_name, kind, size, sha256, actor, created_at "
                           "FROM record_files WHERE record_id = ? ORDER BY id", (record_id,))

    def record_file_counts(self, record_ids: Iterable[int]) -> dict[int, int]:
        """How many files each of these records has (for lists and the archive)."""
        ids = list(record_ids)
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        return dict(self._all(f"SELECT record_id, count(*) FROM record_files WHERE record_id IN ({marks}) "
                              "GROUP BY record_id", ids))

    def record_file_known(self, stored_name: str) -> bool:
        return self._one("SELECT 1 FROM record_files WHERE stored_name = ?", (stored_name,)) is not None

    def import_records(self, records: Iterable[dict], *, actor: str) -> int:
        """Records from a spreadsheet, all in one transaction: all are stored or none."""
        now = iso(utcnow())
        n = 0
        with self._immediate() as db:
            for record in records:
                self._insert_record(db, record, actor=actor, source="import", now=now)
                n += 1
        return n

    def get_record(self, record_id: int) -> dict | None:
        rows = self._dicts(_RECORD_SELECT + " WHERE r.id = ?", (record_id,))
        return _record(rows[0]) if rows else None

    def list_records(self, *, uscc: str | None = None, product_id: int | None = None, kind: str | None = None,
                     kind_key: str | None = None, first: str | None = None, last: str | None = None,
                     limit: int = 25, offset: int = 0) -> tuple[list[dict], int]:
        """Records, newest date first, with the total; ``first``/``last`` are local dates, both included.
        ``kind`` is a fixed kind (with the site.yml kinds counted as it), ``kind_key`` a site.yml kind."""
        where, params = [], []
        for column, value in (("r.uscc", uscc), ("r.product_id", product_id), ("r.kind", kind),
                              ("r.kind_key", kind_key)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if first:
            where.append("r.date >= ?")
            params.append(first)
        if last:
            where.append("r.date <= ?")
            params.append(last)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        total = self._one("SELECT count(*) FROM service_records r" + clause, params)[0]
        rows = self._dicts(_RECORD_SELECT + clause + " ORDER BY r.date DESC, r.id DESC LIMIT ? OFFSET ?",
                           [*params, limit, offset])
        return [_record(r) for r in rows], total

    def all_records(self, *, uscc: str | None = None) -> list[dict]:
        """Every record (of one enterprise), oldest first: the export."""
        where, params = (" WHERE r.uscc = ?", [uscc]) if uscc else ("", [])
        return [_record(r) for r in self._dicts(_RECORD_SELECT + where + " ORDER BY r.date, r.id", params)]

    def next_steps(self, *, limit: int = 500) -> list[dict]:
        """Promised next contacts not yet done, earliest date first (the follow-up list)."""
        rows = self._dicts(_RECORD_SELECT + " WHERE r.next_date IS NOT NULL AND r.next_done_at IS NULL "
                           "ORDER BY r.next_date, r.id LIMIT ?", (limit,))
        return [_record(r) for r in rows]

    def finish_next_step(self, record_id: int) -> None:
        with self._immediate() as db:
            if db.execute("SELECT 1 FROM service_records WHERE id = ?", (record_id,)).fetchone() is None:
                raise RecordNotFound(record_id)
            db.execute("UPDATE service_records SET next_done_at = ? WHERE id = ? AND next_done_at IS NULL",
                       (iso(utcnow()), record_id))

    def records_between(self, first: str, last: str) -> list[dict]:
        """Every record dated ``first``..``last`` (local dates, both included), oldest first."""
        rows = self._dicts(_RECORD_SELECT + " WHERE r.date BETWEEN ? AND ? ORDER BY r.date, r.id", (first, last))
        return [_record(r) for r in rows]

    def products_flagged_between(self, first: str, last: str) -> list[dict]:
        return self._dicts("SELECT p.*, (SELECT org_name FROM service_records r WHERE r.uscc = p.uscc "
                           "ORDER BY r.id DESC LIMIT 1) AS org_name FROM products p "
                           "WHERE flag != 'none' AND flagged_on BETWEEN ? AND ? ORDER BY flagged_on, id", (first, last))

    def product_contacts(self, first: str, last: str, since: str, until: str) -> tuple[list[tuple], list[tuple]]:
        """Contacts per product in a year: (product id, local date) of records dated ``first``..``last``
        and (product id, UTC moment) of follow-up contacts on applications filed under a product
        between ``since`` and ``until``."""
        records = self._all("SELECT product_id, date FROM service_records WHERE product_id IS NOT NULL "
                            "AND date BETWEEN ? AND ?", (first, last))
        contacts = self._all("SELECT a.product_id, c.at FROM contacts c JOIN applications a ON a.id = c.application_id "
                             "WHERE a.product_id IS NOT NULL AND c.at >= ? AND c.at < ?", (since, until))
        return [tuple(r) for r in records], [tuple(c) for c in contacts]

    def products_by_id(self, ids: Iterable[int]) -> dict[int, dict]:
        ids = list(ids)
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = self._dicts("SELECT p.*, (SELECT org_name FROM service_records r WHERE r.uscc = p.uscc "
                           f"ORDER BY r.id DESC LIMIT 1) AS org_name FROM products p WHERE p.id IN ({marks})", ids)
        return {r["id"]: r for r in rows}

    # ------------------------------------------------------------ the archive

    def archive_timeline(self, uscc: str, product_id: int | None = None) -> list[dict]:
        """Everything about an enterprise (or one of its products), oldest first.

        Each entry: ``at`` (a UTC moment or a local date), ``kind`` (application, record, contact,
        rating, issue), ``title``, ``detail``, and ``ref`` or ``record_id`` for the link.
        """
        app_where = "a.uscc = ?" + (" AND a.product_id = ?" if product_id is not None else "")
        app_params = [uscc] + ([product_id] if product_id is not None else [])
        entries: list[dict] = []
        for a in self._dicts("SELECT a.ref, a.service_name, a.status, a.submitted_at, a.closed_at, a.archive_year, "
                             "a.archive_seq, p.name AS product_name FROM applications a "
                             "LEFT JOIN products p ON p.id = a.product_id WHERE " + app_where, app_params):
            entries.append({"at": a["submitted_at"], "kind": "application", "title": a["service_name"],
                            "ref": a["ref"], "status": a["status"], "product_name": a["product_name"],
                            "archive_no": archive_no(a["archive_year"], a["archive_seq"]), "detail": None})
        for c in self._dicts("SELECT c.at, c.channel, c.note, c.actor, a.ref FROM contacts c "
                             "JOIN applications a ON a.id = c.application_id WHERE " + app_where, app_params):
            entries.append({"at": c["at"], "kind": "contact", "title": c["channel"], "ref": c["ref"],
                            "detail": c["note"], "actor": c["actor"]})
        for r in self._dicts("SELECT r.created_at, r.score, r.comment, a.ref FROM ratings r "
                             "JOIN applications a ON a.id = r.application_id WHERE r.current = 1 AND " + app_where,
                             app_params):
            entries.append({"at": r["created_at"], "kind": "rating", "title": r["score"], "ref": r["ref"],
                            "detail": r["comment"]})
        for i in self._dicts("SELECT i.id, i.kind AS issue_kind, i.opened_at, i.status, i.outcome, a.ref FROM issues i "
                             "JOIN applications a ON a.id = coalesce(i.application_id, (SELECT a2.id FROM suggestions s "
                             "JOIN applications a2 ON a2.ref = s.related_ref WHERE s.id = i.suggestion_id)) WHERE "
                             + app_where, app_params):
            entries.append({"at": i["opened_at"], "kind": "issue", "title": i["issue_kind"], "issue_id": i["id"],
                            "ref": i["ref"], "status": i["status"], "detail": i["outcome"]})
        rec_where = "r.uscc = ?" + (" AND r.product_id = ?" if product_id is not None else "")
        records = self._dicts(_RECORD_SELECT + " WHERE " + rec_where, app_params)
        files = self.record_file_counts(r["id"] for r in records)
        for r in records:
            entries.append({"at": r["date"], "kind": "record", "title": r["kind"], "record": _record(r),
                            "record_id": r["id"], "detail": r["summary"], "files": files.get(r["id"], 0)})
        entries.sort(key=lambda e: e["at"])   # roughly; the console orders by local day (it knows the zone)
        return entries

    def log_archive_view(self, *, actor: str, what: str, uscc: str | None = None,
                         product_id: int | None = None) -> None:
        with self._immediate() as db:
            db.execute("INSERT INTO archive_views (at, actor, uscc, product_id, what) VALUES (?, ?, ?, ?, ?)",
                       (iso(utcnow()), actor, uscc, product_id, what))

    def archive_views(self, *, uscc: str | None = None, limit: int = 200) -> list[dict]:
        where, params = ("WHERE v.uscc = ? ", [uscc]) if uscc else ("", [])
        return self._dicts("SELECT v.*, p.name AS product_name FROM archive_views v "
                           "LEFT JOIN products p ON p.id = v.product_id " + where + "ORDER BY v.id DESC LIMIT ?",
                           [*params, limit])
