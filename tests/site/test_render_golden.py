"""Golden tests: YAML in → Markdown out, for a service, a flow and a policy.

Run with UPDATE_GOLDEN=1 to (re)write the golden files after an intended change, then review
the diff like any other code change. A missing golden file fails: it is never written silently.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from site_builder import render
from site_builder.content import load_valid_project

from ..conftest import FIXTURES

GOLDEN = Path(__file__).parent / "golden"


def fake_drawing(flow) -> str:
    # The SVG itself comes from Graphviz and is checked in test_flowsvg/test_build; here we
    # pin only the Markdown around it.
    return f'<svg data-flow="{flow.id}"></svg>'


@pytest.fixture(scope="module")
def project():
    return load_valid_project(FIXTURES / "mini")


@pytest.mark.parametrize("name, make", [
    ("service-drug-testing.md", lambda p, art: render.render_service(p, p.services["drug-testing"], art)),
    ("flow-basic.md", lambda p, art: render.render_flow(p, p.flows["basic"], art)),
    ("policy-local-plan.md", lambda p, art: render.render_policy(p, p.policies["local-plan"])),
    ("policy-drug-law.md", lambda p, art: render.render_policy(p, p.policies["drug-law"])),
])
def test_markdown_matches_golden(project, name, make):
    text = make(project, render.FlowArt(fake_drawing))
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"golden file {path.name} is missing: run with UPDATE_GOLDEN=1 to write it, then review it")
    assert text == path.read_text(encoding="utf-8")
