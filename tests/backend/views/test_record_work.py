"""Issue 19, the rest: kinds of service records added in site.yml (``record_kinds``), files of a
record (attachments, training materials) stored and sent like uploads to staff only, and editing a
saved record with its history of changes — real Flask app, real SQLite file, real files on disk."""
from __future__ import annotations

import csv
import io
import re

from ..conftest import PDF, VALID_USCC, Staff, errors_in
from .test_records_import import upload
from .test_service_records import record

PNG_AS_PDF = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def record_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def files_on_disk(app) -> list[str]:
    folder = app.config["RECORD_FILE_DIR"]
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# ---------------------------------------------------------------- kinds from site.yml

def test_a_kind_from_site_yml_is_offered_stored_as_its_group_and_counted_there(staff, storage):
    form = staff.get("/staff/records/new").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', form.split('id="field-kind"', 1)[1]
                         .split("</select>", 1)[0])
    assert options[-3:] == [("forum", "企业座谈会"), ("publicity-week", "专题宣传活动"), ("other", "其他")]
    rid = record_id(record(staff, kind="forum", summary="园区医疗器械企业座谈"))
    rec = storage.get_record(rid)
    assert (rec["kind"], rec["kind_key"], rec["kind_label"]) == ("visit", "forum", "企业座谈会")
    assert "企业座谈会" in staff.get(f"/staff/records/{rid}").get_data(as_text=True)
    record(staff, summary="普通走访")
    # the group lists both, the added kind only itself
    group = staff.get("/staff/records?kind=visit").get_data(as_text=True)
    assert "园区医疗器械企业座谈" in group and "普通走访" in group
    alone = staff.get("/staff/records?kind=forum").get_data(as_text=True)
    assert "园区医疗器械企业座谈" in alone and "普通走访" not in alone


def test_a_session_kind_from_site_yml_needs_what_a_session_needs(staff, storage):
    r = record(staff, kind="publicity-week", uscc="", org_name="")
    assert r.status_code == 400
    assert dict(errors_in(staff.page)) == {"topic": "专题宣传活动需要填写主题", "headcount": "专题宣传活动需要填写参加人数"}
    r = record(staff, kind="publicity-week", uscc="", org_name="", topic="医疗器械安全宣传周", headcount="120")
    assert storage.get_record(record_id(r))["kind"] == "training"


