"""`guide rename`: file moved, references rewritten, redirects recorded and served, stored
applications re-pointed, and a running backend picks the new content up without a restart."""
from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from forms_backend import create_app
from forms_backend.content_reload import orphan_messages
from site_builder.build import build_site
from site_builder.cli import main
from site_builder.content import load_project

from ..backend.conftest import METERING, Applicant, config
from ..conftest import FIXTURES, copy_project

CONSULTING_EXTRA = (
    "related: [metering]   # keep this comment\n"
    "description: 需要检定的，请先[在线申请](/apply/metering)，详见[计量器具检定](/services/metering/)。\n"
)


@pytest.fixture
def project(tmp_path):
    root = copy_project(FIXTURES / "backend_project", tmp_path / "guide")
    consulting = root / "content" / "services" / "consulting.yml"
    consulting.write_text(consulting.read_text(encoding="utf-8") + CONSULTING_EXTRA, encoding="utf-8")
    assert load_project(root).errors == []
    return root


@pytest.fixture
def running(project, tmp_path):
    app = create_app(config(tmp_path, GUIDE_PROJECT=project))
    yield app
    app.extensions["guide"].storage.close()


def rename(project, tmp_path, *args):
    return CliRunner().invoke(main, ["rename", "--project", str(project), "--db",
                                     str(tmp_path / "data" / "guide.db"), *args])


@pytest.mark.slow
def test_rename_a_service_end_to_end(project, running, tmp_path):
    client = running.test_client()
    ref = Applicant(client, "metering").apply(METERING)

    result = rename(project, tmp_path, "metering", "instrument-verification")
    assert result.exit_code == 0, result.output
    services = project / "content" / "services"
    assert not (services / "metering.yml").exists()
    moved = (services / "instrument-verification.yml").read_text(encoding="utf-8")
    assert moved.startswith("# A short form without uploads (the load benchmark uses it).\nid: instrument-verification\n")
    consulting = (services / "consulting.yml").read_text(encoding="utf-8")
    assert "related: [instrument-verification]   # keep this comment" in consulting
    assert "[在线申请](/apply/instrument-verification)" in consulting
    assert "[计量器具检定](/services/instrument-verification/)" in consulting
    redirects = (project / "content" / "redirects.yml").read_text(encoding="utf-8")
    assert "- kind: service\n  old: metering\n  new: instrument-verification\n" in redirects
    assert load_project(project).errors == []
    assert "1 applications" in result.output and "re-pointed to 'instrument-verification'" in result.output

    # The stored application follows the service: its page, filter and time limit still work.
    storage = running.extensions["guide"].storage
    assert storage.applications_per_service() == {"instrument-verification": 1}

    # The running app reloads the content (it looks at most every 2 s) — no restart.
    time.sleep(2.1)
    assert client.get("/apply/instrument-verification").status_code == 200
    old = client.get("/apply/metering")
    assert old.status_code == 301 and old.headers["Location"].endswith("/apply/instrument-verification")
    assert client.get("/apply/metering/check").headers["Location"].endswith("/apply/instrument-verification/check")
    assert orphan_messages(storage, running.extensions["guide"].project) == []
    assert ref.startswith("ZY-")

    # The build writes a page at the old address that leads to the new one.
    site = tmp_path / "site"
    build_site(project, site_dir=site)
    old_page = (site / "services" / "metering" / "index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=../instrument-verification/">' in old_page
    assert (site / "services" / "instrument-verification" / "index.html").is_file()


def test_applications_of_a_vanished_service_are_reported(project, running, tmp_path):
    Applicant(running.test_client(), "metering").apply(METERING)
    # Renamed against another (empty) database: the stored application is left behind.
    result = CliRunner().invoke(main, ["rename", "--project", str(project), "--db", str(tmp_path / "other.db"),
                                       "metering", "instrument-verification"])
    assert result.exit_code == 0, result.output
    assert "no database at" in result.output
    running.extensions["guide"].storage.close()
    app = create_app(config(tmp_path, GUIDE_PROJECT=project))
    try:
        messages = orphan_messages(app.extensions["guide"].storage, app.extensions["guide"].project)
    finally:
        app.extensions["guide"].storage.close()
    assert messages == ["1 stored application(s) name service 'metering', which the content no longer has: "
                        "re-point them with `guide rename` (the content says 'metering' is now "
                        "'instrument-verification')"]


@pytest.mark.parametrize("args, message", [
    (["nothing", "x"], "no service, flow or policy has the id 'nothing'"),
    (["metering", "drug-testing"], "a service with the id 'drug-testing' exists already"),
    (["metering", "Bad_Id"], "'Bad_Id' is not a valid id"),
])
def test_rename_refuses_what_it_cannot_do(project, tmp_path, args, message):
    result = rename(project, tmp_path, *args)
    assert result.exit_code == 1 and message in result.output
    assert (project / "content" / "services" / "metering.yml").exists()


def test_rename_a_flow_rewrites_the_services_that_use_it(project, tmp_path):
    result = rename(project, tmp_path, "basic", "basic-service")
    assert result.exit_code == 0, result.output
    assert "flow: basic-service" in (project / "content" / "services" / "drug-testing.yml").read_text(encoding="utf-8")
    assert (project / "flows" / "basic-service.yml").exists()
    assert load_project(project).errors == []


def test_rename_a_policy_rewrites_citations_and_links(mini, tmp_path):
    svc = mini / "content" / "services" / "quality-training.yml"
    svc.write_text(svc.read_text(encoding="utf-8") + "description: 依据[药品管理法](/policies/drug-law/#measures)。\n",
                   encoding="utf-8")
    result = CliRunner().invoke(main, ["rename", "--project", str(mini), "--db", str(tmp_path / "none.db"),
                                       "drug-law", "drug-administration-law"])
    assert result.exit_code == 0, result.output
    text = (mini / "content" / "services" / "drug-testing.yml").read_text(encoding="utf-8")
    assert "  - id: drug-administration-law\n    article: 第一百条" in text
    assert "[药品管理法](/policies/drug-administration-law/#measures)" in svc.read_text(encoding="utf-8")
    assert "basis: [drug-administration-law]" in (mini / "flows" / "basic.yml").read_text(encoding="utf-8")
    assert "drug-law" not in "".join(p.read_text(encoding="utf-8") for p in (mini / "content").rglob("*.yml")
                                     if p.name != "redirects.yml")
    assert load_project(mini).errors == []
