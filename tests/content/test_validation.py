"""Every kind of editor mistake → one exact `path:line:col: error: what — how` message."""
from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.content import load_project

from ..conftest import TODAY

SVC = "content/services/drug-testing.yml"
FLOW = "flows/basic.yml"

CASES = [
    pytest.param(SVC, "category: testing", "category: testng",
                 f"{SVC}:5:1: error: unknown category 'testng' — did you mean 'testing'?", id="unknown-category"),
    pytest.param(SVC, "providers: [lab]", "providers: [labb]",
                 f"{SVC}:26:13: error: unknown provider 'labb' — did you mean 'lab'?", id="unknown-provider"),
    pytest.param(SVC, "  - id: drug-law", "  - id: drug-lw",
                 f"{SVC}:35:5: error: unknown policy 'drug-lw' — did you mean 'drug-law'?", id="unknown-policy"),
    pytest.param(SVC, "flow: basic", "flow: basik",
                 f"{SVC}:18:1: error: unknown flow 'basik' — did you mean 'basic'?", id="unknown-flow"),
    pytest.param(SVC, "related: [quality-training]", "related: [quality-trainin]",
                 f"{SVC}:41:11: error: unknown related service 'quality-trainin' — did you mean 'quality-training'?",
                 id="unknown-related"),
    pytest.param("content/providers.yml", "  - id: lab", "  - id: bureau",
                 "content/providers.yml:12:5: error: duplicate id 'bureau' — provider ids must be unique", id="duplicate-id"),
    pytest.param(SVC, "id: drug-testing", "id: drug-test",
                 f"{SVC}:1:1: error: id 'drug-test' differs from the file name 'drug-testing.yml' — "
                 "rename the file to 'drug-test.yml' or set 'id: drug-testing'", id="id-not-stem"),
    pytest.param(SVC, "summary: 企业委托检验检测中心对药品进行检验，出具检验报告。\n", "",
                 f"{SVC}:1:1: error: missing required field 'summary' — add 'summary:' to this block", id="missing-field"),
    pytest.param(SVC, "aliases: [药品检验, 送检, 质慧e站送检]", "aliases: 药品检验",
                 f"{SVC}:4:1: error: wrong type for 'aliases': expected a list, got text — write 'aliases' as a list",
                 id="wrong-type"),
    pytest.param(SVC, "reviewed: 2026-11-01", "reviewed: 2026-13-01",
                 f"{SVC}:64:1: error: bad date '2026-13-01' in 'reviewed': there is no month 13 — "
                 "write a day that exists, as YYYY-MM-DD", id="bad-date"),
    pytest.param(SVC, "reviewed: 2026-11-01", "reviewed: 2026-02-30",
                 f"{SVC}:64:1: error: bad date '2026-02-30' in 'reviewed': February 2026 has no 30th (it has 28 days)"
                 " — write a day that exists, as YYYY-MM-DD", id="february-30"),
    pytest.param(SVC, "reviewed: 2026-11-01", "reviewed: 2026-11-1x",
                 f"{SVC}:64:1: error: bad date '2026-11-1x' in 'reviewed' — write dates as YYYY-MM-DD, e.g. 2026-11-25",
                 id="not-a-date"),
    pytest.param(SVC, "name: 药品检验检测申请", "name: 药品: 检验: 申请",
                 f"{SVC}:3:9: error: YAML syntax error: a ':' inside a value — "
                 "put the whole value in quotes, e.g. name: \"药品: 检验\"", id="yaml-syntax"),
    pytest.param(SVC, "  free: false\n", "  free: false\n text: x\n",
                 f"{SVC}:25:2: error: YAML syntax error: this line is indented by 1 space, which matches no block "
                 "above it — indent it like 'free' on line 24 (2 spaces) or like 'fee' on line 23 (no indent)",
                 id="yaml-indented-too-little"),
    pytest.param(SVC, "  days: 20\n", "   days: 20\n",
                 f"{SVC}:21:4: error: YAML syntax error: 'days' is indented further than 'text' on line 20 above it — "
                 "indent it like 'text' on line 20 (2 spaces), or put it in quotes if it is part of that value",
                 id="yaml-indented-too-far"),
    pytest.param(SVC, "name: 药品检验检测申请", "name：药品检验检测申请",
                 f"{SVC}:3:5: error: YAML syntax error: full-width colon '：' after 'name' — type the ASCII colon "
                 "and a space: 'name: …' (switch the input method to English for it)", id="full-width-colon"),
    pytest.param(SVC, "  - name: 样品说明", "  - name：样品说明",
                 f"{SVC}:15:9: error: YAML syntax error: full-width colon '：' after 'name' — type the ASCII colon "
                 "and a space: 'name: …' (switch the input method to English for it)", id="full-width-colon-in-list"),
    pytest.param(SVC, "summary: 企业委托", "summary: \"企业委托",
                 f"{SVC}:6:10: error: YAML syntax error: the quote \" opened here is never closed — "
                 "close it with the same quote at the end of the value on this line", id="unclosed-quote"),
    pytest.param(SVC, "aliases: [药品检验, 送检, 质慧e站送检]", "aliases: [药品检验, 送检, 质慧e站送检",
                 f"{SVC}:4:10: error: YAML syntax error: a '[' opened here is never closed — "
                 "close it with ']' at the end of the value on this line", id="unclosed-bracket"),
    pytest.param(SVC, "audience: [园区内药品生产企业]", "audience:\n\t- 园区内药品生产企业",
                 f"{SVC}:9:1: error: tab used for indentation — YAML indents with spaces only; replace the tab with spaces",
                 id="tab-indent"),
    pytest.param(FLOW, "    next: done", "    next: gone",
                 f"{FLOW}:29:5: error: step 'serve' points to unknown step 'gone' — did you mean 'done'?",
                 id="step-points-nowhere"),
    pytest.param(FLOW, "  - id: done", "  - id: orphan\n    label: 多余步骤\n    next: done\n  - id: done",
                 f"{FLOW}:30:5: error: step 'orphan' is unreachable from the start — "
                 "point a 'next' or a branch of an earlier step at it, or delete it", id="unreachable-step"),
    pytest.param(FLOW, "    kind: end", "    next: need",
                 f"{FLOW}:6:1: error: flow 'basic' has no reachable end — add a step with 'kind: end' and lead a path to it",
                 id="no-reachable-end"),
    pytest.param(FLOW, "      - when: 材料不全\n        next: fix\n", "",
                 f"{FLOW}:12:5: error: decision 'accept' has 1 branch(es) — "
                 "a decision needs at least two 'branches' (when/next)", id="decision-one-branch"),
    pytest.param(FLOW, "    actor: 企业\n    next: accept", "    actor: 药监局\n    next: accept",
                 f"{FLOW}:23:5: error: undeclared actor '药监局' — add it to 'actors' at the top of the flow",
                 id="undeclared-actor"),
    pytest.param(SVC, "  free: false\n", "  free: false\n  cost: 3\n",
                 f"{SVC}:25:3: error: unknown field 'cost' — allowed fields: free, text", id="unknown-field"),
    pytest.param(SVC, "  text: 按检验检测中心公布的收费标准收取\n", "",
                 f"{SVC}:23:1: error: a fee that is not free needs 'text' saying how much and on what basis — "
                 "see content/_example/service.yml for this block's rules", id="rule-of-a-block"),
    pytest.param(SVC, "visits: 1", "visits: -1",
                 f"{SVC}:33:1: error: 'visits' is -1, which is too small — input should be greater than or equal to 0",
                 id="negative-number"),
]


