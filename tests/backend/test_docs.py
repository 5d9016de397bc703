"""Every backend command and GUIDE_* setting is documented in the README."""
from __future__ import annotations

from pathlib import Path

import pytest

from forms_backend.settings import SETTINGS

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_documented(readme, name):
    assert name in readme


@pytest.mark.parametrize("command", ["guide serve", "guide db backup", "guide db restore", "guide db check", "--db", "--host",
                                     "--port", "forms_backend:create_app()", "3.51.3", "guide user add",
                                     "guide user passwd", "GUIDE_PASSWORD", "/staff", "/feedback/suggest"])
def test_commands_and_caveats_are_documented(readme, command):
    assert command in readme


def test_restoring_names_every_folder_of_kept_files(readme, tmp_path):
    """The database backup holds no files: the README's restore steps must name every folder
    the backend keeps files in, or a restored archive loses its uploads/results/record files."""
    from forms_backend import create_app

    from .conftest import config

    app = create_app(config(tmp_path))
    kept = {app.config[key].name for key in ("UPLOAD_DIR", "RESULT_DIR", "RECORD_FILE_DIR")}
    restoring = readme.split("**Restoring.**", 1)[1].split("\n\n", 1)[0]
    steps = readme.split("**Restoring.**", 1)[1].split("```", 2)[1]
    for folder in sorted(kept | {"secret_key"}):
        assert f"{folder}" in restoring and folder in steps, f"README restore omits {folder}"
