"""The equipment register (特种设备 and 强制检定计量器具): records, their history, the warnings sent,
the follow-up items of level 3, and the enterprises' links to their own list.

A record's cycle (``equipment.cycle``) counts its inspection cycles; a warning row
(``equipment_warnings``) is unique per record, cycle and level and is written in the same
transaction as the notices it queues, so the daily run can be repeated or killed at any point
without warning twice or missing a record.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from sqlite_utils import Database

from ..vocabulary import EQUIPMENT_KINDS, EQUIPMENT_STATES
from .common import equal_terms, iso, like, utcnow, where_sql
from .core import StoreBase
from .errors import DuplicateDeviceCode, EquipmentNotFound, StorageError

__all__ = ["EquipmentStore", "EquipmentFilter", "EQUIPMENT_FIELDS", "Warning"]

# The columns a record is made of (what forms, the import and exports speak), in display order.
EQUIPMENT_FIELDS = ("uscc", "org_name", "kind", "device_code", "registration_no", "name", "model", "location",
                    "last_date", "cycle_months", "due_date", "manager_name", "manager_phone", "manager_email",
                    "head_name", "head_phone", "head_email", "state")
_COLUMNS = ("id",) + EQUIPMENT_FIELDS + ("cycle", "created_at", "updated_at")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM equipment"


@dataclass(frozen=True)
class EquipmentFilter:
    """What the register list, the dashboard and the exports keep. Dates are local ISO dates;
    ``due_before``/``due_from`` bound the due date (both included)."""

    enterprise: str | None = None    # a 统一社会信用代码 or part of the enterprise's name
    uscc: str | None = None          # exactly this enterprise
    kind: str | None = None
    state: str | None = None
    due_from: str | None = None
    due_before: str | None = None
    code: str | None = None          # part of the device code or registration number

    def terms(self) -> tuple[list[str], list]:
        where, params = [], []
        if self.enterprise:
            code = self.enterprise.strip().upper()
            where.append("(uscc = ? OR org_name LIKE ? ESCAPE '\\')")
            params += [code, like(self.enterprise.strip())]
        equal, values = equal_terms(uscc=self.uscc, kind=self.kind, state=self.state)
        where += equal
        params += values
        if self.due_from:
            where.append("due_date >= ?")
            params.append(self.due_from)
        if self.due_before:
            where.append("due_date <= ?")
            params.append(self.due_before)
        if self.code:
            where.append("(device_code LIKE ? ESCAPE '\\' OR registration_no LIKE ? ESCAPE '\\')")
            params += [like(self.code.strip()), like(self.code.strip())]
        return where, params


@dataclass(frozen=True)
class Warning:
    """One warning the daily run decided to send: the record, the level and what to queue."""

    equipment_id: int
    cycle: int
    level: int
    due_date: str
    mails: Sequence[dict]
    issue: dict | None = None        # level 3: the follow-up item to open (first_contact_due, rectify_due, ...)


def _row(values: Sequence) -> dict:
    return dict(zip(_COLUMNS, values))


def _clean(record: dict) -> dict:
    out = {f: record.get(f) for f in EQUIPMENT_FIELDS}
    if out["kind"] not in EQUIPMENT_KINDS:
        raise StorageError(f"unknown equipment kind {out['kind']!r}")
    out["state"] = out["state"] or "in_use"
    if out["state"] not in EQUIPMENT_STATES:
        raise StorageError(f"unknown equipment state {out['state']!r}")
    return out


class EquipmentStore(StoreBase):
    """Storage methods for ``equipment``, ``equipment_events``, ``equipment_warnings`` and ``enterprise_links``."""

    # ------------------------------------------------------------ records

    def _insert_equipment(self, db: Database, record: dict, *, actor: str, now: str, kind: str = "created") -> int:
        rec = _clean(record)
        if db.execute("SELECT 1 FROM equipment WHERE device_code = ?", (rec["device_code"],)).fetchone():
            raise DuplicateDeviceCode(rec["device_code"])
        marks = ",".join("?" * (len(EQUIPMENT_FIELDS) + 2))
        eid = db.execute(f"INSERT INTO equipment ({', '.join(EQUIPMENT_FIELDS)}, created_at, updated_at) "
                         f"VALUES ({marks})", (*[rec[f] for f in EQUIPMENT_FIELDS], now, now)).lastrowid
        db.execute("INSERT INTO equipment_events (equipment_id, at, actor, kind) VALUES (?,?,?,?)",
                   (eid, now, actor, kind))
        return eid

    def _update_equipment(self, db: Database, equipment_id: int, record: dict, *, actor: str, now: str,
                          kind: str = "updated", note: str | None = None) -> dict:
        row = db.execute(f"{_SELECT} WHERE id = ?", (equipment_id,)).fetchone()
        if row is None:
            raise EquipmentNotFound(str(equipment_id))
        old = _row(row)
        rec = _clean({**old, **record})
        changes = {f: [old[f], rec[f]] for f in EQUIPMENT_FIELDS if old[f] != rec[f]}
        if "device_code" in changes and db.execute("SELECT 1 FROM equipment WHERE device_code = ? AND id != ?",
                                                   (rec["device_code"], equipment_id)).fetchone():
            raise DuplicateDeviceCode(rec["device_code"])
        if changes:
            sets = ", ".join(f"{f} = ?" for f in changes)
            db.execute(f"UPDATE equipment SET {sets}, updated_at = ? WHERE id = ?",
                       (*[rec[f] for f in changes], now, equipment_id))
            db.execute("INSERT INTO equipment_events (equipment_id, at, actor, kind, note, changes) VALUES (?,?,?,?,?,?)",
                       (equipment_id, now, actor, kind, note, json.dumps(changes, ensure_ascii=False)))
        return changes

    def add_equipment(self, record: dict, *, actor: str) -> int:
        with self._immediate() as db:
            return self._insert_equipment(db, record, actor=actor, now=iso(utcnow()))

    def update_equipment(self, equipment_id: int, record: dict, *, actor: str) -> dict:
        """Change a record; returns {field: [old, new]} of what changed (kept in its history)."""
        with self._immediate() as db:
            return self._update_equipment(db, equipment_id, record, actor=actor, now=iso(utcnow()))

    def get_equipment(self, equipment_id: int) -> dict | None:
        with self._lock:
            row = self.db.execute(f"{_SELECT} WHERE id = ?", (equipment_id,)).fetchone()
            if row is None:
                return None
            rec = _row(row)
            rec["events"] = [{"at": r[0], "actor": r[1], "kind": r[2], "note": r[3],
                              "changes": json.loads(r[4]) if r[4] else {}} for r in self.db.execute(
                "SELECT at, actor, kind, note, changes FROM equipment_events WHERE equipment_id = ? ORDER BY id",
                (equipment_id,)).fetchall()]
            rec["warnings"] = [dict(zip(("cycle", "level", "due_date", "run_date", "issue_id"), r)) for r in self.db.execute(
                "SELECT cycle, level, due_date, run_date, issue_id FROM equipment_warnings WHERE equipment_id = ? "
                "ORDER BY cycle DESC, level DESC", (equipment_id,)).fetchall()]
            rec["applications"] = [dict(zip(("ref", "status", "submitted_at", "cycle"), r)) for r in self.db.execute(
                "SELECT ref, status, submitted_at, equipment_cycle FROM applications WHERE equipment_id = ? "
                "ORDER BY id DESC", (equipment_id,)).fetchall()]
        return rec

    def list_equipment(self, flt: EquipmentFilter = EquipmentFilter(), *, limit: int = 50,
                       offset: int = 0) -> tuple[list[dict], int]:
        """Records kept by ``flt``, soonest due first, and how many there are."""
        where, params = flt.terms()
        sql_where = where_sql(where)
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM equipment{sql_where}", params).fetchone()[0]
            rows = self.db.execute(f"{_SELECT}{sql_where} ORDER BY due_date, id LIMIT ? OFFSET ?",
                                   (*params, limit, offset)).fetchall()
        return [_row(r) for r in rows], total

    def iter_equipment(self, flt: EquipmentFilter = EquipmentFilter(), *, batch: int = 2000) -> Iterator[dict]:
        """Every record kept by ``flt`` in (due date, id) order, read in batches (exports, feeds)."""
        where, params = flt.terms()
        last: tuple[str, int] = ("", 0)
        while True:
            terms = where + ["(due_date > ? OR (due_date = ? AND id > ?))"]
            with self._lock:
                rows = self.db.execute(f"{_SELECT}{where_sql(terms)} ORDER BY due_date, id LIMIT ?",
                                       (*params, last[0], last[0], last[1], batch)).fetchall()
            if not rows:
                return
            for r in rows:
                yield _row(r)
            last = (rows[-1][_COLUMNS.index("due_date")], rows[-1][0])

    def equipment_by_codes(self, codes: Iterable[str]) -> dict[str, dict]:
        """The stored records with these device codes, by code."""
        codes = list(dict.fromkeys(codes))
        found: dict[str, dict] = {}
        with self._lock:
            for i in range(0, len(codes), 500):
                chunk = codes[i:i + 500]
                marks = ",".join("?" * len(chunk))
                for r in self.db.execute(f"{_SELECT} WHERE device_code IN ({marks})", chunk).fetchall():
                    found[r[_COLUMNS.index("device_code")]] = _row(r)
        return found

    def import_equipment(self, added: Sequence[dict], updated: Sequence[tuple[int, dict]], *, actor: str) -> None:
        """Store an import's new records and changes in one transaction (all or nothing)."""
        now = iso(utcnow())
        with self._immediate() as db:
            for record in added:
                self._insert_equipment(db, record, actor=actor, now=now, kind="imported")
            for equipment_id, record in updated:
                self._update_equipment(db, equipment_id, record, actor=actor, now=now, kind="imported")

    def equipment_enterprises(self) -> list[dict]:
        return self._dicts("SELECT uscc, max(org_name) AS org_name, count(*) AS n FROM equipment GROUP BY uscc "
                           "ORDER BY org_name")

    # ------------------------------------------------------------ the next cycle

    def next_cycle(self, equipment_id: int, *, expected_cycle: int | None, last_date: str, due_date: str,
                   actor: str, note: str) -> bool:
        """The inspection is done: new dates, cycle + 1 (its warnings start again). False when the
        record already left ``expected_cycle`` (the same completion seen twice)."""
        now = iso(utcnow())
        with self._immediate() as db:
            return self._next_cycle(db, equipment_id, expected_cycle=expected_cycle, last_date=last_date,
                                    due_date=due_date, actor=actor, note=note, now=now)

    def _next_cycle(self, db: Database, equipment_id: int, *, expected_cycle: int | None, last_date: str,
                    due_date: str, actor: str, note: str, now: str) -> bool:
        row = db.execute("SELECT cycle, last_date, due_date FROM equipment WHERE id = ?", (equipment_id,)).fetchone()
        if row is None:
            raise EquipmentNotFound(str(equipment_id))
        if expected_cycle is not None and row[0] != expected_cycle:
            return False
        db.execute("UPDATE equipment SET cycle = cycle + 1, last_date = ?, due_date = ?, updated_at = ? WHERE id = ?",
                   (last_date, due_date, now, equipment_id))
        changes = {"last_date": [row[1], last_date], "due_date": [row[2], due_date], "cycle": [row[0], row[0] + 1]}
        db.execute("INSERT INTO equipment_events (equipment_id, at, actor, kind, note, changes) VALUES (?,?,?,?,?,?)",
                   (equipment_id, now, actor, "inspected", note, json.dumps(changes, ensure_ascii=False)))
        return True

    def complete_equipment_cycle(self, db: Database, application_id: int, *, last_date: str,
                                 next_due: Callable[[int], str], actor: str, now: str) -> bool:
        """Inside a status change to 'completed': the application's equipment moves to its next
        cycle (``next_due(cycle_months)`` its new due date), once — only from the cycle it was made in."""
        row = db.execute("SELECT a.equipment_id, a.equipment_cycle, a.ref, e.cycle_months FROM applications a "
                         "JOIN equipment e ON e.id = a.equipment_id WHERE a.id = ?", (application_id,)).fetchone()
        if row is None:
            return False
        return self._next_cycle(db, row[0], expected_cycle=row[1], last_date=last_date, due_date=next_due(row[3]),
                                actor=actor, note=f"定期检验申请 {row[2]} 办结", now=now)

    @staticmethod
    def link_application_equipment(db: Database, application_id: int, equipment_id: int) -> None:
        """Inside the submission: the application is about this equipment, in its current cycle."""
        db.execute("UPDATE applications SET equipment_id = ?, equipment_cycle = (SELECT cycle FROM equipment WHERE id = ?) "
                   "WHERE id = ?", (equipment_id, equipment_id, application_id))

    def attach_equipment(self, draft_token: str, equipment_id: int) -> None:
        """The draft a warning's link opened is about this equipment."""
        with self._immediate() as db:
            db.execute("UPDATE drafts SET equipment_id = ? WHERE token = ? AND application_id IS NULL",
                       (equipment_id, draft_token))

    # ------------------------------------------------------------ warnings

    def warning_candidates(self, latest_due: str, *, batch: int = 1000) -> Iterator[list[tuple]]:
        """Records in use due on or before ``latest_due``, with the highest level already sent in
        their current cycle: batches of (id, cycle, due_date, kind, highest level or 0, uscc, org_name,
        device_code, name, manager_name, manager_phone, manager_email, head_name, head_phone, head_email)."""
        last = ("", 0)
        while True:
            with self._lock:
                rows = self.db.execute(
                    "SELECT e.id, e.cycle, e.due_date, e.kind, "
                    "coalesce((SELECT max(w.level) FROM equipment_warnings w WHERE w.equipment_id = e.id "
                    "AND w.cycle = e.cycle), 0), e.uscc, e.org_name, e.device_code, e.name, e.manager_name, "
                    "e.manager_phone, e.manager_email, e.head_name, e.head_phone, e.head_email "
                    "FROM equipment e WHERE e.state = 'in_use' AND e.due_date <= ? "
                    "AND (e.due_date > ? OR (e.due_date = ? AND e.id > ?)) ORDER BY e.due_date, e.id LIMIT ?",
                    (latest_due, last[0], last[0], last[1], batch)).fetchall()
            if not rows:
                return
            yield rows
            last = (rows[-1][2], rows[-1][0])

    def record_warnings(self, warnings: Sequence[Warning], *, run_date: str, service: tuple[str, str],
                        after: Callable[[list[Warning], dict[int, int]], list[dict]] | None = None) -> list[Warning]:
        """Write each warning with its notices (and level 3's follow-up item) in ONE transaction;
        a warning already recorded for its record, cycle and level (or a higher one) is skipped
        with its notices. ``after(written, {equipment id: follow-up item id})`` returns more mails
        to queue in the same transaction (the staff's notice). Returns the warnings written."""
        now = iso(utcnow())
        written, issues = [], {}
        with self._immediate() as db:
            for w in warnings:
                row = db.execute("SELECT cycle FROM equipment WHERE id = ? AND state = 'in_use'",
                                 (w.equipment_id,)).fetchone()
                if row is None or row[0] != w.cycle:
                    continue   # changed since it was read: the next run sees it as it is now
                if db.execute("SELECT 1 FROM equipment_warnings WHERE equipment_id = ? AND cycle = ? AND level >= ?",
                              (w.equipment_id, w.cycle, w.level)).fetchone():
                    continue
                issue_id = None
                if w.issue is not None:
                    issue_id = db.execute(
                        "INSERT INTO issues (kind, equipment_id, service_id, service_name, opened_at, first_contact_due, "
                        "rectify_due) VALUES ('equipment', ?,?,?,?,?,?)",
                        (w.equipment_id, service[0], service[1], now, w.issue.get("first_contact_due"),
                         w.issue["rectify_due"])).lastrowid
                    db.execute("UPDATE issues SET group_id = id WHERE id = ?", (issue_id,))
                    db.execute("INSERT INTO issue_notes (issue_id, at, actor, kind, note) VALUES (?,?, 'system', 'opened', ?)",
                               (issue_id, now, w.issue.get("note")))
                db.execute("INSERT INTO equipment_warnings (equipment_id, cycle, level, due_date, run_date, at, issue_id) "
                           "VALUES (?,?,?,?,?,?,?)", (w.equipment_id, w.cycle, w.level, w.due_date, run_date, now, issue_id))
                db.execute("INSERT INTO equipment_events (equipment_id, at, actor, kind, note) VALUES (?,?, 'system', ?, ?)",
                           (w.equipment_id, now, "escalated" if issue_id else "warned", f"level {w.level}"))
                self._queue_mail(db, None, w.mails, now)
                written.append(w)
                if issue_id:
                    issues[w.equipment_id] = issue_id
            if after is not None and written:
                self._queue_mail(db, None, after(written, issues), now)
        return written

    def warning_counts(self) -> dict[int, int]:
        """Warnings recorded per level (all cycles)."""
        return dict(self._all("SELECT level, count(*) FROM equipment_warnings GROUP BY level"))

    def open_equipment_issues(self) -> int:
        return self._one("SELECT count(*) FROM issues WHERE kind = 'equipment' AND status = 'open'")[0]

    # ------------------------------------------------------------ dashboard figures

    def equipment_counts(self, *, today: str, month_end: str, thresholds: dict[int, str],
                         flt: EquipmentFilter = EquipmentFilter()) -> dict:
        """Figures of the dashboard over the records ``flt`` keeps that are in use: per kind, per
        level (``thresholds`` maps a level to the latest due date at that level today; overdue
        records apart), due from today to ``month_end``, overdue; and the open follow-up items."""
        terms, params = flt.terms()
        in_use = terms + ["state = 'in_use'"]

        def count(extra: list[str], more: list) -> int:
            return self._one(f"SELECT count(*) FROM equipment{where_sql(in_use + extra)}", (*params, *more))[0]
        kinds = dict(self._all(f"SELECT kind, count(*) FROM equipment{where_sql(in_use)} GROUP BY kind", params))
        levels = {}
        bounds = sorted(thresholds.items())   # level 1 has the latest due date, the last level the earliest
        for i, (level, latest) in enumerate(bounds):
            extra, more = ["due_date >= ?", "due_date <= ?"], [today, latest]
            if i + 1 < len(bounds):
                extra.append("due_date > ?")
                more.append(bounds[i + 1][1])
            levels[level] = count(extra, more)
        return {
            "kinds": kinds, "levels": levels, "in_use": sum(kinds.values()),
            "total": self._one(f"SELECT count(*) FROM equipment{where_sql(terms)}", params)[0],
            "overdue": count(["due_date < ?"], [today]),
            "due_this_month": count(["due_date >= ?", "due_date <= ?"], [today, month_end]),
            "issues_open": self.open_equipment_issues(),
        }

    def due_per_month(self, first_month: str, last_month: str, flt: EquipmentFilter = EquipmentFilter()) -> dict[str, int]:
        """Records in use falling due per month 'YYYY-MM' in [first_month, last_month]."""
        where, params = flt.terms()
        where += ["state = 'in_use'", "substr(due_date, 1, 7) BETWEEN ? AND ?"]
        return dict(self._all(f"SELECT substr(due_date, 1, 7) AS m, count(*) FROM equipment{where_sql(where)} "
                              f"GROUP BY m ORDER BY m", (*params, first_month, last_month)))

    # ------------------------------------------------------------ enterprise links

    def new_enterprise_link(self, uscc: str, *, actor: str) -> int:
        with self._immediate() as db:
            return db.execute("INSERT INTO enterprise_links (uscc, created_at, actor) VALUES (?,?,?)",
                              (uscc, iso(utcnow()), actor)).lastrowid

    def revoke_enterprise_link(self, link_id: int, uscc: str) -> bool:
        with self._immediate() as db:
            return db.execute("UPDATE enterprise_links SET revoked_at = ? WHERE id = ? AND uscc = ? AND revoked_at IS NULL",
                              (iso(utcnow()), link_id, uscc)).rowcount == 1

    def live_enterprise_link(self, link_id: int, uscc: str) -> bool:
        return self._one("SELECT 1 FROM enterprise_links WHERE id = ? AND uscc = ? AND revoked_at IS NULL",
                         (link_id, uscc)) is not None

    def enterprise_links(self, uscc: str) -> list[dict]:
        return self._dicts("SELECT id, created_at, actor, revoked_at FROM enterprise_links WHERE uscc = ? ORDER BY id DESC",
                           (uscc,))

    # ------------------------------------------------------------ the application of a notice's link

    def equipment_of_application(self, ref: str) -> tuple[int, int] | None:
        row = self._one("SELECT equipment_id, equipment_cycle FROM applications WHERE ref = ? AND equipment_id IS NOT NULL",
                        (ref,))
        return (row[0], row[1]) if row else None

