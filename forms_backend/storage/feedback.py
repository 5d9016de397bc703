"""Ratings, page feedback, 意见箱 entries, follow-up items and statistics."""
from __future__ import annotations

from .common import *  # noqa: F401,F403 - constants, errors, helpers
from .records import *  # noqa: F401,F403
from .records import _application  # noqa: F401
from .migrations import _in  # noqa: F401


class FeedbackStore:
    """Methods of Storage for the feedback loop."""

    # ------------------------------------------------------------ ratings (五级好差评)

    _RATING_COLUMNS = ("id, application_id, score, q_guide, q_process, q_materials, q_interface, comment, "
                       "created_at, current")

    def save_rating(self, ref: str, *, score: int, answers: dict[str, int | None], comment: str | None,
                    open_issue: dict | None, summary: str) -> tuple[int, int | None]:
        """Store a rating of a completed application; it replaces the current one (kept as history).

        ``open_issue`` ({first_contact_due, rectify_due}) opens a follow-up item, unless one is
        already open for this application: then, as for any new rating while one is open, the
        item gets a note (``summary`` says what the rating is). Returns (rating id, item id).
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
        keys = ("ref", "service_name", "org_name", "score", "q_guide", "q_process", "q_materials", "q_interface",
                "comment", "created_at", "issue_id")
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM ratings r JOIN applications a ON a.id = r.application_id"
                                    f"{sql_where}", params).fetchone()[0]
            rows = self.db.execute(
                f"SELECT a.ref, a.service_name, a.org_name, r.score, r.q_guide, r.q_process, r.q_materials, "
                f"r.q_interface, r.comment, r.created_at, (SELECT max(i.id) FROM issues i WHERE i.rating_id = r.id) "
                f"FROM ratings r JOIN applications a ON a.id = r.application_id{sql_where} "
                f"ORDER BY r.id DESC LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [dict(zip(keys, r)) for r in rows], total

    def export_ratings(self) -> list[dict]:
        keys = ("ref", "service_name", "org_name", "uscc", "score", "q_guide", "q_process", "q_materials",
                "q_interface", "comment", "created_at", "current")
        return [dict(zip(keys, r)) for r in self._all(
            "SELECT a.ref, a.service_name, a.org_name, a.uscc, r.score, r.q_guide, r.q_process, r.q_materials, "
            "r.q_interface, r.comment, r.created_at, r.current FROM ratings r "
            "JOIN applications a ON a.id = r.application_id ORDER BY r.id")]

    # ------------------------------------------------------------ page feedback

    def add_page_vote(self, page: str, helpful: bool, comment: str | None = None) -> int:
        now = iso(utcnow())
        with self._immediate() as db:
            return db.execute("INSERT INTO page_feedback (page, helpful, comment, created_at, updated_at) "
                              "VALUES (?,?,?,?,?)", (page, int(helpful), comment or None, now, now)).lastrowid

    def update_page_vote(self, vote_id: int, *, helpful: bool | None = None, comment: str | None = None) -> None:
        """Change the answer of a vote, or add its comment (a comment is never blanked)."""
        with self._immediate() as db:
            if db.execute("SELECT 1 FROM page_feedback WHERE id = ?", (vote_id,)).fetchone() is None:
                raise VoteNotFound(str(vote_id))
            db.execute("UPDATE page_feedback SET helpful = coalesce(?, helpful), comment = coalesce(?, comment), "
                       "updated_at = ? WHERE id = ?",
                       (None if helpful is None else int(helpful), comment or None, iso(utcnow()), vote_id))

    def page_vote(self, vote_id: int) -> dict | None:
        row = self._one("SELECT id, page, helpful, comment FROM page_feedback WHERE id = ?", (vote_id,))
        return dict(zip(("id", "page", "helpful", "comment"), row)) if row else None

    def page_feedback_by_page(self, since: str | None = None, until: str | None = None) -> list[dict]:
        where, params = self._between("created_at", since, until)
        rows = self._all(f"SELECT page, sum(helpful), sum(1 - helpful), sum(comment IS NOT NULL) FROM page_feedback"
                         f"{where} GROUP BY page", params)
        return [{"page": r[0], "yes": r[1], "no": r[2], "comments": r[3]} for r in rows]

    def page_feedback_comments(self, *, page: str | None = None, limit: int = 50, offset: int = 0
                               ) -> tuple[list[dict], int]:
        where, params = "WHERE comment IS NOT NULL", []
        if page:
            where += " AND page = ?"
            params.append(page)
        with self._lock:
            total = self.db.execute(f"SELECT count(*) FROM page_feedback {where}", params).fetchone()[0]
            rows = self.db.execute(f"SELECT page, helpful, comment, created_at FROM page_feedback {where} "
                                   f"ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [dict(zip(("page", "helpful", "comment", "created_at"), r)) for r in rows], total

    def export_page_feedback(self) -> list[dict]:
        return [dict(zip(("page", "helpful", "comment", "created_at"), r)) for r in
                self._all("SELECT page, helpful, comment, created_at FROM page_feedback ORDER BY id")]

    @staticmethod
    def _between(column: str, since: str | None, until: str | None) -> tuple[str, list]:
        where, params = [], []
        if since:
            where.append(f"{column} >= ?")
            params.append(since)
        if until:
            where.append(f"{column} < ?")
            params.append(until)
        return ((" WHERE " + " AND ".join(where)) if where else ""), params

    # ------------------------------------------------------------ 意见箱 (suggestions and complaints)

    def add_suggestion(self, record: dict, *, ref_prefix: str, yymm: str, code_hash: str, issue: dict) -> str:
        """Store an entry and open its follow-up item, in one transaction; return its reference."""
        if record["kind"] not in SUGGESTION_KINDS:
            raise StorageError(f"unknown kind '{record['kind']}'")
        now = iso(utcnow())
        with self._immediate() as db:
            ref = self._new_ref(db, ref_prefix, yymm, table="suggestions")
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

    def export_suggestions(self) -> list[dict]:
        keys = ("ref", "kind", "service_name", "related_ref", "body", "name", "org_name", "phone", "email",
                "created_at", "status", "owner", "first_contact_due", "first_contact_at", "rectify_due", "closed_at",
                "outcome", "told_via")
        return [dict(zip(keys, r)) for r in self._all(
            "SELECT s.ref, s.kind, s.service_name, s.related_ref, s.body, s.name, s.org_name, s.phone, s.email, "
            "s.created_at, i.status, i.owner, i.first_contact_due, i.first_contact_at, i.rectify_due, i.closed_at, "
            "i.outcome, i.told_via FROM suggestions s LEFT JOIN issues i ON i.suggestion_id = s.id ORDER BY s.id")]

    # ------------------------------------------------------------ follow-up items

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

    # ------------------------------------------------------------ statistics

    def stats_applications(self, since: str | None, until: str | None) -> list[dict]:
        where, params = self._between("submitted_at", since, until)
        keys = ("service_id", "service_name", "status", "submitted_at", "closed_at", "due_at", "uscc")
        return [dict(zip(keys, r)) for r in self._all(
            f"SELECT service_id, service_name, status, submitted_at, closed_at, due_at, uscc FROM applications{where}",
            params)]

    def stats_ratings(self, since: str | None, until: str | None) -> list[dict]:
        where, params = self._between("r.created_at", since, until)
        where = (where + " AND" if where else " WHERE") + " r.current = 1"
        keys = ("service_id", "service_name", "score", "q_guide", "q_process", "q_materials", "q_interface")
        return [dict(zip(keys, r)) for r in self._all(
            f"SELECT a.service_id, a.service_name, r.score, r.q_guide, r.q_process, r.q_materials, r.q_interface "
            f"FROM ratings r JOIN applications a ON a.id = r.application_id{where}", params)]

    def stats_issues(self, since: str | None, until: str | None) -> list[dict]:
        where, params = self._between("opened_at", since, until)
        keys = ("kind", "status", "opened_at", "first_contact_due", "first_contact_at", "rectify_due", "closed_at",
                "service_name", "outcome")
        return [dict(zip(keys, r)) for r in self._all(
            f"SELECT kind, status, opened_at, first_contact_due, first_contact_at, rectify_due, closed_at, "
            f"service_name, outcome FROM issues{where} ORDER BY id", params)]

    def stats_contacts(self, since: str | None, until: str | None) -> dict[str, int]:
        where, params = self._between("at", since, until)
        return dict(self._all(f"SELECT channel, count(*) FROM contacts{where} GROUP BY channel", params))

    def count_open_issues_overdue(self, today: str) -> dict[str, int]:
        row = self._one(
            "SELECT sum(first_contact_at IS NULL AND first_contact_due IS NOT NULL AND first_contact_due < ?), "
            "sum(rectify_due < ?) FROM issues WHERE status = 'open'", (today, today))
        return {"first_contact": row[0] or 0, "rectify": row[1] or 0}
