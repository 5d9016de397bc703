"""Provenance: every item says where it comes from; unconfirmed items are listed, marked and gate publishing."""
from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from site_builder.content import load_project
from site_builder.review import COLUMNS

from ..conftest import ROOT, TODAY

GUIDE = str(ROOT / ".venv" / "bin" / "guide")
SVC = "content/services/drug-testing.yml"
CONFIRMED = "  confirmed:\n    by: 测试市场监督管理局 质量发展科\n    date: 2026-11-20\n"


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def messages(root: Path) -> list[str]:
    return [d.format() for d in load_project(root, today=TODAY).diagnostics]


def line_of(root: Path, rel: str, needle: str) -> int:
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


# ---------------------------------------------------------------- model and validation

def test_fixture_guide_is_fully_confirmed_but_for_one_placeholder(mini, monkeypatch):
    monkeypatch.chdir(mini)
    pending = load_project(mini, today=TODAY).unconfirmed_items()
    assert [(i.kind, i.where) for i in pending] == [("placeholder", "content/site.yml:25")]


def test_item_without_provenance_is_an_error_with_its_line(mini, monkeypatch):
    monkeypatch.chdir(mini)
    text = (mini / SVC).read_text(encoding="utf-8")
    (mini / SVC).write_text(text[: text.index("provenance:")], encoding="utf-8")
    assert (f"{SVC}:1:1: error: service 'drug-testing' does not say where it comes from — add 'provenance:' with "
            "'sources' (doc + clause, or policy + article) or 'assumed: <one-line reason>' (see content/_example)"
            in messages(mini))


@pytest.mark.parametrize("old, new, expected", [
    pytest.param("    - {doc: test-standard}", "    - {doc: test-standrd}",
                 "error: unknown source document 'test-standrd' — did you mean 'test-standard'?", id="unknown-doc"),
    pytest.param("    - {doc: test-standard}", "    - {policy: drug-lw, article: 第一条}",
                 "error: unknown policy 'drug-lw' — did you mean 'drug-law'?", id="unknown-policy"),
    pytest.param("    - {doc: test-standard}", "    - {doc: test-standard, policy: drug-law}",
                 "error: a source names either 'doc' (a source document) or 'policy' (a policy id), not both or neither",
                 id="doc-and-policy"),
    pytest.param("    - {doc: test-standard}", "    - {doc: test-standard, article: 第一条}",
                 "error: 'article' goes with 'policy'; for a source document write 'clause'", id="article-on-doc"),
    pytest.param("  sources:\n    - {doc: test-standard}\n", "",
                 "error: provenance needs 'sources' (where it comes from) or 'assumed' (a one-line reason)",
                 id="neither-source-nor-assumption"),
    pytest.param("    date: 2026-11-20", "    date: 2999-01-01",
                 "error: confirmation date 2999-01-01 is in the future — use the day the department actually confirmed it",
                 id="future-confirmation"),
    pytest.param("    by: 测试市场监督管理局 质量发展科\n", "",
                 "error: missing required field 'by' — add 'by:' to this block", id="confirmation-without-who"),
])
def test_bad_provenance_is_reported_with_its_line(mini, monkeypatch, old, new, expected):
    monkeypatch.chdir(mini)
    edit(mini, SVC, old, new)
    found = [m for m in messages(mini) if m.startswith(SVC + ":") and expected in m]
    assert found, messages(mini)
    line = int(found[0].split(":")[1])
    assert line >= line_of(mini, SVC, "provenance:")


def test_reference_document_cited_by_a_service_is_an_error(mini, monkeypatch):
    monkeypatch.chdir(mini)
    edit(mini, "content/policies/local-plan.yml", "jurisdiction:", "reference: true\njurisdiction:")
    edit(mini, SVC, "  - id: drug-law", "  - id: local-plan")
    assert any(m.startswith(f"{SVC}:") and "is a 外地经验参考 document" in m for m in messages(mini))


