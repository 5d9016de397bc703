"""What changed between builds, the 更新记录 on a service page, and what is due for review."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from site_builder.build import build_site
from site_builder.cli import main

from ..content.test_validation import SVC, mutate

TRAINING = "content/services/quality-training.yml"


@pytest.mark.slow
def test_each_build_says_what_changed_since_the_previous_one(mini, tmp_path):
    site = tmp_path / "site"
    first = build_site(mini, site_dir=site)
    assert first.changes == {"first_build": True}
    mutate(mini, SVC, "  text: 20个工作日\n  days: 20", "  text: 15个工作日\n  days: 15")
    new = (mini / TRAINING).read_text(encoding="utf-8").replace("id: quality-training", "id: gmp-training")
    (mini / "content" / "services" / "gmp-training.yml").write_text(new, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--project", str(mini), "--site-dir", str(site)])
    assert result.exit_code == 0, result.output
    assert "changes since the previous build:\n  services: added gmp-training · changed drug-testing (time_limit)\n" \
        in result.output
    written = json.loads((site / "data" / "changes.json").read_text(encoding="utf-8"))
    assert written["changes"]["services"] == {"added": ["gmp-training"], "removed": [],
                                              "changed": {"drug-testing": ["time_limit"]}}
    assert written["changes"]["policies"] == {"added": [], "removed": [], "changed": {}}
    again = build_site(mini, site_dir=site)
    assert all(not any(c.values()) for c in again.changes.values())


@pytest.mark.slow
def test_service_page_shows_its_update_log(mini, tmp_path):
    mutate(mini, SVC, "reviewed: 2026-11-01", "updates:\n  - {date: 2026-10-01, text: 办理时限缩短为20个工作日。}\n"
                                               "  - {date: 2026-11-01, text: 增加在线申请。}\nreviewed: 2026-11-01")
    build_site(mini, site_dir=tmp_path / "site")
    html = (tmp_path / "site" / "services" / "drug-testing" / "index.html").read_text(encoding="utf-8")
    assert "更新记录" in html
    assert html.index("增加在线申请。") < html.index("办理时限缩短为20个工作日。")  # newest first


def test_check_lists_items_due_for_review(mini):
    today = dt.date.today()
    reviewed = today - dt.timedelta(days=350)
    mutate(mini, TRAINING, "reviewed: 2026-11-01", f"reviewed: {reviewed}")
    due = reviewed + dt.timedelta(days=365)
    result = CliRunner().invoke(main, ["check", "--project", str(mini), "--review-due", "30"])
    assert result.exit_code == 0
    assert (f"{TRAINING}:15:1: warning: review due on {due} (in 15 days): service 'quality-training' was last "
            f"reviewed on {reviewed} — check the facts again and update 'reviewed'") in result.output
    quiet = CliRunner().invoke(main, ["check", "--project", str(mini), "--review-due", "10"])
    assert "review due on" not in quiet.output

