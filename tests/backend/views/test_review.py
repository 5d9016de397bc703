"""The staff console lists guide content whose yearly review is due."""
from __future__ import annotations

from ..conftest import Staff


def test_staff_console_lists_content_due_for_review(client, accounts):
    assert client.get("/staff/review").status_code == 303  # behind the login
    staff = Staff(client)
    staff.login()
    page = staff.get("/staff/review").get_data(as_text=True)
    assert "30 天内没有需要核验的内容" in page
    page = staff.get("/staff/review?days=400").get_data(as_text=True)
    assert '<a href="/services/metering/">计量器具检定</a>' in page
    assert "2027-11-01" in page and "内容核验" in page
