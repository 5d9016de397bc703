"""The README tells the truth: every CLI command and every setting is documented there."""
from __future__ import annotations

import re

import click
import pytest

from site_builder.cli import main

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "guide"):
    group.list_commands(click.Context(group))  # loads the backend's commands too
    for name, cmd in group.commands.items():
        yield f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            yield from commands(cmd, f"{prefix} {name}")


@pytest.mark.parametrize("command", sorted(commands(main)))
def test_every_cli_command_is_in_the_readme(command):
    assert f"`{command}" in README or f"{command} " in README, f"README does not document `{command}`"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    assert "make run" in README and "make test" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)