def test_foreign_document_must_be_marked_reference(mini, monkeypatch):
    monkeypatch.chdir(mini)
    edit(mini, "content/site.yml", "documents:", "jurisdictions: [全国]\ndocuments:")
    found = [m for m in messages(mini) if "is not among this guide's jurisdictions" in m]
    assert found and found[0].startswith("content/policies/local-plan.yml:")
    edit(mini, "content/policies/local-plan.yml", "jurisdiction:", "reference: true\njurisdiction:")
    assert not [m for m in messages(mini) if "jurisdictions" in m]


def test_removing_a_confirmation_makes_the_item_unconfirmed_at_its_line(mini, monkeypatch):
    monkeypatch.chdir(mini)
    edit(mini, SVC, CONFIRMED, "  assumed: 办理时限为编者拟定\n")
    project = load_project(mini, today=TODAY)
    item = next(i for i in project.unconfirmed_items() if i.kind == "service")
    assert item.where == f"{SVC}:{line_of(mini, SVC, 'provenance:')}"
    assert item.assumption == "办理时限为编者拟定" and "测试地方标准" in item.source
    assert project.is_draft_edition and project.edition_line().startswith("征求意见稿（")


def test_step_provenance_is_optional_and_listed_when_given(mini, monkeypatch):
    monkeypatch.chdir(mini)
    edit(mini, "flows/basic.yml", "    kind: end\n", "    kind: end\n    provenance:\n      assumed: 结束环节为编者补充\n")
    keys = [i.key for i in load_project(mini, today=TODAY).unconfirmed_items()]
    assert keys.count("basic#done") == 1 and "basic#need" not in keys


# ---------------------------------------------------------------- editors' commands

