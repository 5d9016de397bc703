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
