#!/usr/bin/env python3
"""Load test of the submission path, against a one-row-insert baseline, in one run.

Starts the production server (gunicorn, ``forms_backend:create_app()``, one worker per core)
on loopback with a fresh data folder, and the baseline app (``baseline_app.py``: Flask + one
INSERT, same SQLite settings) the same way, both at once. Then N concurrent submitters POST for
a fixed time, alternating between the two servers in slices (baseline, ours, ours, baseline,
...: on a shared machine both see the same share of the other load); the report gives submissions/s, p50/p99 latency, errors, and rows stored vs
acknowledged (an acknowledgement is a 303 to /apply/done/<ref> for us, a 201 with an id for the
baseline), and the ratio of the two rates.

What one "submission" is: the POST that turns a checked draft into an application (reference
number, history row, uploads, mail queue, one BEGIN IMMEDIATE transaction) — the request the
idempotency and durability promises are about. Each submitter first prepares its drafts the way
a browser does (GET form, POST answers, GET check page); that preparation runs before the timer
and its rate is reported separately.

    .venv/bin/python benchmarks/submit_load.py                       # 10 s at 32 concurrent
    .venv/bin/python benchmarks/submit_load.py --seconds 3 --concurrency 4   # CI's small mode

Exit status: 1 when any request failed or an acknowledged row is missing; with --strict also 2
when a target (ratio >= 0.65, p99 < 100 ms) is missed. Only loopback addresses are contacted.

Three consecutive runs, 2-core machine, quiet (2026-11-30 03:39-03:42 UTC, main 6bfeeb6, defaults):

    run   baseline /s  p99 ms   ours /s  p50 ms  p99 ms   CPU ms/req base / ours   ratio
    1        1480.3     31.6    1003.3    30.6    52.8          0.49 / 1.27         0.68
    2        1589.4     35.0    1080.4    28.2    48.1          0.47 / 1.21         0.68
    3        1614.4     31.3    1116.3    27.2    45.7          0.46 / 1.18         0.69

Zero errors, stored = acknowledged in all. Earlier the same day (main 2fea87e): ours 918.6-969.8/s,
ratio 0.56-0.63, 1.41-1.47 ms CPU; on 2026-11-29 (5 workers, synchronous=FULL inside the write
lock): 625.3/s, ratio 0.40, 2.46 ms CPU per submission.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
USCC = "91350100M000100Y43"

sys.path.insert(0, str(ROOT))
from forms_backend.storage.sqlite import sqlite3  # noqa: E402 - the project's one SQLite, for the read-back


# ---------------------------------------------------------------- HTTP, one connection per request

def call(port: int, method: str, path: str, body: dict | None = None, cookie: str | None = None):
    headers = {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body, doseq=True).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        headers["Cookie"] = cookie
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        payload = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, payload
    finally:
        conn.close()


def session_cookie(headers: dict, old: str | None) -> str | None:
    m = re.match(r"(guide_session=[^;]*)", headers.get("set-cookie", ""))
    return m.group(1) if m else old


# ---------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Gunicorn:
    """A gunicorn process on a free loopback port, started and stopped the same way for both apps."""

    def __init__(self, app: str, env: dict, workers: int, ready_path: str, chdir: Path | None = None,
                 threads: int = 1):
        self.port = free_port()
        cmd = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"{HOST}:{self.port}",
               "--log-level", "warning", "--backlog", "2048", "--timeout", "60"]
        if threads > 1:
            cmd += ["--worker-class", "gthread", "--threads", str(threads)]
        if chdir:
            cmd += ["--chdir", str(chdir)]
        cmd.append(app)
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while True:
            try:
                if call(self.port, "GET", ready_path)[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.log.seek(0)
                raise SystemExit(f"{app} did not start:\n{self.log.read().decode(errors='replace')}")
            time.sleep(0.1)
        # Touch every worker once so none starts cold inside the timed window.
        for _ in range(workers * 3):
            call(self.port, "GET", ready_path)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the gunicorn master and its workers (Linux /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == self.proc.pid or ppid == self.proc.pid:
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / tick

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- load

@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    acknowledged: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    stored: int = 0
    missing: int = 0
    exhausted: bool = False
    server_cpu: float = 0.0
    client_cpu: float = 0.0   # this process (the submitters) while it loaded this server

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    @property
    def rate(self) -> float:
        return len(self.acknowledged) / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))] * 1000

    def summary(self) -> dict:
        return {"name": self.name, "requests": len(self.latencies), "per_second": round(self.rate, 1),
                "p50_ms": round(self.pct(50), 1), "p99_ms": round(self.pct(99), 1),
                "max_ms": round(self.pct(100), 1), "errors": self.errors, "error_kinds": self.error_kinds,
                "acknowledged": len(self.acknowledged), "stored": self.stored, "missing": self.missing,
                "elapsed_s": round(self.elapsed, 2), "pool_exhausted": self.exhausted,
                "server_cpu_ms_per_request": round(self.server_cpu * 1000 / max(1, len(self.latencies)), 2),
                "client_cpu_ms_per_request": round(self.client_cpu * 1000 / max(1, len(self.latencies)), 2)}


def drive(name: str, concurrency: int, seconds: float, op) -> Result:
    """``concurrency`` threads call ``op(thread_index)`` until the time is up (or op returns None)."""
    result = Result(name)
    lock = threading.Lock()
    start = threading.Barrier(concurrency + 1)
    end_at = [0.0]
    last_done = [0.0]

    def worker(i: int) -> None:
        start.wait()
        while time.perf_counter() < end_at[0]:
            t0 = time.perf_counter()
            try:
                outcome = op(i)
            except OSError as exc:
                outcome = ("error", type(exc).__name__)
            t1 = time.perf_counter()
            if outcome is None:  # nothing left to submit
                with lock:
                    result.exhausted = True
                return
            with lock:
                result.latencies.append(t1 - t0)
                last_done[0] = max(last_done[0], t1)
                if outcome[0] == "ok":
                    result.acknowledged.append(outcome[1])
                else:
                    result.error(outcome[1])

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    t_start = time.perf_counter()
    end_at[0] = t_start + seconds
    start.wait()
    for t in threads:
        t.join()
    result.elapsed = (last_done[0] or time.perf_counter()) - t_start
    return result


def prepare_drafts(port: int, service: str, answers: dict, count: int, concurrency: int):
    """Fill in and check ``count`` applications, one browser session each; spread over the threads."""
    pools: list[list[tuple[str, str, str]]] = [[] for _ in range(concurrency)]
    failures = []
    counter = iter(range(count))
    lock = threading.Lock()

    def worker(i: int) -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            try:
                status, headers, body = call(port, "GET", f"/apply/{service}")
                cookie = session_cookie(headers, None)
                csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1).decode()
                data = {"csrf_token": csrf, **{k: v.format(n=n) for k, v in answers.items()}}
                status, headers, body = call(port, "POST", f"/apply/{service}", data, cookie)
                if status != 303:
                    raise RuntimeError(f"answers refused with {status}")
                cookie = session_cookie(headers, cookie)
                status, headers, body = call(port, "GET", f"/apply/{service}/check", cookie=cookie)
                cookie = session_cookie(headers, cookie)
                token = re.search(rb'name="submission" type="hidden" value="([^"]+)"', body).group(1).decode()
                pools[i].append((cookie, csrf, token))
            except Exception as exc:  # noqa: BLE001 - counted and reported
                failures.append(repr(exc))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return pools, failures, time.perf_counter() - t0


# ---------------------------------------------------------------- the two runs

def merge(total: Result, part: Result) -> None:
    total.latencies += part.latencies
    total.acknowledged += part.acknowledged
    total.errors += part.errors
    for k, v in part.error_kinds.items():
        total.error_kinds[k] = total.error_kinds.get(k, 0) + v
    total.elapsed += part.elapsed
    total.exhausted = total.exhausted or part.exhausted


def run_both(args, tmp: Path) -> tuple[Result, Result, dict]:
    """Both servers up at once; the timed load alternates between them in ``--slices`` slices
    (baseline, ours, ours, baseline, ...) so that both see the same share of whatever else the
    machine is doing."""
    data_dir = tmp / "data"
    db = tmp / "baseline.db"
    env = {"GUIDE_PROJECT": str(args.project), "GUIDE_DATA_DIR": str(data_dir),
           "GUIDE_SITE_DIR": str(data_dir / "no-site"), "GUIDE_RATELIMIT_ENABLED": "0", "GUIDE_SMTP_HOST": ""}
    base_server = Gunicorn("baseline_app:create_app()", {"BASELINE_DB": str(db)}, args.workers, "/ready",
                           chdir=ROOT / "benchmarks", threads=args.threads)
    try:
        server = Gunicorn("forms_backend:create_app()", env, args.workers, f"/apply/{args.service}",
                          threads=args.threads)
    except BaseException:
        base_server.stop()
        raise
    baseline, ours = Result("baseline one-row insert"), Result("forms_backend submit")
    try:
        answers = {"org_name": "压测单位{n}", "uscc": USCC, "contact_name": "测试员", "phone": "13812345678",
                   "email": "load{n}@example.com", **dict(a.split("=", 1) for a in args.answer)}
        rate = args.expected_rate or min(1400.0, 250.0 * args.concurrency)
        pool_size = args.pool or max(args.concurrency * 10, int(args.seconds * rate))
        pools, failures, prep_s = prepare_drafts(server.port, args.service, answers, pool_size, args.concurrency)
        if failures:
            raise SystemExit(f"preparing drafts failed ({len(failures)}): {failures[:3]}")
        prep = {"drafts": pool_size, "seconds": round(prep_s, 2), "drafts_per_second": round(pool_size / prep_s, 1)}

        def submit(i: int):
            if not pools[i]:
                return None
            cookie, csrf, token = pools[i].pop()
            status, headers, _ = call(server.port, "POST", f"/apply/{args.service}/submit",
                                      {"csrf_token": csrf, "submission": token}, cookie)
            location = headers.get("location", "")
            if status == 303 and "/apply/done/" in location:
                return ("ok", location.rsplit("/", 1)[1])
            return ("error", f"HTTP {status}")
        counter = iter(range(10**9))

        def insert(i: int):
            status, _, body = call(base_server.port, "POST", "/insert", {"body": f"压测单位{next(counter)}"})
            if status == 201:
                return ("ok", str(json.loads(body)["id"]))
            return ("error", f"HTTP {status}")

        runs = {"baseline": (baseline, base_server, insert), "ours": (ours, server, submit)}
        slice_s = args.seconds / args.slices
        # CPU over the whole timed phase: a server idles while the other one is loaded, except
        # for work its own requests left behind (our mail thread), which is its cost.
        cpu0 = {name: srv.cpu_seconds() for name, (_, srv, _) in runs.items()}
        for k in range(args.slices):
            for name in (("baseline", "ours") if k % 2 == 0 else ("ours", "baseline")):
                total, srv, op = runs[name]
                c0 = os.times()
                merge(total, drive(total.name, args.concurrency, slice_s, op))
                c1 = os.times()
                total.client_cpu += (c1.user - c0.user) + (c1.system - c0.system)
        time.sleep(1.0)  # the mail threads' last batch
        for name, (total, srv, _) in runs.items():
            total.server_cpu = srv.cpu_seconds() - cpu0[name]
    finally:
        server.stop()
        base_server.stop()
    conn = sqlite3.connect(f"file:{data_dir / 'guide.db'}?mode=ro", uri=True)
    stored = {r[0] for r in conn.execute("SELECT ref FROM applications")}
    conn.close()
    ours.stored = len(stored)
    ours.missing = len(set(ours.acknowledged) - stored)
    if len(set(ours.acknowledged)) != len(ours.acknowledged):
        ours.error("duplicate reference acknowledged")
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    stored = {str(r[0]) for r in conn.execute("SELECT id FROM rows")}
    conn.close()
    baseline.stored = len(stored)
    baseline.missing = len(set(baseline.acknowledged) - stored)
    return baseline, ours, prep


def main(argv=None) -> int:
    cores = os.cpu_count() or 2
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=10.0, help="length of each timed run (default 10)")
    p.add_argument("--slices", type=int, default=4,
                   help="the timed load alternates between the two servers in this many slices each (default 4)")
    p.add_argument("--concurrency", type=int, default=32, help="concurrent submitters (default 32)")
    p.add_argument("--workers", type=int, default=cores,
                   help=f"gunicorn workers for both apps (default: one per core, the README's production "
                        f"setting = {cores})")
    p.add_argument("--threads", type=int, default=1,
                   help="threads per worker; above 1 uses gunicorn's gthread worker (default 1: sync workers)")
    p.add_argument("--project", type=Path, default=ROOT / "tests" / "fixtures" / "backend_project",
                   help="guide project whose form is submitted (default: the backend test fixture)")
    p.add_argument("--service", default="metering", help="service id to apply for (default metering)")
    p.add_argument("--answer", action="append", default=["f_instruments=电子天平 {n} 台"],
                   help="extra form answer NAME=VALUE ({n} is the draft number); repeatable")
    p.add_argument("--pool", type=int, default=0, help="drafts to prepare (default: seconds x --expected-rate)")
    p.add_argument("--expected-rate", type=float, default=0.0,
                   help="submissions/s to prepare drafts for (default 250 x concurrency, at most 1400); "
                        "the run stops early, and says so, if they run out")
    p.add_argument("--json", type=Path, help="also write the results to this file")
    p.add_argument("--strict", action="store_true", help="exit 2 when a target is missed")
    args = p.parse_args(argv)
    args.project = args.project.resolve()

    with tempfile.TemporaryDirectory(prefix="submit-load-") as tmp:
        tmp = Path(tmp)
        print(f"gunicorn --workers {args.workers} --threads {args.threads}, {args.concurrency} concurrent submitters, "
              f"{args.seconds:g} s each, SQLite {sqlite3.sqlite_version}", flush=True)
        baseline, ours, prep = run_both(args, tmp)

    print(f"prepared {prep['drafts']} drafts in {prep['seconds']} s ({prep['drafts_per_second']}/s: "
          f"GET form + POST answers + GET check each, not timed)")
    header = f"{'':28} {'subs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7} {'acked':>7} " \
             f"{'stored':>7} {'lost':>5} {'cpu ms/req':>10} {'client cpu':>10}"
    print(header)
    for r in (baseline, ours):
        s = r.summary()
        print(f"{r.name:28} {s['per_second']:8.1f} {s['p50_ms']:8.1f} {s['p99_ms']:8.1f} {s['max_ms']:8.1f} "
              f"{s['errors']:7d} {s['acknowledged']:7d} {s['stored']:7d} {s['missing']:5d} "
              f"{s['server_cpu_ms_per_request']:10.2f} {s['client_cpu_ms_per_request']:10.2f}"
              + ("  (draft pool ran out)" if r.exhausted else ""))
        if r.error_kinds:
            print(f"  errors: {r.error_kinds}")
    ratio = ours.rate / baseline.rate if baseline.rate else 0.0
    p99 = ours.pct(99)
    print(f"ratio (ours / baseline): {ratio:.2f}")
    checks = {
        "ratio >= 0.65": ratio >= 0.65,
        "p99 < 100 ms": p99 < 100,
        "zero errors": ours.errors == 0 and baseline.errors == 0,
        "zero lost": ours.missing == 0 and baseline.missing == 0,
    }
    print("targets: " + ", ".join(f"{k}: {'ok' if v else 'MISSED'}" for k, v in checks.items()))
    if args.json:
        args.json.write_text(json.dumps({"baseline": baseline.summary(), "ours": ours.summary(), "prepare": prep,
                                         "ratio": round(ratio, 3), "workers": args.workers,
                                         "concurrency": args.concurrency, "seconds": args.seconds,
                                         "checks": checks}, ensure_ascii=False, indent=2))
    if not (checks["zero errors"] and checks["zero lost"]):
        return 1
    if args.strict and not all(checks.values()):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
