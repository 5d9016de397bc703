"""Build time at scale, both engines side by side, against a plain Material build.

For each N it writes a temporary guide with N services cloned from the shipped ones and times
`guide build --engine material` and `guide build --engine zensical` on it (YAML load +
validation + Markdown + Graphviz + the engine + our search index), then times `mkdocs build`
of a plain Material + jieba site holding the very same generated Markdown pages (same count,
same size), in the same run: the baseline. Prints, per engine, wall seconds and CPU seconds
(user + sys of the build process and everything it started, from ``getrusage(RUSAGE_CHILDREN)``:
the machine is shared, so CPU time is the steadier number), site size and search index size,
and the ratios zensical/material (wall and CPU) and material/plain. Timing is reported, never
asserted.

    python benchmarks/build_scale.py                # N = 100, 500, 1000
    python benchmarks/build_scale.py --sizes 10,20  # the small run CI does
"""
from __future__ import annotations

import argparse
import resource
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
    # Best bets may name services by id; the clones get new ids.
    (dest / "content" / "search.yml").unlink(missing_ok=True)
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
    # No printed handbook: it has its own benchmark (handbook_scale.py), and here the first
    # engine's build would typeset it and the second reuse it, which skews the comparison.
    site.pop("handbook", None)
    site_path.write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    # The warning flow names the applications its notices link to: the copies, or none.
    for flow_path in (dest / "flows").glob("*.yml"):
        flow = yaml.safe_load(flow_path.read_text(encoding="utf-8"))
        if not flow.get("warnings"):
            continue
        for key in ("application", "measuring_application"):
            sid = flow["warnings"].get(key)
            if sid in position and position[sid] < n:
                flow["warnings"][key] = f"{sid}-{position[sid]:04d}"
            else:
                flow["warnings"].pop(key, None)
        flow_path.write_text(yaml.safe_dump(flow, allow_unicode=True), encoding="utf-8")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its own children)."""
    cpu, started = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed, used = time.perf_counter() - started, _children_cpu() - cpu
    if proc.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return elapsed, used


def mb(path: Path) -> float:
    return path.stat().st_size / 1e6 if path.exists() else 0.0


def tree_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


ENGINES = ("material", "zensical")


def run(n: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{n}-") as tmp:
        tmp = Path(tmp)
        ours = tmp / "ours"
        make_project(ours, n)
        row: dict = {"n": n}
        for engine in ENGINES:
            # Each engine builds its own fresh copy: nothing drawn or written by one build is reused.
            project = tmp / f"ours-{engine}"
            shutil.copytree(ours, project)
            site = tmp / f"site-{engine}"
            row[f"{engine}_s"], row[f"{engine}_cpu"] = timed(
                [str(GUIDE), "build", "--project", str(project), "--engine", engine, "--site-dir", str(site)], cwd=tmp)
            row[f"{engine}_site_mb"] = tree_mb(site)
            row[f"{engine}_index_mb"] = mb(site / "search" / "index.json")
            row[f"{engine}_pages"] = sum(1 for _ in site.rglob("index.html"))
        plain = tmp / "plain"
        shutil.copytree(tmp / "ours-material" / ".guide-build" / "docs", plain / "docs")
        (plain / "mkdocs.yml").write_text(yaml.safe_dump(PLAIN_CONFIG, allow_unicode=True), encoding="utf-8")
        row["plain_s"], row["plain_cpu"] = timed([str(MKDOCS), "build", "-q", "-f", str(plain / "mkdocs.yml")], cwd=plain)
        row["plain_index_mb"] = mb(plain / "site" / "search" / "search_index.json")
        return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,500,1000", help="comma-separated service counts")
    args = parser.parse_args()
    rows = [run(int(n)) for n in args.sizes.split(",")]
    print("guide build per engine: wall s and CPU s (user+sys of the build and its children), site and "
          "index in MB; plain = mkdocs build of the same pages with plain Material + jieba, the baseline")
    print(f"{'N':>5} {'pages':>5} | {'material':>8} {'cpu':>6} {'site':>6} {'index':>6} | {'zensical':>8} "
          f"{'cpu':>6} {'site':>6} {'index':>6} | {'plain':>6} {'cpu':>6} {'index':>6} | {'zen/mat':>7} "
          f"{'cpu':>5} | {'mat/plain cpu':>13}")
    for r in rows:
        print(f"{r['n']:>5} {r['material_pages']:>5} | {r['material_s']:>8.2f} {r['material_cpu']:>6.2f} "
              f"{r['material_site_mb']:>6.1f} {r['material_index_mb']:>6.2f} | {r['zensical_s']:>8.2f} "
              f"{r['zensical_cpu']:>6.2f} {r['zensical_site_mb']:>6.1f} {r['zensical_index_mb']:>6.2f} | "
              f"{r['plain_s']:>6.2f} {r['plain_cpu']:>6.2f} {r['plain_index_mb']:>6.2f} | "
              f"{r['zensical_s'] / r['material_s']:>7.2f} {r['zensical_cpu'] / r['material_cpu']:>5.2f} | "
              f"{r['material_cpu'] / r['plain_cpu']:>13.2f}")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        for engine in ENGINES:
            growth = (last[f"{engine}_cpu"] / first[f"{engine}_cpu"]) / (last["n"] / first["n"])
            print(f"growth ({engine}): CPU time per service at N={last['n']} is {growth:.2f}x that at "
                  f"N={first['n']} (1.00 = linear)")


if __name__ == "__main__":
    main()
