"""The installed product works outside the repository: build a wheel, install it into a fresh
venv (dependencies from the package index, as a user would), then run `guide check` and
`guide build` on a copy of examples/songjiang from a folder that is not the repo."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from ..conftest import ROOT, copy_project

pytestmark = pytest.mark.slow

SOURCES = ("pyproject.toml", "README.md", "site_builder", "forms_backend")


def run(cmd: list[str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with the product installed from its wheel (not editable); returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in SOURCES:  # a clean copy: building never writes into the working tree
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist", src], cwd=work)
    assert built.returncode == 0, built.stderr
    wheel = next((work / "dist").glob("service_guide-*.whl"))
    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / "bin"
    got = run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], cwd=work)
    assert got.returncode == 0, got.stderr
    return bin_dir


def test_the_wheel_carries_theme_templates_assets_and_the_default_engine_config(installed):
    code = ("import site_builder, pathlib; p = pathlib.Path(site_builder.__file__).parent; "
            "print(*sorted(str(f.relative_to(p)) for f in p.rglob('*') if f.is_file() and f.suffix != '.pyc'), sep='\\n')")
    files = run([installed / "python", "-c", code], cwd=installed).stdout.split()
    for expected in ("defaults/mkdocs.yml", "theme/main.html", "assets/stylesheets/guide.css",
                     "templates/pages/service.md.j2", "preview_assets/status.js", "preview_assets/status.css"):
        assert expected in files, expected
    where = run([installed / "python", "-c", "import site_builder; print(site_builder.__file__)"], cwd=installed)
    assert str(ROOT) not in where.stdout  # the installed copy, not the working tree


def test_installed_guide_checks_and_builds_songjiang_outside_the_repo(installed, tmp_path):
    outside = tmp_path / "elsewhere"
    project = copy_project(ROOT / "examples" / "songjiang", outside / "songjiang")
    check = run([installed / "guide", "check", "--project", "songjiang"], cwd=outside)
    assert check.returncode == 0, check.stderr
    assert " 0 error(s)" in check.stderr
    build = run([installed / "guide", "build", "--project", "songjiang", "--site-dir", "site"], cwd=outside)
    assert build.returncode == 0, build.stderr
    site = outside / "site"
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "松江" in home
    assert (site / "assets" / "stylesheets" / "guide.css").is_file()  # the package's own assets
    assert list(site.glob("services/*/index.html"))
    assert not (project / "mkdocs.yml").exists()  # so the look came from the package's default config
