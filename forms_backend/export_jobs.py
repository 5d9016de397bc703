"""Spreadsheet exports built in the background, so no request holds a worker for long.

A large XLSX (openpyxl's write-only mode, rows streamed from a read connection of its own)
is written by a thread into ``<data dir>/exports/`` while the staff member sees a page that
refreshes itself and then offers the file. The files are named by random tokens; a small JSON
beside each says who asked for it, so only that account (or an administrator) can download
it. Because the state lives in files, any worker process can answer for a job another one
runs (gunicorn with several workers). Files are deleted after ``KEEP`` by the hourly
housekeeping. One export is built at a time per process; the next one waits its turn.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

KEEP = dt.timedelta(hours=24)
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_ONE_AT_A_TIME = threading.Semaphore(1)


@dataclass(frozen=True)
class Job:
    token: str
    name: str        # the download's file name
    owner: str       # staff account that asked for it
    state: str       # 'running', 'ready' or 'failed'
    rows: int | None
    size: int | None


class ExportJobs:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _paths(self, token: str) -> tuple[Path, Path, Path]:
        return (self.folder / f"{token}.json", self.folder / f"{token}.part", self.folder / f"{token}.xlsx")

    def start(self, *, owner: str, name: str, write: Callable[[Path], int]) -> str:
        """Run ``write(path) -> rows`` in a thread; return the job's token at once."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        token = secrets.token_urlsafe(24)
        meta, part, done = self._paths(token)
        meta.write_text(json.dumps({"owner": owner, "name": name, "state": "running",
                                    "started": time.time()}, ensure_ascii=False), encoding="utf-8")

        def run() -> None:
            with _ONE_AT_A_TIME:
                try:
                    rows = write(part)
                    os.replace(part, done)
                    state = {"state": "ready", "rows": rows, "size": done.stat().st_size}
                except Exception:  # the page says it failed; the log has why
                    log.exception("export %s failed", name)
                    part.unlink(missing_ok=True)
                    state = {"state": "failed"}
                data = json.loads(meta.read_text(encoding="utf-8"))
                data.update(state)
                tmp = meta.with_suffix(".tmp")
                tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
                os.replace(tmp, meta)

        threading.Thread(target=run, name=f"export-{token[:6]}", daemon=True).start()
        return token

    def get(self, token: str) -> Job | None:
        if not TOKEN.fullmatch(token or ""):
            return None
        meta, _, done = self._paths(token)
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        state = data.get("state", "running")
        if state == "ready" and not done.exists():
            return None
        return Job(token, data["name"], data["owner"], state, data.get("rows"), data.get("size"))

    def file(self, token: str) -> Path:
        return self._paths(token)[2]

    def purge(self, *, older_than: dt.timedelta = KEEP) -> int:
        """Delete jobs (and half-written files of dead processes) older than ``older_than``."""
        if not self.folder.is_dir():
            return 0
        cutoff, removed = time.time() - older_than.total_seconds(), 0
        for path in self.folder.iterdir():
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