def run(*args, cwd=None):
    return subprocess.run([GUIDE, *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.slow  # runs the installed `guide` in a subprocess
def test_check_summarises_unconfirmed_by_file(mini):
    edit(mini, SVC, CONFIRMED, "")
    proc = run("check", "--project", ".", cwd=mini)
    assert proc.returncode == 0
    assert "unconfirmed: 1 item(s) and 1 placeholder(s) in 2 file(s)" in proc.stderr
    assert f"  {SVC}: 1 unconfirmed" in proc.stderr and "  content/site.yml: 1 placeholder(s)" in proc.stderr


@pytest.mark.slow  # runs the installed `guide` in a subprocess
def test_publish_refuses_with_a_list_then_passes_when_all_is_confirmed(mini, tmp_path):
    edit(mini, SVC, CONFIRMED, "")
    site = tmp_path / "site"
    refused = run("build", "--publish", "--project", ".", "--site-dir", str(site), cwd=mini)
    assert refused.returncode == 1 and not site.exists()
    lines = refused.stderr.splitlines()
    assert f"{SVC}:{line_of(mini, SVC, 'provenance:')}: unconfirmed service: 药品检验检测申请：" in refused.stderr
    assert any(line.startswith("content/site.yml:25: placeholder: phone: 【待补充】") for line in lines)
    assert "publish refused: 2 item(s) not confirmed; nothing was built" in refused.stderr
    # A normal build still works: the 征求意见稿 edition, with the mark on the service page.
    draft = run("build", "--project", ".", "--site-dir", str(site), cwd=mini)
    assert draft.returncode == 0, draft.stderr
    page = (site / "services" / "drug-testing" / "index.html").read_text(encoding="utf-8")
    assert "guide-edition" in page and "征求意见稿（" in page and "待确认" in page
    # Confirm everything: the published edition has neither the edition line nor any mark.
    edit(mini, SVC, "    - {doc: test-standard}\n", "    - {doc: test-standard}\n" + CONFIRMED)
    edit(mini, "content/site.yml", 'phone: "【待补充】"', 'phone: "0000-00000001"')
    published = run("build", "--publish", "--project", ".", "--site-dir", str(site), cwd=mini)
    assert published.returncode == 0, published.stderr
    for html in site.rglob("index.html"):
        text = html.read_text(encoding="utf-8")
        assert "征求意见稿" not in text and "guide-mark" not in text, html


@pytest.mark.slow  # runs the installed `guide` in a subprocess
def test_review_worksheet_rows_agree_with_the_yaml(tmp_path):
    proc = run("review", "--project", str(ROOT), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    expected = load_project(ROOT, today=TODAY).unconfirmed_items()
    assert f"wrote {len(expected)} row(s)" in proc.stderr
    with (tmp_path / "review-worksheet.csv").open(encoding="utf-8-sig", newline="") as fh:
        csv_rows = list(csv.reader(fh))
    sheet = load_workbook(tmp_path / "review-worksheet.xlsx").active
    xlsx_rows = [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert csv_rows == xlsx_rows
    assert csv_rows[0] == COLUMNS and len(csv_rows) == len(expected) + 1
    for row, item in zip(csv_rows[1:], expected):
        assert row[3] == item.where and row[2] == item.statement and row[5:] == ["", "", "", ""]
        path, line = row[3].rsplit(":", 1)
        text = (ROOT / path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
        # Each row points at the line an editor edits: the provenance block, or the placeholder.
        assert ("provenance:" in text) if not item.placeholder else ("【待补充】" in text or text.rstrip().endswith((":", ">-", "|"))), row
    kinds = {row[1] for row in csv_rows[1:]}
    assert {"服务事项", "流程步骤", "政策法规", "服务机构", "说明页段落", "监督渠道", "待补充内容"} <= kinds
    commitment = next(r for r in csv_rows if "差评与投诉的处理安排" in r[2])
    assert "编者假设：" in commitment[4]


# ---------------------------------------------------------------- on the site

def test_mark_and_edition_line_render_in_screen_and_print(guide_site, serve_dir, page):
    pytest.importorskip("playwright")
    _project, site, _result = guide_site
    base = serve_dir(site)
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        for path in ("/services/special-equipment-inspection-warning/", "/about/supervision/", "/flows/basic-service-flow/"):
            page.goto(base + path)
            edition = page.locator(".guide-edition")
            assert edition.is_visible(), (media, path)
            assert edition.inner_text().startswith("征求意见稿（")
            mark = page.locator(".guide-mark").first
            assert mark.is_visible() and mark.inner_text() == "待确认", (media, path)
        page.goto(base + "/services/special-equipment-inspection-warning/")
        notice = page.locator(".guide-unconfirmed").first
        assert "编者假设：编制说明只列出服务名称" in notice.inner_text()
        # Words, not only colour: the mark keeps its border and text in print.
        assert page.evaluate("getComputedStyle(document.querySelector('.guide-mark')).borderTopStyle") == "solid"
    page.goto(base + "/policies/")
    heading = page.locator("h2#reference")
    assert "外地经验参考" in heading.inner_text() and "济宁市" in heading.inner_text()


test_mark_and_edition_line_render_in_screen_and_print = pytest.mark.browser(pytest.mark.slow(
    test_mark_and_edition_line_render_in_screen_and_print))


def test_songjiang_clause_shows_as_basis_clause_not_service_code():
    from site_builder import render

    project = load_project(ROOT / "examples" / "songjiang")
    art = render.FlowArt(lambda f: "<svg></svg>")
    page = render.render_service(project, project.services["design-guidance"], art)
    assert "| 依据条款 | 《生物医药产品注册指导服务工作站服务规范》（DB 31117/Z 020—2023） 7.2.3 |" in page
    assert "事项编码" not in page
    assert "| 服务跟进 | 工作站定期向企业了解产品注册进展和服务需求，一般每2周联系1次" in page
    # Services are listed in clause order: 7.2.1.1 … 7.2.8.5, then 7.3.1, 7.3.2.
    listed = [path.split("/")[1][:-3] for fam in render.nav(project)[1]["服务事项"] for group in fam.values()
              for path in group if path.startswith("services/")]
    clauses = [next(r.article for r in project.services[s].provenance.sources) for s in listed]
    assert clauses == sorted(clauses, key=lambda c: [int(n) for n in c.split(".")]) and len(clauses) == 21
