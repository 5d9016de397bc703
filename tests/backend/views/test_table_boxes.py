"""Every table of a backend page sits in a scroll box (.table-wrap, or the chart's .chart-data):
a table wider than a phone then scrolls inside its box instead of pushing the whole page
sideways (the browser test in test_pages_phone_browser.py checks the box's behaviour)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import forms_backend

TEMPLATES = Path(forms_backend.__file__).parent / "templates"
BOX = re.compile(r'<div class="(table-wrap|chart-data)"[^>]*>$')


def unboxed_tables() -> list[str]:
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"<table\b", text):
            if not BOX.search(text[:m.start()].rstrip()):
                found.append(f"{path.relative_to(TEMPLATES)}:{text.count(chr(10), 0, m.start()) + 1}")
    return found


def test_every_backend_table_is_in_a_scroll_box():
    assert unboxed_tables() == []


def test_the_check_finds_a_bare_table(tmp_path, monkeypatch):
    (tmp_path / "bare.html").write_text("<h2>x</h2>\n<table class=\"data-table\"></table>", encoding="utf-8")
    (tmp_path / "boxed.html").write_text("<div class=\"table-wrap\"><table></table></div>", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "TEMPLATES", tmp_path)
    assert unboxed_tables() == ["bare.html:2"]
