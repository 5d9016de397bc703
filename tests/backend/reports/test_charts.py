"""reports/charts.py: SVG that parses, is labelled for screen readers, escapes labels and carries no inline style."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from forms_backend.reports.charts import bar_chart, fit, nice_max, small_multiples, text_units

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart):
    return ET.fromstring(str(chart.svg))


def test_bar_chart_is_an_accessible_image_with_its_table():
    chart = bar_chart("c1", "申请状态分布", [("已提交", 3), ("已办结", 6)], label_column="状态", value_column="申请数")
    root = parse(chart)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "申请状态分布"
    assert "已提交：3" in root.find(f"{SVG}desc").text
    assert chart.columns == ("状态", "申请数") and chart.rows == [("已提交", "3"), ("已办结", "6")]
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[1] == pytest.approx(2 * widths[0])


def test_labels_are_escaped_and_no_inline_style_is_used():
    chart = bar_chart("c2", "<b>标题</b>", [('<script>alert("x")</script>', 1)])
    text = str(chart.svg)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "style=" not in text
    parse(chart)  # still well-formed XML


def test_long_labels_are_cut_with_the_full_label_in_a_tooltip():
    label = "企业人员质量管理能力提升培训服务事项名称很长很长很长"
    root = parse(bar_chart("c3", "t", [(label, 2)]))
    text = root.find(f".//{SVG}text")
    assert text.text.endswith("…") and text.find(f"{SVG}title").text == label


def test_fixed_scale_for_scores_and_percentages():
    root = parse(bar_chart("c4", "平均分", [("a", 5), ("b", 2.5)], max_value=5))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_extra_classes_colour_each_bar():
    root = parse(bar_chart("c5", "满意度", [("非常满意", 1), ("满意", 2)], classes=["chart-score-5", "chart-score-4"]))
    assert [r.get("class") for r in root.iter(f"{SVG}rect")] == ["chart-bar chart-score-5", "chart-bar chart-score-4"]


def test_empty_data_says_so():
    chart = bar_chart("c6", "评价", [])
    assert chart.empty and chart.rows == [] and "暂无数据" in str(chart.svg)
    assert small_multiples("c7", "月度", [], []).empty


def test_small_multiples_draw_one_panel_per_series_on_one_scale():
    months = ["2026-01", "2026-02", "2026-03"]
    series = [("计量", [1, 4, 2]), ("检验", [0, 2, 8]), ("培训", [3, 3, 3]), ("咨询", [1, 0, 0])]
    chart = small_multiples("c8", "每月申请数", months, series)
    root = parse(chart)
    panels = [g for g in root.findall(f"{SVG}g") if "chart-panel" in g.get("class")]
    assert [g.get("class") for g in panels] == [f"chart-panel chart-series-{n}" for n in range(4)]
    # every series is drawn in full, in its own panel: no panel hides another
    for g, (name, values) in zip(panels, series):
        columns = g.findall(f"{SVG}rect")
        assert len(columns) == 3 and [c.find(f"{SVG}title").text for c in columns][1] == f"{name} 2026-02：{values[1]}"
        assert name in g.find(f"{SVG}text").text
    # one scale: the same count is the same height in every panel; the highest (8) fills its panel
    heights = {(name, i): float(c.get("height")) for g, (name, _) in zip(panels, series)
               for i, c in enumerate(g.findall(f"{SVG}rect"))}
    assert heights[("培训", 0)] == pytest.approx(heights[("计量", 0)] * 3, abs=0.2)
    assert heights[("检验", 1)] == pytest.approx(heights[("计量", 0)] * 2, abs=0.2)
    assert heights[("检验", 2)] == max(heights.values())
    assert chart.columns == ("月份", "计量", "检验", "培训", "咨询")
    assert chart.rows[2] == ("2026-03", "2", "8", "3", "0")


@pytest.mark.parametrize("value, expected", [(0, 1), (3, 5), (7, 10), (12, 20), (23, 25), (180, 200)])
def test_nice_max(value, expected):
    assert nice_max(value) == expected


def test_text_width_counts_chinese_as_one_and_latin_as_less():
    assert text_units("计量") == 2 and text_units("ab") == pytest.approx(1.2)
    assert fit("短", 100) == "短" and re.fullmatch(r".+…", fit("很" * 30, 120))


def test_counts_get_whole_scale_steps():
    chart = small_multiples("c9", "每月申请数", ["2026-01", "2026-02"], [("计量", [1, 3])])
    ticks = re.findall(r'class="chart-tick" x="38" y="[^"]+" text-anchor="end">([^<]+)<', str(chart.svg))
    assert ticks == ["5", "0"]
