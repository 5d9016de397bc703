"""The warning levels live in the warning flow's YAML: the guide page shows them (with the 待确认
mark of the unconfirmed days), the backend's schedule reads the same numbers, and `guide check`
refuses levels out of order and a last level later than one month before expiry, at the line."""
from __future__ import annotations

import shutil
from pathlib import Path

from forms_backend.duedates import schedule_of
from site_builder import render
from site_builder.content import load_project

from ..conftest import ROOT, TODAY

FLOW = "flows/special-equipment-inspection-warning.yml"


def shipped_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "guide"
    shutil.copytree(ROOT / "content", dest / "content")
    shutil.copytree(ROOT / "flows", dest / "flows")
    return dest


def test_the_page_and_the_backend_read_the_same_levels():
    project = load_project(ROOT, today=TODAY)
    flow = project.warning_flow()
    assert flow.id == "special-equipment-inspection-warning"
    days = [lv.days_before for lv in flow.warnings.levels]
    assert days == [90, 60, 40]
    block = render.flow_block(flow, render.FlowArt(lambda f: "<svg></svg>"))
    for lv in flow.warnings.levels:
        assert f"<th scope=\"row\">{lv.name} <strong class=\"guide-mark\">待确认</strong>" in block
        assert f"<td>到期前 {lv.days_before} 天</td>" in block
    schedule = schedule_of(project)
    assert [lv.days_before for lv in schedule.levels] == days and schedule.working_days
    # The days are unconfirmed: listed for review with their file and line.
    review = {i.key: i.where for i in project.unconfirmed_items() if i.kind == "warning_level"}
    assert set(review) == {f"{flow.id}#level1", f"{flow.id}#level2", f"{flow.id}#level3"}
    assert all(where.startswith(FLOW + ":") for where in review.values())
    # Only what the content already cites: 特种设备安全法 第四十条.
    level3 = flow.warnings.levels[2].provenance.sources[0]
    assert (level3.policy, level3.article) == ("special-equipment-safety-law", "第四十条")


def test_a_last_level_later_than_one_month_before_expiry_is_refused_at_its_line(tmp_path):
    root = shipped_copy(tmp_path)
    path = root / FLOW
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      days_before: 40\n", "      days_before: 20\n"), encoding="utf-8")
    project = load_project(root, today=TODAY)
    found = [d for d in project.errors if d.path.endswith(FLOW)]
    assert len(found) == 1
    assert "must start no later than 1 month(s) before the due date" in found[0].message
    line = text[: text.index("      days_before: 40\n")].count("\n") + 1
    assert found[0].line == line
    assert "days_before: 31" in found[0].hint


def test_levels_out_of_order_and_an_unknown_application_are_refused(tmp_path):
    root = shipped_copy(tmp_path)
    path = root / FLOW
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      days_before: 60\n", "      days_before: 120\n")
                    .replace("application: special-equipment-periodic-inspection",
                             "application: special-equipment-periodic-inspectoin"), encoding="utf-8")
    messages = [d.message for d in load_project(root, today=TODAY).errors if d.path.endswith(FLOW)]
    assert any("level 2 must start closer to the due date than level 1" in m for m in messages)
    project_messages = [d.message for d in load_project(root, today=TODAY).errors]
    assert any("unknown service 'special-equipment-periodic-inspectoin'" in m for m in project_messages)
