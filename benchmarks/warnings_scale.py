#!/usr/bin/env python3
"""The equipment register at scale: importing a 台账 and the daily warning run over N records.

For each size N (default 10,000 and 100,000) a fresh database under the shipped guide gets a
generated 台账 of N pieces of equipment of 500 enterprises (valid 统一社会信用代码, kinds mixed,
due dates spread from 30 days overdue to two years ahead, safety manager with a mobile and an
email, enterprise head with an email), imported the way the console does it: the CSV read by
``forms.equipment_import.read_rows``, every row checked by the equipment form, compared with the
register (``plan``) and stored in one transaction (``Storage.import_equipment``).

Then the daily run (``warning_run.run_warnings``, what ``guide warnings run`` and the background
job call) is timed on three days: the first run over the fresh register (every record already in
a warning window gets its notice: the heaviest day), the next day (only the records that cross a
level that day: the usual day), and the same day again (a rerun: sends nothing). Each run is
timed for wall and CPU time (``time.process_time``: on a busy machine the steadier figure), then
the same day's run is repeated on a copy of the database under tracemalloc for its peak Python
memory. Memory must stay flat in N: the run reads the candidates in batches of 1,000.

The baseline, measured in the same run on the same database, is one plain read of every record
(``SELECT * FROM equipment`` through sqlite3, rows fetched and dropped): ``ratio`` says what the
daily run costs beyond reading the register once.

    .venv/bin/python benchmarks/warnings_scale.py                    # N = 10,000 and 100,000
    .venv/bin/python benchmarks/warnings_scale.py --sizes 500,2000   # CI's small mode (make bench-small)

Exit status 0 whatever the timings (the target — a daily run over 100,000 records in under
10 s — is printed next to the figure, not asserted); 1 when a run does not do what it must
(a rerun that sends something, an import that is refused).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forms_backend import create_app  # noqa: E402
from forms_backend.forms.equipment_import import IMPORT_COLUMNS, check_rows, plan, read_rows  # noqa: E402
from forms_backend.forms.values import uscc_check_char  # noqa: E402
from forms_backend.storage.sqlite import sqlite3  # noqa: E402
from forms_backend.warning_run import run_warnings  # noqa: E402

TODAY = dt.date(2026, 12, 1)
KINDS = ["压力容器", "压力管道", "电梯", "起重机械", "场（厂）内专用机动车辆", "锅炉", "强制检定计量器具", "叉车"]


def uscc(i: int) -> str:
    body = f"91320700MA{i:07d}"
    return body + uscc_check_char(body)


def ledger_csv(n: int, seed: int = 11) -> bytes:
    rnd = random.Random(seed)
    headers = [h for h, _, _ in IMPORT_COLUMNS]
    out = io.StringIO()
    out.write(",".join(headers) + "\n")
    for i in range(n):
        company = i % 500
        due = TODAY + dt.timedelta(days=rnd.randrange(-30, 730))
        row = {"统一社会信用代码": uscc(company), "企业名称": f"连云港示例医药有限公司{company}",
               "设备类别": KINDS[i % len(KINDS)], "设备代码": f"EQ{i:08d}", "使用登记证编号": f"容3207苏G{i:05d}",
               "设备名称": "设备" + str(i % 97), "型号规格": "XG-1", "安装地点": f"{i % 9 + 1}号车间",
               "上次检验日期": "", "检验周期（月）": "12", "下次检验日期": due.isoformat(),
               "安全管理员": "王安全", "安全管理员手机": f"139{company:08d}", "安全管理员邮箱": f"safety{company}@example.com",
               "主要负责人": "赵总", "主要负责人手机": "", "主要负责人邮箱": f"head{company}@example.com", "设备状态": "在用"}
        out.write(",".join(row[h] for h in headers) + "\n")
    return out.getvalue().encode("utf-8")


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def peak_of(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    finally:
        tracemalloc.stop()


def open_app(data_dir: Path):
    return create_app({"GUIDE_PROJECT": ROOT, "GUIDE_DATA_DIR": data_dir, "GUIDE_MAIL_WORKER": False,
                       "GUIDE_SMS_URL": "http://127.0.0.1:9/sms", "GUIDE_STAFF_EMAIL": "duty@example.org",
                       "GUIDE_BASE_URL": "https://guide.example.org"})


def baseline(db_path: Path) -> tuple[float, float]:
    conn = sqlite3.connect(db_path)
    try:
        def scan():
            for _ in conn.execute("SELECT * FROM equipment"):
                pass
        _, wall, cpu = timed(scan)
    finally:
        conn.close()
    return wall, cpu


def one_size(n: int, work: Path) -> list[dict]:
    data_dir = work / f"n{n}"
    app = open_app(data_dir)
    storage = app.extensions["guide"].storage
    storage.db.execute("PRAGMA synchronous = NORMAL")   # as FULL, minus the fsync per commit of a shared disk
    data = ledger_csv(n)
    rows = []

    def do_import():
        records, problems = check_rows(read_rows("台账.csv", data))
        if problems:
            raise SystemExit(f"the generated 台账 was refused: {problems[:3]}")
        result, problems = plan(records, storage.equipment_by_codes(r["device_code"] for r in records))
        storage.import_equipment(result.added, [(eid, rec) for eid, rec, _ in result.updated], actor="bench")
        return result
    with app.app_context():
        result, wall, cpu = timed(do_import)
    rows.append({"n": n, "what": f"import 台账 ({len(data) / 1e6:.1f} MB CSV, {len(result.added)} added)",
                 "wall": wall, "cpu": cpu, "peak": None})
    # Re-import of the same file: nothing to change.
    with app.app_context():
        records, _ = check_rows(read_rows("台账.csv", data))
        again, _ = plan(records, storage.equipment_by_codes(r["device_code"] for r in records))
    if again.changes_anything:
        raise SystemExit("re-importing the same 台账 would change the register")
    base_wall, base_cpu = baseline(storage.path)
    rows.append({"n": n, "what": "baseline: read every record once", "wall": base_wall, "cpu": base_cpu, "peak": None})
    for label, day in (("daily run, first day (fresh register)", TODAY), ("daily run, next day", TODAY + dt.timedelta(days=1)),
                       ("daily run, same day again (rerun)", TODAY + dt.timedelta(days=1))):
        snapshot = work / f"snap-{n}.db"
        storage.backup(snapshot)                      # the state before this run, for the memory measurement
        with app.app_context():
            res, wall, cpu = timed(lambda: run_warnings(app, day))
        if "rerun" in label and res.sent:
            raise SystemExit(f"a rerun sent warnings again: {res.sent}")
        shadow_dir = work / f"shadow-{n}"
        shadow_dir.mkdir(exist_ok=True)
        shutil.copy(snapshot, shadow_dir / "guide.db")
        shadow = open_app(shadow_dir)
        with shadow.app_context():
            peak = peak_of(lambda: run_warnings(shadow, day))
        shadow.extensions["guide"].storage.close()
        shutil.rmtree(shadow_dir)
        sent = sum(res.sent.values())
        rows.append({"n": n, "what": f"{label}: {sent} warned, {res.messages} messages, {res.escalated} items, "
                                      f"{res.overdue} overdue", "wall": wall, "cpu": cpu, "peak": peak,
                     "ratio": cpu / base_cpu if base_cpu else None})
    storage.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of records")
    args = parser.parse_args()
    logging.getLogger("forms_backend").setLevel(logging.ERROR)   # not the SQLite version warning per database
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="warnings-scale-"))
    try:
        print(f"{'N':>8}  {'wall s':>8}  {'CPU s':>8}  {'peak MB':>8}  {'ratio':>7}  what")
        for n in sizes:
            for r in one_size(n, work):
                peak = f"{r['peak']:8.1f}" if r["peak"] is not None else f"{'':>8}"
                ratio = f"{r['ratio']:7.1f}" if r.get("ratio") else f"{'':>7}"
                print(f"{r['n']:>8}  {r['wall']:8.2f}  {r['cpu']:8.2f}  {peak}  {ratio}  {r['what']}", flush=True)
        print("ratio: CPU time of the run / CPU time of reading every record once (same database, same run).")
        print("target: the daily run over 100,000 records in under 10 s; peak memory flat in N.")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
