"""Handbook (服务手册) build time and PDF size: both shipped guides and synthetic N-service guides.

For each guide it times `guide handbook` (load + validate + Graphviz + HTML + WeasyPrint +
PDF) as a real subprocess and reports pages and PDF size. As a baseline, measured in the same
run, it typesets the very same book HTML and drawings with WeasyPrint's default stylesheet
only (no print CSS: no running headers, page counters, fixed tables, 目录 page numbers), so the
ratio shows what our print design costs on top of the typesetter itself. The synthetic guides
clone the shipped services (benchmarks/build_scale.py's generator). Target from issue 12:
1,000 services in under 60 s and under 20 MB. Timing is reported, never asserted. CPU time and
peak memory are those of the `guide handbook` process itself (os.wait4), the figures to trust
on a shared machine; wall time depends on what else runs.

Measured on the shared 2-core machine (CPU s of `guide handbook`; wall s at load average 9-17):

    guide            pages   before: CPU s (wall s)   after: CPU s (wall s)   CPU ratio
    default            135        10.1 (34.0)            10.0 (97.6)         0.99
    songjiang           72         5.9 (27.9)             5.8 (68.3)         0.98
    synthetic-1000    3055       333.1 (1793)           227.9 (1667)         0.68

    (`--sizes 1000 --no-baseline`; both runs under load, CPU inflated by contention. Typesetting
    alone, in one process, 1,000 services after: 167 s CPU, peak RSS 4.1 GB; at 200 services the
    peak was the same with and without the collector.) Target < 60 s: missed.

"before" = main at b721996 (issue 12's first landing); "after" = flow references by place
instead of target-counter page numbers (each referring page was laid out twice) and the
cyclic garbage collector paused while typesetting (its full collections walk the whole box
tree again and again, so their cost grew with the square of the book).

Round 3 (2026-11-30, main 553ef13): the book typeset in chunks of about 60 services on forked
worker processes (site_builder/handbook/parallel.py), joined with pikepdf, each font embedded
once, footers from one template per page-number width. `--workers 1,default` times each guide
both ways in the same run (CPU = the command plus its workers, os.wait4); quiet machine, load
average 1-2, `--sizes 1000 --guides default,songjiang --no-baseline`:

    guide            workers  pages   run 1: wall s / CPU s   run 2: wall s / CPU s     MB
    default                1    133        8.0 /   8.0             7.7 /   7.7         1.17
    default          default    133        7.9 /   7.9             8.3 /   7.7         1.17
    songjiang              1     72        4.6 /   4.6             4.3 /   4.3         0.87
    songjiang        default     72        4.5 /   4.5             4.3 /   4.3         0.87
    synthetic-1000         1   3080      186.4 / 186.4           192.3 / 190.0         9.54
    synthetic-1000   default   3080       82.4 / 147.6            83.9 / 151.2        10.61

    ratio default/1 at 1,000 services: wall 0.44, CPU 0.79 (both runs). The shipped guides are
    one chunk each, typeset as one document either way. Target < 60 s: missed by about 23 s.
    Where the 83 s go (step log, INFO on site_builder.handbook): start, load, plan ~2 s; 17 chunks
    (3,055 pages) on 2 processes ~72 s (~44 ms CPU per page; one chunk alone 39.5 ms/page, the
    same chunk on two processes at once 40.1 / 40.6: the two cores really do work in parallel);
    the 目录 with its real numbers ~6 s (1,014 lines with leaders, after the chunks: it needs their
    page numbers); joining ~4.6 s (pikepdf: pages, links, outline, fonts, save).

    python benchmarks/handbook_scale.py                          # both guides + N = 1000
    python benchmarks/handbook_scale.py --sizes 10 --guides songjiang --no-baseline   # CI's small run
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_scale import GUIDE, ROOT, make_project  # noqa: E402

GUIDES = {"default": ROOT, "songjiang": ROOT / "examples" / "songjiang"}
TARGET_S, TARGET_MB = 60.0, 20.0


def pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ours(project: Path, out: Path, tmp: Path, workers: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak MB) of the `guide handbook` process and its workers.

    os.wait4 reports the process's own usage plus that of the children it waited for (the
    worker processes); the peak is the largest single process's.
    """
    started = time.perf_counter()
    command = [str(GUIDE), "handbook", "--project", str(project), "-o", str(out)]
    if workers != "default":
        command += ["--workers", workers]
    with open(tmp / "stderr.txt", "w+b") as err:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"guide handbook failed on {project}:\n{err.read().decode()[-3000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def plain(project: Path, out: Path) -> tuple[float, float]:
    """The same book typeset by WeasyPrint with its default stylesheet only (in this process)."""
    import weasyprint

    from site_builder.flowsvg import render_svg
    from site_builder.handbook.content import build_book
    from site_builder.handbook.typeset import cyclic_gc_paused
    from site_builder.content import load_valid_project
    from site_builder.render import FlowArt

    started, cpu = time.perf_counter(), time.process_time() + children_cpu()
    proj = load_valid_project(project)
    book = build_book(proj, FlowArt(render_svg), date=dt.date.today(), edition=None)
    html = re.sub(r"<style>.*?</style>", "", book.html, count=1, flags=re.S)
    resources = {f"flow:{k}": v for k, v in book.flows.items()}

    class Fetcher(weasyprint.urls.URLFetcher):
        def fetch(self, url, headers=None):
            if url in resources:
                return weasyprint.urls.URLFetcherResponse(url, resources[url], {"Content-Type": "image/svg+xml"})
            return super().fetch(url, headers)

    with cyclic_gc_paused():  # as ours does, so the ratio compares the stylesheets only
        weasyprint.HTML(string=html, base_url="book:", url_fetcher=Fetcher()).write_pdf(out)
    return time.perf_counter() - started, time.process_time() + children_cpu() - cpu