def test_the_evaluation_counts_an_added_kind_under_its_heading_and_names_it(staff, admin):
    record(staff, kind="forum", date="2026-05-06", summary="座谈")
    record(staff, kind="visit", date="2026-05-07", summary="走访")
    record(staff, kind="publicity-week", date="2026-05-08", uscc="", org_name="", topic="宣传周", headcount="30")
    rows = list(csv.reader(io.StringIO(admin.get("/staff/report/2026/evaluation.csv").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    values = {(r[1], r[2]): r[3] for r in rows[1:]}
    assert values[("走访调研", "走访调研（次）")] == "2"
    assert values[("走访调研", "其中企业座谈会（次）")] == "1"
    assert values[("法规宣贯", "宣贯/培训场次")] == "1" and values[("法规宣贯", "参加人次")] == "30"
    assert values[("法规宣贯", "其中专题宣传活动（次）")] == "1"
    page = admin.get("/staff/report/2026").get_data(as_text=True)
    assert "其中按本站增加的服务类型：企业座谈会 1 次" in page


def test_the_import_and_the_export_name_an_added_kind(staff, storage):
    rows = [["服务类型", "服务日期", "统一社会信用代码", "企业名称", "服务人员", "服务内容摘要"],
            ["企业座谈会", "2026-03-05", VALID_USCC, "连云港测试医药有限公司", "li", "座谈"]]
    text = "\n".join(",".join(r) for r in rows)
    assert upload(staff, text.encode("utf-8"), "records.csv").status_code == 303
    rec = storage.list_records()[0][0]
    assert (rec["kind"], rec["kind_key"]) == ("visit", "forum")
    exported = staff.get("/staff/exports/records.csv").get_data(as_text=True)
    assert "企业座谈会" in exported
    # the export imports again as the same kind
    assert upload(staff, exported.encode("utf-8"), "again.csv").status_code == 303
    assert [r["kind_key"] for r in storage.list_records()[0]] == ["forum", "forum"]


def test_a_record_of_a_kind_site_yml_no_longer_has_keeps_its_name(storage):
    rid = storage.add_record({"kind": "visit", "kind_key": "gone", "kind_label": "已取消的类型", "date": "2026-03-01",
                              "uscc": VALID_USCC, "org_name": "甲", "staff": "li", "summary": "x"}, actor="staff:li")
    from forms_backend.vocabulary import record_kind_label
    assert record_kind_label(storage.get_record(rid)) == "已取消的类型"


# ---------------------------------------------------------------- files of a record

def test_files_come_with_a_new_record_and_only_staff_download_them(app, staff, storage):
    r = record(staff, kind="training", uscc="", org_name="", topic="注册人制度宣贯", headcount="40",
               materials=[(io.BytesIO(PDF), "课件.pdf"), (io.BytesIO(PDF + b"%2"), "签到表.pdf")],
               attachments=[(io.BytesIO(PDF), "../../会议纪要.pdf")])
    rid = record_id(r)
    files = storage.record_files(rid)
    assert [(f["role"], f["original_name"]) for f in files] == [
        ("attachment", "会议纪要.pdf"), ("material", "课件.pdf"), ("material", "签到表.pdf")]
    assert files_on_disk(app) == sorted(f["stored_name"] for f in files)
    assert all(re.fullmatch(r"[0-9a-f]{32}\.pdf", f["stored_name"]) for f in files)
    page = staff.get(f"/staff/records/{rid}").get_data(as_text=True)
    assert "课件.pdf" in page and "培训材料" in page
    link = f"/staff/records/{rid}/files/{files[1]['token']}"
    got = staff.get(link)
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert "no-store" in got.headers["Cache-Control"]
    anonymous = app.test_client().get(link)
    assert anonymous.status_code == 303 and "/staff/login" in anonymous.headers["Location"]
    other = record_id(record(staff, summary="另一条"))
    assert staff.get(f"/staff/records/{other}/files/{files[0]['token']}").status_code == 404
    assert staff.get(f"/staff/records/{rid}/files/nope").status_code == 404


def test_a_refused_file_keeps_the_typed_record_and_stores_nothing(app, staff, storage):
    r = record(staff, summary="走访时拍的照片", attachments=[(io.BytesIO(PDF), "纪要.pdf"),
                                                        (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 60), "照片.pdf")])
    assert r.status_code == 400
    assert dict(errors_in(staff.page)) == {
        "files-attachments": "照片.pdf：文件格式不符合要求，请上传 " + staff.page.split("照片.pdf：文件格式不符合要求，请上传 ", 1)[1]
        .split("<", 1)[0]}
    assert "走访时拍的照片" in staff.page and 'id="field-files-attachments"' in staff.page
    assert storage.list_records()[1] == 0 and files_on_disk(app) == []
    empty = record(staff, attachments=[(io.BytesIO(b""), "空.pdf")])
    assert empty.status_code == 400 and "所选文件是空的" in staff.page
    assert storage.list_records()[1] == 0 and files_on_disk(app) == []


def test_files_added_later_are_in_the_history_and_counted_in_the_lists_and_the_archive(app, staff, storage):
    rid = record_id(record(staff, summary="走访"))
    staff.get(f"/staff/records/{rid}")
    r = staff.post(f"/staff/records/{rid}/files", {"attachments": [(io.BytesIO(PDF), "整改清单.pdf")]})
    assert r.status_code == 303
    page = staff.get(f"/staff/records/{rid}").get_data(as_text=True)
    assert "整改清单.pdf" in page and "上传附件：整改清单.pdf" in page
    assert storage.record_file_counts([rid]) == {rid: 1}
    listing = staff.get("/staff/records").get_data(as_text=True)
    assert f'href="/staff/records/{rid}#files">1</a>' in listing
    archive = staff.get(f"/staff/archive/enterprise/{VALID_USCC}").get_data(as_text=True)
    assert f'href="/staff/records/{rid}#files">1 个文件</a>' in archive
    # nothing chosen: an error, nothing stored; without the CSRF token: refused
    assert staff.post(f"/staff/records/{rid}/files", {}).status_code == 400 and "请选择要上传的文件" in staff.page
    bare = staff.client.post(f"/staff/records/{rid}/files", data={"attachments": (io.BytesIO(PDF), "x.pdf")})
    assert bare.status_code == 400 and storage.record_file_counts([rid]) == {rid: 1}
    assert len(files_on_disk(app)) == 1


# ---------------------------------------------------------------- editing a saved record

def _edit_page(staff, rid: int) -> str:
    page = staff.get(f"/staff/records/{rid}/edit").get_data(as_text=True)
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def _form_values(staff) -> dict:
    """What the edit form carries, as a browser sends it back."""
    page = staff.page
    values = dict(re.findall(r'<input class="form-input[^"]*" type="text" id="field-[^"]+" name="([^"]+)" value="([^"]*)"',
                             page))
    for name in ("summary", "outcome", "attendees"):
        m = re.search(rf'name="{name}"[^>]*>([^<]*)</textarea>', page)
        values[name] = m.group(1) if m else ""
    for name in ("kind", "channel"):
        block = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        m = re.search(r'<option value="([^"]*)" selected>', block)
        values[name] = m.group(1) if m else ""
    import html
    return {k: html.unescape(v) for k, v in values.items()}


def test_a_saved_record_is_edited_with_its_history_kept(app, staff, storage, admin):
    rid = record_id(record(staff, summary="走访企业", product_name="血糖仪", next_step="电话回访",
                           next_date="2026-11-16"))
    storage.finish_next_step(rid)
    views_before = len(storage.archive_views())
    version = _edit_page(staff, rid)
    assert version == "0" and "修改服务记录第" in staff.page and "走访企业" in staff.page
    data = {**_form_values(staff), "version": version, "kind": "forum", "summary": "走访企业并座谈",
            "product_name": "血压计", "next_date": "2026-11-20"}
    r = staff.post(f"/staff/records/{rid}/edit", data)
    assert r.status_code == 303
    rec = storage.get_record(rid)
    assert (rec["kind_key"], rec["summary"], rec["product_name"], rec["next_date"]) == \
        ("forum", "走访企业并座谈", "血压计", "2026-11-20")
    assert rec["actor"] == "staff:li" and rec["updated_at"]
    assert rec["next_done_at"] is None   # a new date is a new promise: back in the follow-up list
    [change] = storage.record_changes(rid)
    assert change["actor"] == "staff:li"
    assert [c[0] for c in change["changes"]] == ["kind", "summary", "next_date", "product_name"]
    page = admin.get(f"/staff/records/{rid}").get_data(as_text=True)
    history = page.split('id="history"', 1)[1]
    for line in ("服务类型：走访调研 → 企业座谈会", "服务内容摘要：走访企业 → 走访企业并座谈",
                 "下次跟进日期：2026-11-16 → 2026-11-20", "产品名称：血糖仪 → 血压计"):
        assert line in history
    # the archive's view log stays: editing adds no view and removes none
    assert len(storage.archive_views()) == views_before
    admin.get(f"/staff/archive/enterprise/{VALID_USCC}")
    assert len(storage.archive_views()) == views_before + 1
    # saving without a change adds no history
    _edit_page(staff, rid)
    assert staff.post(f"/staff/records/{rid}/edit", {**_form_values(staff), "version": "1"}).status_code == 303
    assert len(storage.record_changes(rid)) == 1


def test_a_bad_edit_comes_back_with_errors_and_changes_nothing(staff, storage):
    rid = record_id(record(staff, summary="走访企业"))
    version = _edit_page(staff, rid)
    data = {**_form_values(staff), "version": version, "summary": "", "date": "2026-13-01",
            "outcome": "<img src=x onerror=alert(1)>"}
    r = staff.post(f"/staff/records/{rid}/edit", data)
    assert r.status_code == 400
    errors = dict(errors_in(staff.page))
    assert set(errors) == {"summary", "date"}
    assert "&lt;img src=x onerror=alert(1)&gt;" in staff.page and "<img src=x" not in staff.page
    assert storage.get_record(rid)["summary"] == "走访企业" and storage.record_changes(rid) == []


def test_an_edit_over_someone_elses_is_refused(app, staff, storage, admin):
    rid = record_id(record(staff, summary="走访企业"))
    version = _edit_page(staff, rid)
    mine = {**_form_values(staff), "version": version, "summary": "李的修改"}
    _edit_page(admin, rid)
    assert admin.post(f"/staff/records/{rid}/edit", {**_form_values(admin), "version": version,
                                                     "summary": "老板的修改"}).status_code == 303
    r = staff.post(f"/staff/records/{rid}/edit", mine)
    assert r.status_code == 409 and "刚被其他人修改" in staff.page
    assert storage.get_record(rid)["summary"] == "老板的修改"


def test_editing_needs_a_login_and_the_csrf_token(app, staff, storage):
    rid = record_id(record(staff, summary="走访企业"))
    anonymous = app.test_client()
    for path in (f"/staff/records/{rid}/edit",):
        r = anonymous.get(path)
        assert r.status_code == 303 and "/staff/login" in r.headers["Location"]
    r = anonymous.post(f"/staff/records/{rid}/edit", data={"summary": "x"})
    assert r.status_code in (303, 400) and storage.get_record(rid)["summary"] == "走访企业"
    r = staff.client.post(f"/staff/records/{rid}/edit", data={"kind": "visit", "summary": "无令牌"})
    assert r.status_code == 400 and storage.get_record(rid)["summary"] == "走访企业"
    assert staff.get("/staff/records/99999/edit").status_code == 404
    other = Staff(app.test_client())
    assert other.get(f"/staff/records/{rid}").status_code == 303
