"""The baseline for benchmarks/submit_load.py: a minimal Flask app that inserts one row per POST.

Same SQLite library as forms_backend.storage and the same durability (WAL, busy timeout, one
connection per process behind a lock; every acknowledged row on disk before the answer — here by
synchronous=FULL, in forms_backend by synchronous=NORMAL plus its own fsync of the WAL once the
write lock is released, see README "Durability"), so the comparison measures what our submission
path adds, not a different durability level. Started with gunicorn exactly like the real app:

    BASELINE_DB=/tmp/base.db gunicorn --chdir benchmarks 'baseline_app:create_app()'
"""
from __future__ import annotations

import os
import threading

from flask import Flask, request

from forms_backend.storage.sqlite import sqlite3  # the same SQLite library as the app


def create_app() -> Flask:
    app = Flask(__name__)
    conn = sqlite3.connect(os.environ["BASELINE_DB"], timeout=10, check_same_thread=False,
                           isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    lock = threading.Lock()

    @app.post("/insert")
    def insert():
        body = request.form.get("body", "")
        with lock:
            cur = conn.execute("INSERT INTO rows (body) VALUES (?)", (body,))
        return {"id": cur.lastrowid}, 201

    @app.get("/ready")
    def ready():
        return "ok"

    return app
