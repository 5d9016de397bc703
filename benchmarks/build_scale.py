"""Build time at scale: our `guide build` against a plain Material build of the same pages.

For each N it writes a temporary guide with N services cloned from the shipped ones, times
`guide build` on it (YAML load + validation + Markdown + Graphviz + mkdocs + index
post-processing), then times `mkdocs build` of a plain Material + jieba site holding the very
same generated Markdown pages (same count, same size), in the same run. Prints seconds, the
ratio ours/plain and both search index sizes. Timing is reported, never asserted.

    python benchmarks/build_scale.py                # N = 100, 500, 1000
    python benchmarks/build_scale.py --sizes 10,20  # the small run CI does
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / ".venv" / "bin" / "guide"
MKDOCS = ROOT / ".venv" / "bin" / "mkdocs"

PLAIN_CONFIG = {
    "site_name": "plain",
    "docs_dir": "docs",
    "theme": {"name": "material", "language": "zh", "font": False},
    "plugins": [{"search": {"lang": "zh", "separator": '[\\s\\u200b\\-]'}}],
    "markdown_extensions": ["tables", "attr_list", "md_in_html"],
}


def make_project(dest: Path, n: int) -> None:
    shutil.copytree(ROOT / "content", dest / "content", ignore=shutil.ignore_patterns("_example"))
    shutil.copytree(ROOT / "flows", dest / "flows")
    services = dest / "content" / "services"
    originals = sorted(services.glob("*.yml"))
    base = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in originals]
    for p in originals:
        p.unlink()
    for i in range(n):
        data = dict(base[i % len(base)])
        data["id"] = f"{data['id']}-{i:04d}"
        data["name"] = f"{data['name']}（{i:04d}）"
        data.pop("code", None)
        data["related"] = []
        (services / f"{data['id']}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # site.yml names services (热门事项): point it at the copies that exist.
    site_path = dest / "content" / "site.yml"
    site = yaml.safe_load(site_path.read_text(encoding="utf-8"))
    position = {d["id"]: i for i, d in enumerate(base)}
    site["popular"] = [f"{sid}-{position[sid]:04d}" for sid in site.get("popular", [])
                       if sid in position and position[sid] < n]
    site_path.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")


def timed(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return elapsed


def mb(path: Path) -> float:
    return path.stat().st_size / 1e6 if path.exists() else 0.0


def run(n: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{n}-") as tmp:
        tmp = Path(tmp)
        ours = tmp / "ours"
        make_project(ours, n)
        t_ours = timed([str(GUIDE), "build", "--project", str(ours)], cwd=tmp)
        plain = tmp / "plain"
        shutil.copytree(ours / ".guide-build" / "docs", plain / "docs")
        (plain / "mkdocs.yml").write_text(yaml.safe_dump(PLAIN_CONFIG, allow_unicode=True), encoding="utf-8")
        t_plain = timed([str(MKDOCS), "build", "-q", "-f", str(plain / "mkdocs.yml")], cwd=plain)
        pages = sum(1 for _ in (ours / "site").rglob("index.html"))
        return {"n": n, "pages": pages, "ours_s": t_ours, "plain_s": t_plain, "ratio": t_ours / t_plain,
                "ours_index_mb": mb(ours / "site" / "search" / "search_index.json"),
                "plain_index_mb": mb(plain / "site" / "search" / "search_index.json")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,500,1000", help="comma-separated service counts")
    args = parser.parse_args()
    rows = [run(int(n)) for n in args.sizes.split(",")]
    print(f"{'N':>6} {'pages':>6} {'ours s':>8} {'plain s':>8} {'ratio':>6} {'ours idx MB':>12} {'plain idx MB':>13}")
    for r in rows:
        print(f"{r['n']:>6} {r['pages']:>6} {r['ours_s']:>8.2f} {r['plain_s']:>8.2f} {r['ratio']:>6.2f} "
              f"{r['ours_index_mb']:>12.2f} {r['plain_index_mb']:>13.2f}")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        growth = (last["ours_s"] / first["ours_s"]) / (last["n"] / first["n"])
        print(f"growth: time per service at N={last['n']} is {growth:.2f}x that at N={first['n']} (1.00 = linear)")


if __name__ == "__main__":
    main()
