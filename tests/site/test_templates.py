"""The shipped guide ships the blank forms (空白表格) and samples (示例样表) its materials name, and a
printable 一次性告知单 per service."""
from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest
from openpyxl import load_workbook

from site_builder.content import load_valid_project

from ..conftest import ROOT


def shipped_materials():
    project = load_valid_project(ROOT)
    return [(s, m) for s in project.services.values() for m in s.materials if m.template or m.sample]


def test_the_shipped_templates_open_and_have_the_columns_the_guide_names():
    found = shipped_materials()
    assert len(found) >= 2
    for service, material in found:
        columns = re.search(r"（(.+)）", material.name).group(1).split("、")
        for name in (material.template, material.sample):
            book = load_workbook(ROOT / "content" / "files" / name, read_only=True)
            rows = list(book.active.iter_rows(values_only=True))
            header = next(r for r in rows if r and "序号" in r)
            for column in columns:
                assert any(column in str(cell) for cell in header if cell), (name, column)
            if name == material.sample:
                assert "示例" in str(rows[0][0]) and len(rows) > rows.index(header) + 1  # filled in


def links(html: str, page_url: str) -> set[str]:
    """Every href of a page as a site path (engines write the same target differently)."""
    return {urljoin(page_url, href) for href in re.findall(r'href="([^"#]+)', html)}


@pytest.mark.slow
def test_every_service_has_a_printable_notice(guide_site):
    project, site, _ = guide_site
    for service in project.services.values():
        html = (site / "services" / service.id / "notice" / "index.html").read_text(encoding="utf-8")
        assert "一次性告知单" in html and service.time_limit.text.split("，")[0] in html
        for material in service.materials:
            assert material.name.split("（")[0] in html
        page = (site / "services" / service.id / "index.html").read_text(encoding="utf-8")
        assert f"/services/{service.id}/notice/" in links(page, f"/services/{service.id}/")
    metrology = (site / "services" / "metrology-verification-online" / "index.html").read_text(encoding="utf-8")
    assert "/files/metrology-verification-list.xlsx" in links(metrology, "/services/metrology-verification-online/")
    assert "示例样表" in metrology
    assert (site / "files" / "metrology-verification-list-sample.xlsx").is_file()


def test_periodic_inspection_shows_its_own_flow():
    project = load_valid_project(ROOT)
    service = project.services["special-equipment-periodic-inspection"]
    flow = project.flows[service.flow]
    assert flow.id == "special-equipment-periodic-inspection"
    labels = [s.label for s in flow.steps]
    assert labels[0] == "在线提交定期检验申报" and "出具检验报告" in labels
    assert project.services["special-equipment-inspection-warning"].flow == "special-equipment-inspection-warning"
