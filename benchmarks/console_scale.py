#!/usr/bin/env python3
"""The staff console at scale: every page and export timed over N applications.

Fills a fresh database through the project's own storage layer (``Storage.save_draft`` /
``submit`` / ``set_status`` / ``add_contact`` / ``save_rating`` / ``add_suggestion`` /
``add_page_vote``) to N applications over two years of the default guide's services, in
realistic proportions: most cases completed, some in progress, one in three completed cases
rated (one rating in twenty bad, which opens a follow-up item), one case in five with a
recorded contact, one 意见箱 entry per 50 applications and one page vote per 5. Times are
then spread over the two years with one UPDATE (the storage layer stamps "now").

Then logs in as staff and times each console page and each export, one request at a time
through the whole Flask app (WSGI, as under ``guide serve``), reading every body to the end.
Each request is run once to warm up, then ``--repeat`` times (best wall time and best CPU time
of this process reported: on a busy machine the CPU time is the steadier figure), and once
more under tracemalloc for its peak Python memory. The baseline, measured in the same run, is the 登录 page: a page
whose work does not depend on N, so ``ratio`` says how much a page costs beyond serving any
page at all.

    .venv/bin/python benchmarks/console_scale.py               # N = 100,000 (a few minutes to fill)
    .venv/bin/python benchmarks/console_scale.py --n 2000      # CI's small mode
    .venv/bin/python benchmarks/console_scale.py --keep DIR    # keep (and reuse) the filled database

Exit status 0 whatever the timings: the numbers are for reading, not for failing CI. A
request that does not answer 200 is an error (exit 1).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import random
import re
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forms_backend import create_app  # noqa: E402
from forms_backend.auth import hash_password  # noqa: E402

PASSWORD = "console-scale-benchmark"


def _uscc(i: int) -> str:
    return f"9132070{i:010d}X"[:18]


def fill(storage, services: list[tuple[str, str]], n: int, seed: int = 7) -> dict[str, float]:
    """N applications with events, contacts, ratings, follow-up items, suggestions and page votes."""
    rnd = random.Random(seed)
    storage.db.execute("PRAGMA synchronous = OFF")  # the fill is set-up, not what is measured
    started = time.perf_counter()
    refs = []
    for i in range(n):
        service_id, service_name = services[i % len(services)]
        token = f"bench-{i}"
        storage.save_draft(token, service_id, answers={"x": 1})
        draft = storage.get_draft(token)
        company = rnd.randrange(400)
        record = {"service_id": service_id, "service_name": service_name, "org_name": f"连云港示例医药有限公司{company}",
                  "uscc": _uscc(company), "contact_name": "张三", "phone": f"138{company:08d}",
                  "phone_norm": f"138{company:08d}", "email": f"qa{company}@example.com",
                  "answers": [{"id": "f_note", "label": "说明", "type": "textarea", "value": "检定 2 台",
                               "display": "检定 2 台"}]}
        ref = storage.submit(token, draft.submit_token, record=record, ref_prefix="ZY", yymm="2611",
                             compose_mail=lambda ref: []).ref
        refs.append(ref)
        roll = rnd.random()
        if roll < 0.05:
            continue  # still 已提交
        if roll < 0.09:
            storage.set_status(ref, "rejected", actor="li", note="材料不符合要求")
            continue
        storage.set_status(ref, "accepted", actor="li", due_on="2026-12-31")
        if roll < 0.13:
            continue
        storage.set_status(ref, "in_progress", actor="li")
        if rnd.random() < 0.2:
            storage.add_contact(ref, actor="li", channel="phone", at="2026-01-01T08:00:00+00:00", note="电话联系")
        if roll < 0.18:
            continue
        storage.set_status(ref, "completed", actor="li")
        if rnd.random() < 0.33:
            score = 1 if rnd.random() < 0.05 else rnd.choice((4, 5, 5))
            storage.save_rating(ref, score=score, answers={"q_guide": 1, "q_process": 1, "q_materials": 1,
                                                           "q_interface": 1},
                                comment="很好" if score > 2 else "等待太久",
                                open_issue={"first_contact_due": "2026-01-05", "rectify_due": "2026-01-20"}
                                if score <= 2 else None, summary="评价")
    filled_apps = time.perf_counter() - started
    for i in range(max(1, n // 50)):
        storage.add_suggestion({"kind": "suggestion" if i % 3 else "complaint", "body": "建议增加办理时间说明",
                                "service_id": services[i % len(services)][0],
                                "service_name": services[i % len(services)][1]},
                               ref_prefix="YJ", yymm="2611", code_hash="x",
                               issue={"first_contact_due": "2026-01-05", "rectify_due": "2026-01-20"})
    for i in range(max(1, n // 5)):
        storage.add_page_vote(f"/services/{services[i % len(services)][0]}/", bool(i % 4),
                              "说明不清楚" if i % 17 == 0 else None)
    # The storage layer stamps "now": spread the history over the two years before today.
    span = 730 * 86400
    with storage._immediate() as db:
        db.execute(f"UPDATE applications SET submitted_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', "
                   f"'now', '-' || ((id * 7919) % {span}) || ' seconds')")
        db.execute("UPDATE applications SET updated_at = submitted_at, "
                   "closed_at = CASE WHEN closed_at IS NULL THEN NULL ELSE "
                   "strftime('%Y-%m-%dT%H:%M:%S+00:00', submitted_at, '+' || (id % 20) || ' days') END, "
                   "due_at = CASE WHEN due_at IS NULL THEN NULL ELSE date(submitted_at, '+15 days') END")
        # Cases are archived in the year they closed, numbered in closing order (as staff would have).
        db.execute("UPDATE applications SET archive_seq = -id WHERE archive_year IS NOT NULL")
        db.execute("UPDATE applications SET archive_year = CAST(strftime('%Y', closed_at) AS INTEGER), "
                   "archive_seq = s.n FROM (SELECT id, row_number() OVER (PARTITION BY strftime('%Y', closed_at) "
                   "ORDER BY closed_at, id) AS n FROM applications WHERE archive_year IS NOT NULL) AS s "
                   "WHERE applications.id = s.id")
        db.execute("UPDATE application_events SET at = (SELECT submitted_at FROM applications a "
                   "WHERE a.id = application_events.application_id)")
        db.execute("UPDATE ratings SET created_at = (SELECT closed_at FROM applications a "
                   "WHERE a.id = ratings.application_id)")
        db.execute(f"UPDATE suggestions SET created_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', "
                   f"'-' || ((id * 104729) % {span}) || ' seconds')")
        db.execute(f"UPDATE page_feedback SET created_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', "
                   f"'-' || ((id * 104729) % {span}) || ' seconds')")
        db.execute("UPDATE issues SET opened_at = coalesce((SELECT created_at FROM ratings r "
                   "WHERE r.id = issues.rating_id), (SELECT created_at FROM suggestions s "
                   "WHERE s.id = issues.suggestion_id), opened_at)")
    storage.db.execute("PRAGMA synchronous = FULL")
    storage.db.execute("ANALYZE")
    return {"fill_s": time.perf_counter() - started, "applications_s": filled_apps, "refs": refs}


def login(client) -> None:
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    r = client.post("/staff/login", data={"csrf_token": token.group(1), "name": "bench", "password": PASSWORD})
    assert r.status_code == 303, r.status_code


def fetch(client, path: str) -> tuple[int, int]:
    """(status, bytes) of one request, the body read chunk by chunk to the end."""
    r = client.get(path, buffered=False)
    size = 0
    for chunk in r.response:
        size += len(chunk)
    r.close()
    if r.status_code == 303 and "/staff/exports/jobs/" in r.headers.get("Location", ""):
        return 200, size  # a background export was started: the request's work ends here
    return r.status_code, size


def background_export(client, path: str) -> dict:
    """Time a background XLSX from the request to the file downloaded (polling its page)."""
    t0 = time.perf_counter()
    r = client.get(path)
    if r.status_code != 303:
        return {"path": path + " (in the request)", "s": time.perf_counter() - t0, "kb": len(r.data) / 1024}
    job = r.headers["Location"]
    while True:
        page = client.get(job).get_data(as_text=True)
        if "正在后台生成" not in page:
            break
        time.sleep(0.2)
    link = re.search(r'href="(/staff/exports/jobs/[^"]+/file)"', page)
    size = len(client.get(link.group(1)).data) if link else -1
    return {"path": path + " (background, until downloaded)", "s": time.perf_counter() - t0, "kb": size / 1024}


def measure(client, path: str, repeat: int) -> dict:
    fetch(client, path)  # warm-up: templates compiled, caches filled
    best = cpu = float("inf")
    status = size = 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        status, size = fetch(client, path)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    tracemalloc.start()
    fetch(client, path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"path": path, "status": status, "ms": best * 1000, "cpu_ms": cpu * 1000, "kb": size / 1024,
            "peak_mb": peak / 2 ** 20}


def pages(ref: str, uscc: str, year: int, service: str) -> list[str]:
    return [
        "/staff/", "/staff/?status=in_progress&sort=due", "/staff/?overdue=time", f"/staff/applications/{ref}",
        "/staff/followup", "/staff/issues", "/staff/issues?status=all", "/staff/ratings", "/staff/page-feedback",
        "/staff/archive?q=示例医药", f"/staff/archive/enterprise/{uscc}", f"/staff/archive/catalogue/{year}",
        "/staff/stats", f"/staff/report/{year}", "/staff/exports",
        "/staff/exports/applications.csv", "/staff/exports/applications.xlsx",
        f"/staff/exports/applications.csv?service={service}&date_from={year}-01-01&date_to={year}-03-31",
        "/staff/exports/ratings.csv", "/staff/exports/suggestions.csv", "/staff/exports/feedback.csv",
        f"/staff/exports/catalogue.csv?year={year}",
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="applications to fill (default 100000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per page; the best is reported")
    ap.add_argument("--keep", type=Path, help="data folder to keep; reused when it already holds N applications")
    args = ap.parse_args(argv)
    logging.disable(logging.INFO)  # the export log lines would bury the table

    data = args.keep or Path(tempfile.mkdtemp(prefix="console-scale-"))
    app = create_app({"GUIDE_PROJECT": ROOT, "GUIDE_DATA_DIR": data, "GUIDE_MAIL_WORKER": False,
                      "GUIDE_SMTP_HOST": "", "GUIDE_RATELIMIT_ENABLED": False})
    guide = app.extensions["guide"]
    storage = guide.storage
    try:
        services = [(sid, guide.project.services[sid].name) for sid in sorted(guide.forms)]
        have = storage.count_applications()
        if have and have != args.n:
            print(f"{data} holds {have} applications, not {args.n}; use another --keep folder", file=sys.stderr)
            return 2
        if not have:
            filled = fill(storage, services, args.n)
            print(f"filled {args.n} applications in {filled['fill_s']:.1f} s "
                  f"({filled['applications_s']:.1f} s for the applications and their history)")
        if storage.get_user("bench") is None:
            storage.create_user("bench", "admin", hash_password(PASSWORD))
        ref = storage.all_refs()[len(storage.all_refs()) // 2]
        uscc = storage.get_case(ref).uscc
        year = dt.date.today().year
        client = app.test_client()
        login(client)
        base = measure(client, "/staff/login", args.repeat)
        rows = [measure(client, p, args.repeat) for p in pages(ref, uscc, year, services[0][0])]
        print(f"\nN = {args.n} applications; baseline /staff/login {base['ms']:.1f} ms\n")
        print(f"| {'page':<78} | status | {'ms':>8} | {'CPU ms':>8} | ratio | {'KB':>9} | peak MB |")
        print(f"|{'-' * 80}|--------|----------|----------|-------|-----------|---------|")
        failed = 0
        for r in rows:
            failed += r["status"] != 200
            print(f"| {r['path'][:78]:<78} | {r['status']:>6} | {r['ms']:8.1f} | {r['cpu_ms']:8.1f} "
                  f"| {r['ms'] / base['ms']:5.1f} "
                  f"| {r['kb']:9.1f} | {r['peak_mb']:7.1f} |")
        job = background_export(client, "/staff/exports/applications.xlsx")
        print(f"\n{job['path']}: {job['s']:.1f} s, {job['kb']:.0f} KB")
        slowest = max(rows, key=lambda r: r["ms"] if "/exports/" not in r["path"] else 0)
        print(f"\nslowest console page: {slowest['path']} {slowest['ms']:.1f} ms (target < 200 ms)")
        print(json.dumps({"n": args.n, "baseline_ms": round(base["ms"], 2),
                          "pages": {r["path"]: round(r["ms"], 1) for r in rows}}, ensure_ascii=False))
        return 1 if failed else 0
    finally:
        storage.close()
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
