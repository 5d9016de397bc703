"""Migrations are history: the schema a migration creates does not follow later vocabulary changes."""
from __future__ import annotations

from forms_backend import vocabulary
from forms_backend.storage import Storage
from forms_backend.storage.sqlite import sqlite3

# The CHECK lists as the migrations shipped them (0001-0005; 0005 rebuilt application_events and issue_notes;
# 0010 rebuilt the two status tables with 'withdrawn'; 0011 added the service records, 0013 their files).
SHIPPED = {
    "applications": ["status IN ('submitted', 'accepted', 'in_progress', 'completed', 'needs_info', 'rejected', "
                     "'withdrawn')"],
    "application_events": ["to_status IN ('submitted', 'accepted', 'in_progress', 'completed', 'needs_info', "
                           "'rejected', 'withdrawn')"],
    "users": ["role IN ('staff', 'admin')"],
    "contacts": ["channel IN ('phone', 'visit', 'email', 'other')"],
    "suggestions": ["kind IN ('complaint', 'suggestion')"],
    "application_events": ["kind IN ('status', 'note', 'mail', 'assign', 'reopen', 'result')"],
    "issues": ["kind IN ('rating', 'complaint', 'suggestion', 'equipment')",
               "told_via IN ('email', 'phone', 'visit', 'letter', 'track')", "followup_score BETWEEN 1 AND 3"],
    "issue_notes": ["kind IN ('opened', 'note', 'contact', 'owner', 'updated', 'closed', 'reopened', 'linked', "
                    "'merged', 'followup')",
                    "channel IN ('phone', 'visit', 'email', 'other')"],
    "mail_queue": ["channel IN ('email', 'sms')"],
    "products": ["flag IN ('none', 'innovation', 'priority')"],
    "service_records": ["kind IN ('consultation', 'visit', 'training', 'mock_inspection', 'pre_review', "
                        "'staff_training', 'other')", "channel IN ('phone', 'walk_in', 'online')",
                        "source IN ('console', 'import')"],
    "archive_views": ["what IN ('enterprise', 'product', 'catalogue', 'export')"],
    "record_files": ["role IN ('attachment', 'material')"],
    "equipment": ["kind IN ('boiler', 'pressure_vessel', 'pressure_piping', 'elevator', 'lifting', 'ropeway', "
                  "'amusement', 'vehicle', 'measuring')", "state IN ('in_use', 'stopped', 'scrapped')",
                  "cycle_months BETWEEN 1 AND 120"],
    "equipment_events": ["kind IN ('created', 'updated', 'imported', 'inspected', 'warned', 'escalated')"],
    "equipment_warnings": ["level BETWEEN 1 AND 9", "UNIQUE (equipment_id, cycle, level)"],
}


def _schema(path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
    finally:
        conn.close()


def test_check_lists_are_the_shipped_literals(tmp_path):
    Storage(tmp_path / "a.db").close()
    schema = _schema(tmp_path / "a.db")
    for table, checks in SHIPPED.items():
        for check in checks:
            assert check in schema[table], (table, check)


def test_changing_the_vocabulary_does_not_change_what_a_shipped_migration_creates(tmp_path, monkeypatch):
    Storage(tmp_path / "before.db").close()
    monkeypatch.setattr(vocabulary, "STATUSES", vocabulary.STATUSES + ("withdrawn",))
    monkeypatch.setattr(vocabulary, "ROLES", vocabulary.ROLES + ("auditor",))
    monkeypatch.setattr(vocabulary, "TOLD_VIA", vocabulary.TOLD_VIA + ("wechat",))
    monkeypatch.setattr(vocabulary, "RECORD_KINDS", vocabulary.RECORD_KINDS + ("forum",))
    monkeypatch.setattr(vocabulary, "RECORD_FILE_ROLES", vocabulary.RECORD_FILE_ROLES + ("photo",))
    Storage(tmp_path / "after.db").close()
    assert _schema(tmp_path / "after.db") == _schema(tmp_path / "before.db")
