"""Disk full: the data folder on a small tmpfs that fills up while applications with uploads are
submitted. The applicant gets a 503 page in Chinese (never a 500), nothing is acknowledged that is
not stored, no uploaded file is left that no row names, and the service recovers by itself once
space is freed (no restart)."""
from __future__ import annotations

import time

import pytest

from .harness import Browser, Gunicorn, acknowledged_ref, half_stored, integrity, read_only, stored_refs, tracked
from ..conftest import DRUG, METERING, PDF

pytestmark = pytest.mark.slow

UPLOAD = PDF + b"%" + b"x" * (300 * 1024) + b"\n"   # a 300 KiB PDF


def apply_with_upload(base: str, n: int) -> tuple[str, str | None, str]:
    """Fill in the drug-testing form with a PDF and submit it: (what happened, ref or None, page)."""
    browser = Browser(base, "drug-testing")
    r = browser.fill({**DRUG, "org_name": f"上传单位{n}"},
                     files={"f_spec_sheet": ("说明书.pdf", UPLOAD, "application/pdf")})
    if r.status_code != 303:
        return f"answers {r.status_code}", None, r.text
    r = browser.submit(browser.check_page())
    return f"submit {r.status_code}", acknowledged_ref(r), r.text


def apply_without_upload(base: str, n: int) -> tuple[str, str | None, str]:
    browser = Browser(base)
    r = browser.fill({**METERING, "org_name": f"无附件单位{n}"})
    if r.status_code != 303:
        return f"answers {r.status_code}", None, r.text
    r = browser.submit(browser.check_page())
    return f"submit {r.status_code}", acknowledged_ref(r), r.text


def unnamed_files(data) -> set[str]:
    """Files in uploads/ that no uploads row names (what a failed request must not leave)."""
    on_disk = {p.name for p in (data / "uploads").iterdir()} if (data / "uploads").is_dir() else set()
    conn = read_only(data / "guide.db")
    try:
        named = {r[0] for r in conn.execute("SELECT stored_name FROM uploads")}
    finally:
        conn.close()
    return on_disk - named


def test_a_full_disk_gives_a_503_page_keeps_nothing_half_done_and_recovers(tiny_disk):
    data = tiny_disk.path
    server = Gunicorn(data, workers=2, GUIDE_MIN_FREE_MB=0).start()
    outcomes: dict[str, int] = {}
    acked: list[str] = []
    pages_503: list[str] = []

    def attempt(how, n):
        what, ref, page = how(server.url, n)
        outcomes[what] = outcomes.get(what, 0) + 1
        if ref:
            acked.append(ref)
        if what.endswith("503"):
            pages_503.append(page)
        assert unnamed_files(data) == set(), f"orphaned upload after {what}"
        return what

    try:
        assert attempt(apply_with_upload, 0) == "submit 303"

        # No file can be made (no inode left, bytes free): writing the upload fails with ENOSPC.
        tiny_disk.use_up_inodes()
        assert attempt(apply_with_upload, 1) == "answers 503"
        tiny_disk.release()
        # No byte left: the form refuses the file (free-space budget), and saving the draft fails.
        tiny_disk.fill(leave=0)
        assert attempt(apply_with_upload, 2) == "answers 503"

        # Room for the upload but little or none for the database around it, in 8 KiB steps:
        # each attempt is either stored and acknowledged, or refused with the 503 page.
        for i, leave in enumerate(range(len(UPLOAD) - 16 * 1024, len(UPLOAD) + 96 * 1024, 8 * 1024)):
            tiny_disk.release()
            tiny_disk.fill(leave=leave)
            attempt(apply_with_upload, 10 + i)

        # The database itself full: with the disk full, keep submitting (no upload) until SQLite
        # cannot grow its WAL any more and a write fails.
        tiny_disk.release()
        tiny_disk.fill(leave=0)
        for n in range(200):
            if attempt(apply_without_upload, 100 + n).endswith("503"):
                break
        else:
            pytest.fail(f"the database never filled up: {outcomes}")

        assert not [k for k in outcomes if k.endswith("500")], outcomes
        assert pages_503 and all("请稍后重试" in p and "没有保存" in p for p in pages_503)
        assert all("Traceback" not in p for p in pages_503)

        # Space freed: the same server takes applications with uploads again, without a restart.
        tiny_disk.release()
        deadline = time.monotonic() + 15
        while attempt(apply_with_upload, 1000) != "submit 303":
            assert time.monotonic() < deadline, f"no recovery after space was freed: {outcomes}"
            time.sleep(0.5)

        assert set(acked) <= stored_refs(data / "guide.db")
        assert all(tracked(server.url, ref) for ref in acked)
    finally:
        server.stop()
        tiny_disk.release()
    assert integrity(data / "guide.db") == ["ok"]
    assert {k: v for k, v in half_stored(data / "guide.db").items() if v} == {}
    assert unnamed_files(data) == set()
    log = server.output()
    assert "storage full, POST /apply/drug-testing refused: no space left for the data" in log  # the file write
    assert "storage full, POST /apply/metering refused: SQLite: database or disk is full" in log  # the database
    assert outcomes.get("submit 503"), outcomes  # the submission itself refused, after the answers were kept