def mutate(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def messages(root: Path, severity: str = "error") -> list[str]:
    project = load_project(root, today=TODAY)
    return [d.format().replace(str(root) + "/", "") for d in project.diagnostics if d.severity == severity]


def test_fixture_is_valid(mini):
    assert messages(mini) == []


@pytest.mark.parametrize("rel, old, new, expected", CASES)
def test_broken_input_is_reported_with_line(mini, rel, old, new, expected):
    mutate(mini, rel, old, new)
    assert expected in messages(mini)


def test_every_mistake_is_reported_in_one_run(mini):
    mutate(mini, SVC, "category: testing", "category: testng")
    mutate(mini, SVC, "providers: [lab]", "providers: [labb]")
    mutate(mini, FLOW, "    next: done", "    next: gone")
    errors = messages(mini)
    assert any("unknown category" in e for e in errors)
    assert any("unknown provider" in e for e in errors)
    assert any("unknown step 'gone'" in e for e in errors)


def test_stale_review_date_is_a_warning(mini):
    mutate(mini, "content/services/quality-training.yml", "reviewed: 2026-11-01", "reviewed: 2024-01-02")
    assert messages(mini) == []
    assert ("content/services/quality-training.yml:15:1: warning: content last reviewed on 2024-01-02, over a year "
            "ago — check the facts again and update 'reviewed'") in messages(mini, "warning")


def test_numbers_where_text_is_meant_are_kept_as_written(mini):
    mutate(mini, SVC, "    article: 第一百条", "    article: 6.10")
    mutate(mini, SVC, "code: T-001", "code: 0012")
    assert messages(mini) == []
    svc = load_project(mini).services["drug-testing"]
    assert svc.policies[0].article == "6.10"
    assert svc.code == "0012"
    assert svc.visits == 1


def test_a_tab_in_site_yml_gives_one_error(mini):
    mutate(mini, "content/site.yml", "  - id: testing", "\t- id: testing")
    errors = messages(mini)
    assert errors == ["content/site.yml:12:1: error: tab used for indentation — "
                      "YAML indents with spaces only; replace the tab with spaces"]


def test_an_unclosed_quote_in_providers_yml_gives_one_error(mini):
    mutate(mini, "content/providers.yml", "    name: 测试市场监督管理局", "    name: \"测试市场监督管理局")
    errors = messages(mini)
    assert errors == ["content/providers.yml:3:11: error: YAML syntax error: the quote \" opened here is never "
                      "closed — close it with the same quote at the end of the value on this line"]


def test_a_broken_policy_or_flow_file_is_the_only_error(mini):
    mutate(mini, "content/policies/drug-law.yml", "id: drug-law", "id: drug-law\n\tbad: tab")
    mutate(mini, FLOW, "id: basic", "id: basic\nsteps: {")
    errors = messages(mini)
    assert [e.split(": error")[0].rsplit(":", 2)[0] for e in errors] == ["content/policies/drug-law.yml", FLOW]


def test_root_cause_is_printed_first(mini):
    from click.testing import CliRunner

    from site_builder.cli import main

    mutate(mini, "content/services/quality-training.yml", "category: training", "category: nope")
    mutate(mini, "content/site.yml", "  - id: testing", "  - id: testing\n    bad：x")
    result = CliRunner().invoke(main, ["check", "--project", str(mini)])
    lines = [line for line in result.output.splitlines() if ": error: " in line]
    assert result.exit_code == 1
    assert "full-width colon" in lines[0]
    assert len(lines) == 1  # categories of a site.yml that does not parse are not checked


def test_placeholder_is_a_warning(mini):
    warnings = messages(mini, "warning")
    assert "content/site.yml:25:5: warning: placeholder in 'phone': 【待补充】 — replace it with the confirmed value" in warnings


def test_strict_can_leave_placeholders_apart(mini):
    from click.testing import CliRunner

    from site_builder.cli import main

    run = lambda *args: CliRunner().invoke(main, ["check", "--project", str(mini), *args])  # noqa: E731
    # Only the placeholder is left as a warning (the fixture's material without an upload says why).
    mutate(mini, SVC, "  - name: 检验委托书\n", "  - name: 检验委托书\n    no_upload: 原件在送样时现场提交\n")
    assert run().exit_code == 0
    assert run("--strict").exit_code == 1
    result = run("--strict", "--allow-placeholders")
    assert result.exit_code == 0, result.output
    assert "placeholders still to fill in (1, allowed by --allow-placeholders):" in result.output
    mutate(mini, "content/services/quality-training.yml", "reviewed: 2026-11-01", "reviewed: 2024-01-02")
    result = run("--strict", "--allow-placeholders")
    assert result.exit_code == 1
    assert "--strict: 1 warning(s): 1 review date(s) over a year old" in result.output
    errors_only = run("--errors-only")
    assert "placeholder in" not in errors_only.output
    assert "2 warning(s): 1 placeholder(s) 【待补充】, 1 review date(s) over a year old" in errors_only.output


def test_record_kinds_in_site_yml_are_checked_with_their_line(mini):
    """Issue 19: the kinds of service records a workstation adds in site.yml."""
    site = mini / "content" / "site.yml"
    start = len(site.read_text(encoding="utf-8").splitlines())
    with site.open("a", encoding="utf-8") as f:
        f.write("record_kinds:\n"
                "  - {id: forum, name: 企业座谈会, counts_as: vist}\n"
                "  - {id: visit, name: 走访调研}\n"
                "  - {id: forum, name: 座谈, counts_as: 法规宣贯/培训}\n")
    rel = "content/site.yml"
    found = messages(mini)
    assert f"{rel}:{start + 2}:30: error: 'counts_as: vist' is not a fixed record kind — did you mean 'visit'?" in found
    assert (f"{rel}:{start + 3}:6: error: record kind id 'visit' is already a fixed kind — give this kind an id of "
            "its own") in found
    assert (f"{rel}:{start + 3}:17: error: record kind name '走访调研' is already a fixed kind — use the fixed kind "
            "itself, or give this kind a name of its own") in found
    assert f"{rel}:{start + 4}:6: error: record kind id 'forum' is already used above — give this kind an id of its own" in found
    assert any(m.startswith(f"{rel}:{start + 4}:") and "'counts_as: 法规宣贯/培训'" in m and "'training'" in m
               for m in found)
    # a shape error (an id that is no slug) stops the file, with its line
    site.write_text(site.read_text(encoding="utf-8") + "  - {id: Bad_Id, name: 坏}\n", encoding="utf-8")
    assert messages(mini) == [f"{rel}:{start + 5}:6: error: 'Bad_Id' is not a valid id in 'id' — use lowercase "
                              "letters a-z, digits and hyphens, e.g. drug-testing"]
    # a good list passes
    text = site.read_text(encoding="utf-8").splitlines()[:start]
    site.write_text("\n".join(text) + "\nrecord_kinds:\n  - {id: forum, name: 企业座谈会, counts_as: visit}\n",
                    encoding="utf-8")
    assert messages(mini) == []
