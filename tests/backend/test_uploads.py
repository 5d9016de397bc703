"""uploads.py: content sniffing, generated names outside the web root, downloads never inline."""
from __future__ import annotations

import io
import os
import re
import time
import zipfile

import openpyxl
import pytest

from forms_backend import uploads
from forms_backend.jobs import housekeeping

from .conftest import DRUG, Applicant, pdf_file


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "样品清单"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def docx_like_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize("name, content, kind", [
    ("清单.xlsx", xlsx_bytes(), "xlsx"),
    ("说明.docx", docx_like_bytes(), "docx"),
    ("说明.txt", "检验项目：含量测定\n".encode("utf-8"), "txt"),
    ("说明.txt", "检验项目：含量测定\n".encode("gb18030"), "txt"),
])
def test_accepted_kinds_by_content(client, storage, name, content, kind):
    person = Applicant(client, "drug-testing")
    r = person.fill(DRUG, {"f_spec_sheet": pdf_file(), "f_extra_files": (io.BytesIO(content), name)})
    assert r.status_code == 303
    draft = storage.get_draft(_draft_token(client, "drug-testing"))
    assert draft.files["f_extra_files"]["kind"] == kind


def _draft_token(client, service_id):
    """Read the draft token from the signed session cookie, as the app does."""
    app = client.application
    session = app.session_interface.get_signing_serializer(app).loads(client.get_cookie("guide_session").value)
    return session["drafts"][service_id]


@pytest.mark.parametrize("name, content", [
    ("table.xlsx", b"\x7fELF" + b"\x00" * 300),      # an executable, whatever its name
    ("a.docx", b"%PDF-1.4\n%%EOF"),                  # a PDF where Word files are asked for
    ("a.txt", b"\x00\x01\x02binary\x00" * 20),         # binary pretending to be text
])
def test_refused_kinds(client, name, content):
    person = Applicant(client, "drug-testing")
    r = person.fill(DRUG, {"f_spec_sheet": pdf_file(), "f_extra_files": (io.BytesIO(content), name)})
    assert r.status_code == 200
    assert "文件格式不符合要求，请上传 DOCX、XLSX、TXT 格式的文件" in person.page


def test_files_are_stored_outside_the_web_root_under_generated_names(app, client, storage):
    ref = Applicant(client, "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file("../../etc/passwd.pdf")})
    application = storage.get_application(ref)
    (stored,) = storage.uploads_of(application.id)
    assert stored["original_name"] == "passwd.pdf"
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", stored["stored_name"])
    path = app.config["UPLOAD_DIR"] / stored["stored_name"]
    assert path.read_bytes().startswith(b"%PDF")
    assert not str(path).startswith(str(app.config["GUIDE_SITE_DIR"]))
    assert stored["sha256"] and stored["size"] == path.stat().st_size


def test_there_is_no_public_route_to_uploaded_files(app, client, storage):
    ref = Applicant(client, "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file()})
    (stored,) = storage.uploads_of(storage.get_application(ref).id)
    for path in (f"/uploads/{stored['stored_name']}", f"/backend-static/../uploads/{stored['stored_name']}",
                 f"/apply/uploads/{stored['stored_name']}"):
        assert client.get(path).status_code == 404


def test_send_upload_is_an_attachment_never_inline(app, client, storage):
    ref = Applicant(client, "drug-testing").apply(DRUG, {"f_spec_sheet": pdf_file("说明书.pdf")})
    (stored,) = storage.uploads_of(storage.get_application(ref).id)
    with app.test_request_context():
        r = uploads.send_upload(app.config["UPLOAD_DIR"], stored["stored_name"], stored["original_name"],
                                 stored["kind"])
        assert r.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''%E8%AF%B4%E6%98%8E%E4%B9%A6.pdf" in r.headers["Content-Disposition"]
        assert r.mimetype == "application/octet-stream"
        assert "sandbox" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        r.close()


def test_replaced_and_abandoned_files_are_deleted_by_housekeeping(app, client, storage):
    person = Applicant(client, "drug-testing")
    person.fill({**DRUG, "org_name": ""}, {"f_spec_sheet": pdf_file("first.pdf")})
    person.fill({**DRUG, "org_name": ""}, {"f_spec_sheet": pdf_file("second.pdf")})
    folder = app.config["UPLOAD_DIR"]
    assert len(list(folder.iterdir())) == 2
    orphan = folder / ("f" * 32 + ".pdf")
    orphan.write_bytes(b"%PDF-1.4 left by a crash")
    old = time.time() - 2 * 86400
    os.utime(orphan, (old, old))
    housekeeping(app)
    left = {p.name for p in folder.iterdir()}
    assert len(left) == 1 and orphan.name not in left  # only the file the draft still uses
    assert storage.upload_known(next(iter(left)))


@pytest.mark.parametrize("name, safe", [
    ("C:\\Users\\张三\\营业执照.pdf", "营业执照.pdf"),
    ("a\x00b<script>.pdf", "abscript.pdf"),
    ("", "未命名文件"),
    ("..", "未命名文件"),
])
def test_safe_name(name, safe):
    assert uploads.safe_name(name) == safe
