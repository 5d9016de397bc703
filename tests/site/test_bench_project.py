"""The benchmark's synthetic guide stays a valid guide as the content model grows
(site.yml naming services, a guide's own mkdocs.yml rules): `make bench-small` runs it in CI."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from site_builder.content import load_project

ROOT = Path(__file__).resolve().parents[2]


def test_synthetic_benchmark_guide_has_no_errors(tmp_path):
    spec = importlib.util.spec_from_file_location("build_scale", ROOT / "benchmarks" / "build_scale.py")
    build_scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_scale)
    build_scale.make_project(tmp_path, 3)
    project = load_project(tmp_path)
    errors = [d for d in project.diagnostics if d.severity == "error"]
    assert errors == [], [str(d) for d in errors]
    assert len(project.services) == 3
