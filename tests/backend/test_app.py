"""create_app: settings, start-up checks, content from the guide project."""
from __future__ import annotations

import logging
import shutil

import pytest

from forms_backend import create_app
from forms_backend.settings import SettingsError, resolve
from forms_backend.storage import DatabaseCorrupt
from forms_backend.storage import sqlite
from forms_backend.storage.sqlite import sqlite3
from site_builder.content import ContentError

from .conftest import FIXTURE, config


def test_defaults_are_derived_from_the_project(tmp_path):
    cfg = resolve({"GUIDE_PROJECT": tmp_path}, environ={})
    assert cfg["GUIDE_SITE_DIR"] == tmp_path / "site"
    assert cfg["GUIDE_DATA_DIR"] == tmp_path / "var"
    assert cfg["GUIDE_DB"] == tmp_path / "var" / "guide.db"
    assert cfg["GUIDE_SMTP_HOST"] == "" and cfg["GUIDE_RATELIMIT_ENABLED"] is True


def test_environment_configures_the_app_like_gunicorn_does(tmp_path):
    env = {"GUIDE_PROJECT": str(tmp_path), "GUIDE_DB": str(tmp_path / "elsewhere" / "x.db"),
           "GUIDE_SMTP_PORT": "2525", "GUIDE_SMTP_STARTTLS": "yes", "GUIDE_REF_PREFIX": "sq"}
    cfg = resolve(environ=env)
    assert cfg["GUIDE_DATA_DIR"] == tmp_path / "elsewhere"  # uploads and outbox beside --db
    assert cfg["GUIDE_SMTP_PORT"] == 2525 and cfg["GUIDE_SMTP_STARTTLS"] is True
    assert cfg["GUIDE_REF_PREFIX"] == "SQ"


@pytest.mark.parametrize("name, value", [("GUIDE_SMTP_PORT", "twenty-five"), ("GUIDE_REF_PREFIX", "Z1"),
                                         ("GUIDE_REF_PREFIX", "ABC"), ("GUIDE_MAX_REQUEST_MB", "lots")])
def test_bad_settings_are_refused_with_their_name(name, value):
    with pytest.raises(SettingsError, match=name):
        resolve({name: value}, environ={})


def test_reference_prefix_setting(tmp_path):
    from .conftest import METERING, Applicant
    app = create_app(config(tmp_path, GUIDE_REF_PREFIX="SQ"))
    assert Applicant(app.test_client(), "metering").apply(METERING).startswith("SQ-")


def test_startup_logs_the_sqlite_library_in_use(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="forms_backend")
    create_app(config(tmp_path))
    assert sqlite.BUNDLED, "the pysqlite3 wheel is a dependency on this platform"
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]
    line = [r.getMessage() for r in caplog.records if "SQLite" in r.getMessage()]
    assert line and f"SQLite {sqlite3.sqlite_version} (bundled by the pysqlite3 wheel)" in line[0], line
    assert sqlite.version_info() >= sqlite.SAFE_SQLITE


def test_startup_warns_when_the_sqlite_is_old(tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="forms_backend")
    monkeypatch.setattr(sqlite, "is_safe", lambda: False)
    create_app(config(tmp_path))
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning and sqlite3.sqlite_version in warning[0].getMessage()
    assert "3.51.3" in warning[0].getMessage() and "pysqlite3" in warning[0].getMessage()


def test_startup_refuses_a_damaged_database(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "guide.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 8192)
    with pytest.raises(DatabaseCorrupt):
        create_app(config(tmp_path))


def test_content_errors_stop_the_app(tmp_path):
    project = tmp_path / "guide"
    shutil.copytree(FIXTURE, project)
    (project / "content" / "services" / "metering.yml").write_text("id: metering\nname: 只有名字\n",
                                                                   encoding="utf-8")
    with pytest.raises(ContentError):
        create_app(config(tmp_path, GUIDE_PROJECT=project))


def test_forms_come_from_the_content_model(app):
    forms = app.extensions["guide"].forms
    assert set(forms) == {"drug-testing", "metering"}
    names = [q.name for q in forms["drug-testing"].questions]
    assert names[:5] == ["org_name", "uscc", "contact_name", "phone", "email"]
    assert "f_spec_sheet" in names and "f_agree_sampling" in names