def run(name: str, project: Path, tmp: Path, baseline: bool, workers: str) -> dict:
    out = tmp / f"{name}.pdf"
    wall, cpu, peak = ours(project, out, tmp, workers)
    row = {"guide": name, "services": len(list((project / "content" / "services").glob("*.yml"))),
           "workers": workers, "ours_s": wall, "ours_cpu": cpu, "peak": peak, "pages": pages(out),
           "mb": out.stat().st_size / 1e6}
    if baseline:
        base = tmp / f"{name}-plain.pdf"
        row["plain_s"], row["plain_cpu"] = plain(project, base)
        row["plain_pages"] = pages(base)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000", help="comma-separated service counts of synthetic guides")
    parser.add_argument("--guides", default="default,songjiang", help="shipped guides to include ('' for none)")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false",
                        help="skip the plain-WeasyPrint baseline (halves the run time)")
    parser.add_argument("--workers", default="1,default",
                        help="comma-separated `guide handbook --workers` values to time each guide with "
                             "('default': one per CPU; 1: the book as one document)")
    args = parser.parse_args()
    rows = []
    counts = [w.strip() for w in args.workers.split(",") if w.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-handbook-") as tmp:
        tmp = Path(tmp)
        guides = [(name, GUIDES[name]) for name in filter(None, args.guides.split(","))]
        for n in filter(None, args.sizes.split(",")):
            make_project(tmp / f"synthetic-{n}", int(n))
            guides.append((f"synthetic-{n}", tmp / f"synthetic-{n}"))
        for name, project in guides:
            for i, workers in enumerate(counts):
                rows.append(run(name, project, tmp, args.baseline and i == 0, workers))
    print("wall = elapsed seconds; cpu = CPU seconds (user+sys, the figure to trust on a busy machine); "
          "peak = the process's maximum resident memory")
    head = (f"{'guide':>16} {'services':>8} {'workers':>7} {'pages':>6} {'wall s':>7} {'cpu s':>7} {'peak MB':>7} "
            f"{'MB':>6} {'cpu/page':>8}")
    if args.baseline:
        head += f" {'plain wall':>10} {'plain cpu':>9} {'pages':>6} {'cpu ratio':>9}"
    print(head)
    for r in rows:
        line = (f"{r['guide']:>16} {r['services']:>8} {r['workers']:>7} {r['pages']:>6} {r['ours_s']:>7.1f} "
                f"{r['ours_cpu']:>7.1f} {r['peak']:>7.0f} {r['mb']:>6.2f} {r['ours_cpu'] / r['pages']:>8.3f}")
        if args.baseline and "plain_s" in r:
            line += (f" {r['plain_s']:>10.1f} {r['plain_cpu']:>9.1f} {r['plain_pages']:>6} "
                     f"{r['ours_cpu'] / r['plain_cpu']:>9.2f}")
        print(line)
    if len(counts) > 1:
        print(f"ratio = --workers {counts[-1]} over --workers {counts[0]}, same guide, same run")
        for r in rows:
            if r["workers"] == counts[0]:
                other = next(o for o in rows if o["guide"] == r["guide"] and o["workers"] == counts[-1])
                print(f"{r['guide']:>16}: wall {other['ours_s']:.1f} / {r['ours_s']:.1f} s = "
                      f"{other['ours_s'] / r['ours_s']:.2f}; CPU {other['ours_cpu']:.1f} / {r['ours_cpu']:.1f} s = "
                      f"{other['ours_cpu'] / r['ours_cpu']:.2f}; pages {other['pages']} / {r['pages']}")
    for r in rows:
        if r["services"] >= 1000:
            verdict = "meets" if r["ours_s"] < TARGET_S and r["mb"] < TARGET_MB else "misses"
            print(f"{r['guide']} (--workers {r['workers']}): {verdict} the target of < {TARGET_S:.0f} s and < {TARGET_MB:.0f} MB "
                  f"({r['ours_s']:.1f} s wall, {r['ours_cpu']:.1f} s CPU, {r['mb']:.1f} MB)")


if __name__ == "__main__":
    main()
