#!/usr/bin/env python3
"""Is the cross-process write lock still worth having? Writers with it and without it, one run.

P processes (as P gunicorn workers) each open the database the way the app does
(``forms_backend.storage.Storage``) and, for a fixed time, make applications the way the submit
path does: ``save_draft`` then ``submit`` (two ``BEGIN IMMEDIATE`` transactions, the second one
with the reference number, the history row and two queued mails). Once with every write
transaction behind the OS file lock beside the database (what a SQLite older than 3.51.3 needs),
once with writers queuing in SQLite's own lock and busy handler only (the bundled SQLite). The
two modes alternate, each on a fresh database, for ``--rounds`` rounds.

Reported per mode: applications/s (wall), p50/p99/max of one application (both transactions),
CPU ms per application (user+system of the writer processes, getrusage), and StorageBusy
errors; then the ratio without/with the lock.

    .venv/bin/python benchmarks/write_lock.py                          # 5 processes, 3 rounds of 5 s
    .venv/bin/python benchmarks/write_lock.py --seconds 2 --rounds 1   # CI's small mode
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forms_backend.storage import Storage, StorageBusy, sqlite  # noqa: E402
from forms_backend.storage.core import StoreBase  # noqa: E402

RECORD = {"service_id": "metering", "service_name": "计量器具检定", "org_name": "压测单位", "uscc": "91350100M000100Y43",
          "contact_name": "张三", "phone": "13812345678", "phone_norm": "13812345678", "email": "a@example.com",
          "answers": [{"id": "f_instruments", "label": "器具", "type": "text", "value": "天平", "display": "天平"}]}


def mails(ref: str) -> list[dict]:
    return [{"kind": kind, "to": to, "subject": f"申请 {ref}", "body": "您的申请已收到。" * 20}
            for kind, to in (("applicant_ack", "a@example.com"), ("staff_new", "staff@example.org"))]


def writer(path: str, lock: bool, seconds: float, start_at: float, index: int, out) -> None:
    StoreBase.LOCK_WRITES = lock
    store = Storage(path, migrate=False)
    latencies, busy = [], 0
    while time.time() < start_at:
        time.sleep(0.001)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
        token = f"{index}-{n}"
        t0 = time.perf_counter()
        try:
            draft = store.save_draft(token, "metering", answers={"org_name": f"单位{token}"})
            store.submit(token, draft.submit_token, record=RECORD, ref_prefix="ZY", yymm="2611", compose_mail=mails)
        except StorageBusy:
            busy += 1
            continue
        latencies.append(time.perf_counter() - t0)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    store.close()
    out.put({"latencies": latencies, "busy": busy,
             "cpu": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)})


def run(lock: bool, processes: int, seconds: float, folder: Path) -> dict:
    path = folder / f"{'lock' if lock else 'nolock'}-{time.time_ns()}.db"
    Storage(path).close()  # created and migrated once, like a deployed database
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 0.5
    procs = [ctx.Process(target=writer, args=(str(path), lock, seconds, start_at, i, out)) for i in range(processes)]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    lat = sorted(x for r in results for x in r["latencies"])
    done = len(lat)
    store = Storage(path, migrate=False)
    stored = store.count_applications()
    problems = store.quick_check()
    store.close()
    return {"lock": lock, "applications": done, "per_second": done / seconds,
            "p50_ms": 1000 * lat[len(lat) // 2] if lat else float("nan"),
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan"),
            "max_ms": 1000 * lat[-1] if lat else float("nan"),
            "cpu_ms_per_application": 1000 * sum(r["cpu"] for r in results) / max(1, done),
            "busy_errors": sum(r["busy"] for r in results), "stored": stored, "quick_check": problems or "ok"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--processes", type=int, default=5, help="writer processes (default 5, like 2 x cores + 1 workers)")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each timed run (default 5)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of (with lock, without lock) (default 3)")
    p.add_argument("--json", type=Path, help="also write the results to this file")
    args = p.parse_args(argv)
    print(f"{sqlite.library()}; {args.processes} writer processes, {args.seconds:g} s per run, "
          f"{args.rounds} round(s); each application = save_draft + submit", flush=True)
    print(f"{'mode':16} {'apps/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'cpu ms/app':>10} {'busy':>5} "
          f"{'stored':>7} check")
    rows = []
    with tempfile.TemporaryDirectory(prefix="write-lock-") as tmp:
        for _ in range(args.rounds):
            for lock in (True, False):
                r = run(lock, args.processes, args.seconds, Path(tmp))
                rows.append(r)
                print(f"{'file lock' if lock else 'SQLite lock only':16} {r['per_second']:8.1f} {r['p50_ms']:8.1f} "
                      f"{r['p99_ms']:8.1f} {r['max_ms']:8.1f} {r['cpu_ms_per_application']:10.2f} "
                      f"{r['busy_errors']:5d} {r['stored']:7d} {r['quick_check']}", flush=True)
    def med(lock, key):
        return statistics.median(r[key] for r in rows if r["lock"] == lock)
    ratio = med(False, "per_second") / med(True, "per_second")
    cpu_ratio = med(False, "cpu_ms_per_application") / med(True, "cpu_ms_per_application")
    print(f"median over rounds, without / with the file lock: throughput {ratio:.2f}x, "
          f"p99 {med(False, 'p99_ms'):.1f} vs {med(True, 'p99_ms'):.1f} ms, CPU per application {cpu_ratio:.2f}x")
    if args.json:
        args.json.write_text(json.dumps({"library": sqlite.library(), "runs": rows, "throughput_ratio": ratio,
                                         "cpu_ratio": cpu_ratio}, indent=2))
    bad = [r for r in rows if r["busy_errors"] or r["quick_check"] != "ok" or r["stored"] != r["applications"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
