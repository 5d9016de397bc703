#!/usr/bin/env python3
"""What a first visit costs, as deployed: the built guide behind a compressing web server.

Builds the shipped guide (``guide build``) and, as the baseline, plain Material for MkDocs on
the very same generated Markdown (the default Material theme with its own search, no guide
overrides), serves each folder from a small static server on loopback that compresses text
the way the README's nginx sample does (gzip for HTML, CSS, JavaScript, JSON and SVG), and
loads a service page in a fresh Chromium profile (Debian's /usr/bin/chromium through
Playwright): every request until the network is idle, with the bytes on the wire.

With Lighthouse available (``--lighthouse PATH`` or ``lighthouse`` on PATH; it needs node and
the npm package, which ``make setup`` does not install) it also scores the home page, a service
page, the flow page with the largest diagram and a policy page (mobile defaults) on both sites,
each ``--runs`` times (the median run is shown: Lighthouse's CPU timings move with the load).

    .venv/bin/python benchmarks/page_weight.py                     # build both, measure, no Lighthouse
    .venv/bin/python benchmarks/page_weight.py --lighthouse node_modules/.bin/lighthouse
    .venv/bin/python benchmarks/page_weight.py --site site           # the guide built here (skips its build)

Numbers are printed (and written with --json), never asserted.

Results, 2026-11-30 00:20-00:54 UTC, guide site code of main 889617c (Zensical 0.0.73), three
consecutive runs of ``page_weight.py --lighthouse .../lighthouse --runs 5`` under the shared
machine lock (2 cores, load 1.5-2.2). First visit to a service page: guide 8 requests /
110.6-111.3 KB on the wire, plain Material 8 / 163.0 KB (0.68 of its bytes; plain Material
fetches its search index on load). Lighthouse, per page: performance minimum / median of the 5
runs; accessibility, best practices and SEO were 1.00 in every guide run:

    page      guide run 1   run 2       run 3        plain Material run 1   run 2       run 3
    home      1.00 / 1.00   1.00 / 1.00  0.97 / 0.99  0.95 / 0.97           0.97 / 0.98  0.97 / 0.98
    service   1.00 / 1.00   0.99 / 1.00  1.00 / 1.00  0.96 / 0.98           0.98 / 0.99  0.98 / 0.99
    flow      1.00 / 1.00   1.00 / 1.00  1.00 / 1.00  0.96 / 0.99           0.97 / 0.97  0.96 / 0.97
    policy    0.99 / 1.00   1.00 / 1.00  0.99 / 1.00  0.99 / 0.99           0.98 / 0.99  0.99 / 0.99

Guide medians FCP ~1.05 s, LCP 1.47-1.67 s, TBT 8-120 ms, CLS 0 (plain Material: FCP 1.2-1.5 s,
TBT 72-150 ms, accessibility 0.88-0.92). What is left in TBT is the engine's bundle (its
evaluation and its DOMContentLoaded work); the home page is the closest to 0.97.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / ".venv" / "bin" / "guide"
MKDOCS = ROOT / ".venv" / "bin" / "mkdocs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
HOST = "127.0.0.1"

# What the README's nginx sample compresses (gzip_types, and text/html which nginx always does).
COMPRESSED_TYPES = ("text/html", "text/css", "application/javascript", "text/javascript", "application/json",
                    "image/svg+xml")
GZIP_MIN_LENGTH = 1024

PLAIN_CONFIG = {
    "site_name": "plain",
    "docs_dir": "docs",
    "theme": {"name": "material", "language": "zh", "font": False},
    "plugins": [{"search": {"lang": "zh"}}],
    "markdown_extensions": ["tables", "attr_list", "md_in_html", "admonition", "toc"],
}


# ---------------------------------------------------------------- the compressing static server

class CompressingHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed (level 5, as the nginx sample) when the client accepts it,
    over kept-alive HTTP/1.1 connections like nginx's."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?", 1)[0].endswith("/"):
                return super().send_head()  # the redirect to the slash
            path = path / "index.html"
        ctype = self.guess_type(str(path))
        wants = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (path.is_file() and wants and ctype.split(";")[0] in COMPRESSED_TYPES
                and path.stat().st_size >= GZIP_MIN_LENGTH):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=5)
        self.send_response(200)
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") else ""))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _Body(body)


class _Body:
    """What send_head returns: a file-like object that copyfile() reads."""

    def __init__(self, data: bytes):
        self._data = data

    def read(self, n: int = -1) -> bytes:
        data, self._data = (self._data, b"") if n < 0 else (self._data[:n], self._data[n:])
        return data

    def close(self) -> None:
        pass


class StaticServer:
    def __init__(self, folder: Path):
        handler = functools.partial(CompressingHandler, directory=str(folder))
        handler.extensions_map = {**CompressingHandler.extensions_map, ".js": "application/javascript",
                                  ".json": "application/json", ".svg": "image/svg+xml"}
        self.httpd = http.server.ThreadingHTTPServer((HOST, 0), handler)
        self.base = f"http://{HOST}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------- the two sites

def build_guide(dest: Path) -> Path:
    project = dest / "project"
    shutil.copytree(ROOT / "content", project / "content", ignore=shutil.ignore_patterns("_example"))
    shutil.copytree(ROOT / "flows", project / "flows")
    site = dest / "guide-site"
    subprocess.run([str(GUIDE), "build", "--project", str(project), "--site-dir", str(site)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return site


def build_plain(guide_project_docs: Path, dest: Path) -> Path:
    plain = dest / "plain"
    shutil.copytree(guide_project_docs, plain / "docs")
    (plain / "mkdocs.yml").write_text(yaml.safe_dump(PLAIN_CONFIG, allow_unicode=True), encoding="utf-8")
    subprocess.run([str(MKDOCS), "build", "-q", "-f", str(plain / "mkdocs.yml")], cwd=plain, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return plain / "site"


def pick_pages(site: Path, service: str | None) -> dict[str, str]:
    """The four pages measured: home, a service, the flow with the largest diagram, a policy."""
    services = sorted(p.parent.name for p in (site / "services").glob("*/index.html"))
    flows = sorted((site / "flows").glob("*/index.html"), key=lambda p: p.stat().st_size)
    policies = sorted(p.parent.name for p in (site / "policies").glob("*/index.html"))
    return {"home": "/", "service": f"/services/{service or services[0]}/",
            "flow": f"/flows/{flows[-1].parent.name}/", "policy": f"/policies/{policies[0]}/"}


# ---------------------------------------------------------------- measuring

def first_visit(base: str, path: str, browser=None) -> dict:
    """Load ``path`` in a fresh profile (a new context of ``browser``, or of a Chromium started
    here); every request until the network is idle."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                return first_visit(base, path, browser)
            finally:
                browser.close()
    rows = []
    context = browser.new_context(viewport={"width": 412, "height": 823})
    try:
        page = context.new_page()
        page.on("requestfinished", lambda r: rows.append(r))
        page.goto(base + path, wait_until="networkidle")
        page.wait_for_timeout(500)  # anything fetched just after load (e.g. a search index)
        out = []
        for r in rows:
            sizes = r.sizes()
            resp = r.response()
            out.append({"url": r.url.replace(base, ""), "type": r.resource_type,
                        "bytes": sizes["responseBodySize"] + sizes["responseHeadersSize"],
                        "body": sizes["responseBodySize"],
                        "encoding": (resp.headers.get("content-encoding") if resp else None) or ""})
    finally:
        context.close()
    return {"requests": len(out), "bytes": sum(r["bytes"] for r in out), "items": out}


CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def lighthouse(binary: str, url: str, out: Path) -> dict:
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run([binary, url, "--quiet", "--output=json", f"--output-path={out}",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                    "--only-categories=performance,accessibility,best-practices,seo"],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report = json.loads(out.read_text(encoding="utf-8"))
    scores = {k: report["categories"][k]["score"] for k in CATEGORIES}
    audits = report["audits"]
    scores.update({k: round(audits[k]["numericValue"]) for k in
                   ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")})
    scores["cls"] = round(audits["cumulative-layout-shift"]["numericValue"], 3)
    return scores


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--site", type=Path, help="an already built guide site (default: build the shipped guide)")
    p.add_argument("--project", type=Path, default=ROOT,
                   help="with --site: the guide folder it was built from (its .guide-build/docs feed the baseline)")
    p.add_argument("--service", help="service id of the page measured (default: the first in the site)")
    p.add_argument("--lighthouse", help="the lighthouse command (default: 'lighthouse' on PATH, else none)")
    p.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page; the median is shown (default 3)")
    p.add_argument("--no-plain", action="store_true", help="skip the plain Material baseline")
    p.add_argument("--json", type=Path, help="also write the results to this file")
    p.add_argument("--reports", type=Path, help="keep every Lighthouse report (JSON) in this folder")
    p.add_argument("--verbose", action="store_true", help="list every request of the first visits")
    args = p.parse_args(argv)
    binary = args.lighthouse or shutil.which("lighthouse")

    with tempfile.TemporaryDirectory(prefix="page-weight-") as tmp:
        tmp = Path(tmp)
        site = args.site.resolve() if args.site else build_guide(tmp)
        generator = re.search(r'<meta name="generator" content="([^"]+)"', (site / "index.html").read_text(encoding="utf-8"))
        print(f"guide built by: {generator.group(1) if generator else 'unknown'}; baseline: plain Material for MkDocs")
        sites = {"guide": site}
        if not args.no_plain:
            docs = (args.project.resolve() if args.site else tmp / "project") / ".guide-build" / "docs"
            if docs.is_dir():
                sites["plain Material"] = build_plain(docs, tmp)
            else:
                print(f"no generated docs at {docs}: plain Material baseline skipped")
        pages = pick_pages(site, args.service)
        results: dict = {"pages": pages, "sites": {}}
        for name, folder in sites.items():
            server = StaticServer(folder)
            try:
                visit = first_visit(server.base, pages["service"])
                scores = {}
                if binary:
                    for kind, path in pages.items():
                        # Lighthouse's own advice: several runs, the median (its CPU timings move
                        # with the machine's load).
                        reports = args.reports or tmp
                        reports.mkdir(parents=True, exist_ok=True)
                        slug = name.replace(" ", "-").lower()
                        runs = sorted((lighthouse(binary, server.base + path, reports / f"{slug}-{kind}-{i + 1}.json")
                                       for i in range(args.runs)), key=lambda s: s["performance"])
                        scores[kind] = {**runs[len(runs) // 2],
                                        "performance_runs": [r["performance"] for r in runs],
                                        "min": {c: min(r[c] for r in runs) for c in CATEGORIES},
                                        "max_tbt": max(r["total-blocking-time"] for r in runs)}
            finally:
                server.stop()
            results["sites"][name] = {"first_visit": visit, "lighthouse": scores}

    print(f"first visit to {pages['service']} behind gzip (fresh profile, until the network is idle)")
    print(f"{'':16} {'requests':>8} {'KB on the wire':>15}")
    for name, r in results["sites"].items():
        v = r["first_visit"]
        print(f"{name:16} {v['requests']:8d} {v['bytes'] / 1024:15.1f}")
        if args.verbose:
            for item in sorted(v["items"], key=lambda i: -i["bytes"]):
                print(f"    {item['bytes'] / 1024:8.1f} KB {item['type']:10} {item['encoding']:5} {item['url']}")
    if "plain Material" in results["sites"]:
        ours = results["sites"]["guide"]["first_visit"]
        plain = results["sites"]["plain Material"]["first_visit"]
        print(f"ratio (guide / plain Material): bytes {ours['bytes'] / plain['bytes']:.2f}, "
              f"requests {ours['requests'] / plain['requests']:.2f}")
    if binary:
        print(f"Lighthouse (mobile defaults), {args.runs} run(s) per page. Median run by performance: "
              "performance / accessibility / best practices / SEO, FCP LCP TBT ms, CLS; then the minimum "
              "of each category over the runs, the largest TBT, every run's performance")
        for name, r in results["sites"].items():
            for kind, s in r["lighthouse"].items():
                low = " / ".join(f"{s['min'][c]:.2f}" for c in CATEGORIES)
                print(f"  {name:16} {kind:8} {s['performance']:.2f} / {s['accessibility']:.2f} / "
                      f"{s['best-practices']:.2f} / {s['seo']:.2f}   FCP {s['first-contentful-paint']} "
                      f"LCP {s['largest-contentful-paint']} TBT {s['total-blocking-time']} CLS {s['cls']}"
                      f"   min {low}  TBT max {s['max_tbt']}  {s['performance_runs']}  {pages[kind]}")
    else:
        print("Lighthouse: not run (no 'lighthouse' command; it needs node + the npm package, see --lighthouse)")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
