"""The printed handbook (服务手册): real WeasyPrint PDFs, read back with poppler and pypdf.

The shipped guides' handbooks come from the session's real `guide build` (fixtures `shipped`
and `songjiang`), so each is typeset once per test session; the small fixture guide covers
QR codes, the CLI and the failure cases.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from PIL import Image

from site_builder.errors import HandbookError
from site_builder.handbook import build_handbook
from site_builder.handbook.content import build_book, chinese_number
from site_builder.handbook.typeset import FONTS
from site_builder.content import load_valid_project
from site_builder.render import FlowArt, render_service

from .conftest import ROOT

GUIDE = str(ROOT / ".venv" / "bin" / "guide")
SECTIONS = ["服务内容", "服务对象", "受理条件", "申请材料", "办理流程", "办理时限", "收费标准",
            "实施主体与咨询方式", "办理方式", "设定依据", "办理结果", "常见问题", "咨询与投诉", "关联事项"]


def pdf_text(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def flat(text: str) -> str:
    """Text without any whitespace: table cells and headings wrap at arbitrary characters."""
    return re.sub(r"\s+", "", text)


def pages_of(pdf: Path) -> list[str]:
    return pdf_text(pdf, "-layout").split("\f")[:-1]


def outline(pdf: Path) -> list:
    from pypdf import PdfReader

    def walk(items):
        out = []
        for item in items:
            if isinstance(item, list):
                out[-1] = (out[-1][0], walk(item))
            else:
                out.append((item.title, []))
        return out

    return walk(PdfReader(str(pdf)).outline)


@pytest.fixture(params=["shipped", "songjiang"])
def guide_pdf(request):
    project, site, result = request.getfixturevalue(request.param)
    assert result.handbook is not None, "site.yml asks for the handbook"
    return project, site / "handbook.pdf"


def result_date(pdf: Path):
    import datetime as dt

    created = subprocess.run(["pdfinfo", "-isodates", str(pdf)], capture_output=True, text=True).stdout
    return dt.date.fromisoformat(re.search(r"CreationDate:\s+(\d{4}-\d\d-\d\d)", created).group(1))


def with_settings(root: Path, **site_fields) -> Path:
    path = root / "content" / "site.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(site_fields)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


@pytest.mark.slow
def test_every_service_name_and_policy_number_is_in_the_text(guide_pdf):
    project, pdf = guide_pdf
    text = flat(pdf_text(pdf, "-raw"))
    for svc in project.services.values():
        assert flat(svc.name) in text, svc.name
    numbers = [p.number for p in project.policies.values() if p.number]
    assert numbers
    for number in numbers:
        assert flat(number) in text, number


@pytest.mark.slow
def test_outline_has_every_family_and_service_and_matches_the_contents(guide_pdf):
    project, pdf = guide_pdf
    tree = outline(pdf)
    titles = [t for t, _ in tree]
    families = project.families()
    for number, fam in enumerate(families, start=1):
        assert f"第{chinese_number(number)}章　{fam.name}" in titles
    leaves = []

    def collect(items):
        for title, children in items:
            leaves.append(title)
            collect(children)

    collect(tree)
    for svc in project.services.values():
        assert svc.name in leaves, svc.name
    assert titles[0] == "服务概述" and titles[-2].startswith("附录一") and titles[-1].startswith("附录二")
    # The 目录 (pages after the cover) lists the same entries, in the same order.
    pages = pages_of(pdf)
    toc_pages = [p for p in pages[1:6] if "目" in p and "录" in p or re.search(r"\.{5,}", p)]
    toc = flat("".join(toc_pages))
    position = 0
    for title in leaves:
        found = toc.find(flat(title), position)
        assert found >= 0, f"{title} missing from the 目录 or out of order"
        position = found


@pytest.mark.slow
def test_fonts_are_embedded_noto_cjk(guide_pdf):
    _, pdf = guide_pdf
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        assert re.search(r"\syes\s+yes\s+yes\s", row), f"font not embedded as a subset with Unicode map: {row}"
    names = " ".join(rows)
    for family in FONTS:
        assert family.replace(" ", "-") in names


@pytest.mark.slow
def test_a4_page_numbers_running_headers_and_cover(guide_pdf):
    project, pdf = guide_pdf
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    total = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    pages = pages_of(pdf)
    assert len(pages) == total
    cover = flat(pages[0])
    assert flat(project.site.title) in cover and "服务手册" in cover and flat(project.site.publisher) in cover
    assert "第1版" in cover
    # Both shipped guides still have unconfirmed items: the cover says 征求意见稿 with the date.
    assert project.is_draft_edition and flat(project.edition_line(result_date(pdf))) in cover
    assert "页" not in cover  # no page number on the cover
    for n, page in enumerate(pages[1:], start=2):
        assert f"第 {n} 页 / 共 {total} 页" in page
    # The running header names the chapter: the first family's chapter pages carry its name.
    fam = project.families()[0]
    chapter = f"第一章　{fam.name}"
    headed = [p for p in pages if flat(p).startswith(flat(project.site.title)[:8])
              and flat(chapter) in flat(p.lstrip().split("\n")[0])]
    assert len(headed) >= 2


@pytest.mark.slow
def test_no_heading_is_left_alone_at_the_bottom_of_a_page(guide_pdf):
    _, pdf = guide_pdf
    for n, page in enumerate(pages_of(pdf), start=1):
        lines = [ln.strip() for ln in page.splitlines() if ln.strip() and not re.search(r"第 \d+ 页 / 共", ln)]
        if lines:
            assert lines[-1] not in SECTIONS, f"page {n} ends with the heading '{lines[-1]}'"


@pytest.mark.slow
def test_policy_table_repeats_its_header_on_every_page(shipped):
    _, site, _ = shipped
    pages = pages_of(site / "handbook.pdf")
    start = next(i for i, p in enumerate(pages) if "附录一" in p and "政策法规目录" in flat(p) and "......" not in p)
    end = next(i for i, p in enumerate(pages) if i > start and "联系方式与服务监督" in flat(p.split("\n")[0] + p))
    assert end - start >= 2, "the policy list should span several pages in the shipped guide"
    for page in pages[start:end]:
        assert "文号/编号" in flat(page) and "发布机关" in page, "a page of the policy list lacks the table header"


@pytest.mark.slow
def test_page_one_renders_as_an_a4_picture_with_ink(guide_pdf, tmp_path, artifacts):
    project, pdf = guide_pdf
    prefix = tmp_path / "cover"
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True)
    png = next(tmp_path.glob("cover*.png"))
    img = Image.open(png).convert("L")
    w, h = img.size
    assert abs(h / w - 297 / 210) < 0.02
    dark = sum(img.histogram()[:128]) / (w * h)
    assert 0.005 < dark < 0.3, f"page 1 is blank or a black box ({dark:.3%} dark pixels)"
    img.save(artifacts / f"handbook-cover-{project.root.name or 'guide'}.png")


@pytest.mark.slow
def test_diagrams_and_qr_codes_are_vector_and_each_flow_is_drawn_once(shipped):
    project, site, _ = shipped
    pdf = site / "handbook.pdf"
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) == 2, "no raster images: diagrams are vector graphics"
    text = pdf_text(pdf)
    used = {s.flow for s in project.services.values() if s.flow}
    for fid in used:
        assert text.count(f"{project.flows[fid].title}（流程图") == 1, fid
    # Later services name the place that has the drawing (no page numbers in the body: each
    # would make WeasyPrint lay the referring page out again).
    refs = re.findall(r"本事项按“(.+?)”办理，流程图和办理步骤见(服务概述|第[一二三四五六七八九十]+章“(.+?)”)。", flat(text))
    assert len(refs) == sum(1 for s in project.services.values() if s.flow) - len(used - {project.site.basic_flow})
    assert not re.search(r"流程图和办理步骤见第\d", flat(text))
    pages = [flat(p) for p in pages_of(pdf)]
    for title, place, service in set(refs):
        drawn = [i for i, p in enumerate(pages) if f"{title}（流程图" in p]
        assert len(drawn) == 1, title
        if place == "服务概述":
            assert pages[drawn[0]].startswith(flat(project.site.title)) and "服务概述" in pages[drawn[0]][:120]
        else:
            assert any(flat(service) in pages[i] for i in range(max(0, drawn[0] - 3), drawn[0] + 1)), (title, place)
            assert place[:place.index("章") + 1] in pages[drawn[0]][:160], "running header names the chapter"


@pytest.mark.slow
def test_home_page_links_the_handbook_with_its_size_and_date(shipped, serve_dir):
    import urllib.request

    project, site, result = shipped
    home = (site / "index.html").read_text(encoding="utf-8")
    m = re.search(r'<a[^>]*href="handbook\.pdf"[^>]*>下载服务手册（PDF，([\d.]+) (KB|MB)，(\d{4}-\d\d-\d\d)）</a>', home)
    assert m, "home page has no handbook link"
    size = (site / "handbook.pdf").stat().st_size
    shown = float(m.group(1)) * (1e6 if m.group(2) == "MB" else 1e3)
    assert abs(shown - size) / size < 0.06
    assert m.group(3) == result.handbook.date.isoformat()
    with urllib.request.urlopen(serve_dir(site) + "/handbook.pdf") as resp:
        assert resp.headers["Content-Type"] == "application/pdf"
        assert resp.read(5) == b"%PDF-"


def test_qr_codes_link_each_service_page_and_form(mini, tmp_path):
    import zxingcpp

    project = load_valid_project(with_settings(mini, url="https://guide.example.test/hb/",
                                               handbook={"edition": "测试版"}))
    result = build_handbook(project, tmp_path / "hb.pdf")
    assert result.qr_codes
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(result.path), str(tmp_path / "p")], check=True)
    found = set()
    for png in sorted(tmp_path.glob("p-*.png")):
        found |= {r.text for r in zxingcpp.read_barcodes(Image.open(png))}
    expected = {f"https://guide.example.test/hb/services/{s.id}/" for s in project.services.values()}
    expected |= {f"https://guide.example.test/apply/{s.id}" for s in project.services.values() if s.takes_applications}
    assert len(expected) > len(project.services)  # at least one service takes applications
    assert found == expected


def test_without_a_public_address_the_book_says_so_and_has_no_qr(mini, tmp_path):
    project = load_valid_project(mini)
    result = build_handbook(project, tmp_path / "hb.pdf")
    assert not result.qr_codes
    assert "公开网址尚未确定（【待补充】），本版手册未附各服务在线页面和在线申请的二维码" in flat(pdf_text(result.path))


def test_a_broken_diagram_stops_the_book_with_the_flow_named(mini, tmp_path):
    project = load_valid_project(mini)
    out = tmp_path / "hb.pdf"
    with pytest.raises(HandbookError, match=r"flow 'basic': its diagram is not valid SVG"):
        build_handbook(project, out, art=FlowArt(lambda flow: '<svg viewBox="0 0 10 10"><g></svg>'))
    assert not out.exists()


def _add_foreign_image(mini) -> None:
    """An <img> from another host in a service's description (the handbook must refuse it)."""
    svc = mini / "content" / "services" / "drug-testing.yml"
    data = yaml.safe_load(svc.read_text(encoding="utf-8"))
    data["description"] += '\n\n<img src="http://127.0.0.1:9/logo.png" alt="logo">'
    svc.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_resource_from_another_host_is_refused_not_left_blank(mini, tmp_path):
    _add_foreign_image(mini)
    out = tmp_path / "hb.pdf"
    with pytest.raises(HandbookError, match=r"127\.0\.0\.1:9/logo\.png.*loads nothing from other hosts"):
        build_handbook(load_valid_project(mini), out)
    assert not out.exists()


def test_a_missing_font_is_a_clear_error(mini, tmp_path):
    conf = tmp_path / "fonts.conf"
    (tmp_path / "nofonts").mkdir()
    conf.write_text(f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f'<dir>{tmp_path / "nofonts"}</dir><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>')
    out = tmp_path / "hb.pdf"
    proc = subprocess.run([GUIDE, "handbook", "--project", str(mini), "-o", str(out)], capture_output=True,
                          text=True, env={**os.environ, "FONTCONFIG_FILE": str(conf)})
    assert proc.returncode == 1
    assert "font 'Noto Serif CJK SC' is not installed" in proc.stderr and "fonts-noto-cjk" in proc.stderr
    assert not out.exists()


def test_cli_writes_the_handbook_and_refuses_broken_content(mini, tmp_path):
    out = tmp_path / "book.pdf"
    proc = subprocess.run([GUIDE, "handbook", "--project", str(mini), "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:5] == b"%PDF-" and re.search(r"handbook: .*book\.pdf \(\d+ pages, \d+ KB\)", proc.stderr)
    assert "no QR codes" in proc.stderr
    svc = mini / "content" / "services" / "drug-testing.yml"
    svc.write_text(svc.read_text(encoding="utf-8").replace("category: testing", "category: testng"), encoding="utf-8")
    out.unlink()
    proc = subprocess.run([GUIDE, "handbook", "--project", str(mini), "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert re.search(r"drug-testing\.yml:\d+:\d+: error: unknown category 'testng'", proc.stderr)
    assert not out.exists()


def test_book_follows_the_web_page_section_order(mini):
    """Each service chapter is the web page's own content, sections in the same order."""
    project = load_valid_project(mini)
    import datetime as dt

    book = build_book(project, FlowArt(lambda f: f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'),
                      date=dt.date(2026, 11, 1), edition=None)
    art = FlowArt(lambda f: "")
    for svc in project.services.values():
        start = book.html.index(f'id="service-{svc.id}"')
        end = book.html.find("</article>", start)
        chapter = book.html[start:end]
        body = chapter[chapter.index('class="hb-body"'):]
        heads = re.findall(r"<h[34][^>]*>([^<]+)</h[34]>", body)
        web = re.findall(r"^## (.+)$", render_service(project, svc, art), re.M)
        assert heads == web and heads == [h for h in SECTIONS if h in heads], heads
        assert "/apply/" not in chapter and "md-button" not in chapter  # buttons give way to QR codes
        if svc.policies:
            assert "（见附录一）" in chapter  # policy references point into the appendix


def test_a_fully_confirmed_guide_has_no_draft_mark(mini):
    import datetime as dt

    art = FlowArt(lambda f: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
    draft = load_valid_project(mini)
    assert draft.is_draft_edition  # the fixture's one placeholder phone number
    html = build_book(draft, art, date=dt.date(2026, 11, 1), edition=None,
                      edition_mark=draft.edition_line(dt.date(2026, 11, 1))).html
    assert '<div class="hb-mark">征求意见稿（2026-11-01）</div>' in html
    site = mini / "content" / "site.yml"
    site.write_text(site.read_text(encoding="utf-8").replace('phone: "【待补充】"', 'phone: "0000-0000000"'),
                    encoding="utf-8")
    final = load_valid_project(mini)
    assert not final.is_draft_edition
    html = build_book(final, art, date=dt.date(2026, 11, 1), edition=None, edition_mark=final.edition_line()).html
    assert "征求意见稿" not in html


# ---------------------------------------------------------------- typeset in parts (parallel.py)

def link_targets(pdf: Path) -> list[tuple[int, int]]:
    """(page, target page) of every internal link, in page order."""
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    found = []
    for number, page in enumerate(reader.pages):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            dest = annot.get("/Dest")
            if dest is None:
                continue
            if isinstance(dest, str) or not hasattr(dest, "__getitem__"):
                dest = reader.named_destinations[str(dest)].page
                found.append((number, reader.get_page_number(dest)))
            else:
                found.append((number, reader.get_page_number(dest[0].get_object())))
    return found


def outline_pages(pdf: Path) -> list:
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))

    def walk(items):
        return [walk(i) if isinstance(i, list) else (i.title, reader.get_destination_page_number(i), round(float(i.top)))
                for i in items]

    return walk(reader.outline)


@pytest.mark.slow
def test_a_book_typeset_in_parts_is_the_book_typeset_whole(shipped, tmp_path):
    """Three chunks on two processes give the same pages, words, 目录, outline and links as one document."""
    project, site, result = shipped
    whole = site / "handbook.pdf"  # the session's guide build: a book this size is one document
    parts = build_handbook(project, tmp_path / "parts.pdf", today=result.handbook.date, workers=2, chunks=3)
    assert parts.parts == 3 and result.handbook.parts == 1
    assert parts.pages == result.handbook.pages
    assert pages_of(parts.path) == pages_of(whole)  # every line of every page, footers and 目录 numbers too
    assert outline_pages(parts.path) == outline_pages(whole)
    assert link_targets(parts.path) == link_targets(whole)
    # The same picture on every page (glyphs from the shared font subsets, footers, headers).
    for name, pdf in (("whole", whole), ("parts", parts.path)):
        subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf), str(tmp_path / name)], check=True)
    for picture in sorted(tmp_path.glob("whole-*.pgm")):
        other = picture.with_name(picture.name.replace("whole-", "parts-"))
        assert Image.open(picture).tobytes() == Image.open(other).tobytes(), f"{picture.name} differs"
    # Each font embedded once, not once per part.
    fonts = subprocess.run(["pdffonts", str(parts.path)], capture_output=True, text=True, check=True).stdout
    assert parts.bytes < 1.1 * result.handbook.bytes, fonts


def test_parts_are_reused_until_their_service_changes(mini, tmp_path):
    out = tmp_path / "build" / "hb.pdf"
    first = build_handbook(load_valid_project(mini), out, reuse=True, workers=2, chunks=3)
    assert (first.parts, first.reused_parts) == (3, 0)
    again = build_handbook(load_valid_project(mini), out, reuse=True, workers=2, chunks=3)
    assert (again.parts, again.reused_parts) == (3, 3)
    assert pages_of(again.path) == pages_of(first.path)
    svc = mini / "content" / "services" / "quality-training.yml"
    data = yaml.safe_load(svc.read_text(encoding="utf-8"))
    data["name"] = "质量管理培训（新版）"
    svc.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    edited = build_handbook(load_valid_project(mini), out, reuse=True, workers=2, chunks=3)
    assert (edited.parts, edited.reused_parts) == (3, 1)  # its chunk, and the 目录's page in the chunk after
    assert "质量管理培训（新版）" in flat(pdf_text(edited.path))
    assert len(list((tmp_path / "build" / "handbook-parts").glob("*.pickle"))) == 3  # old entries dropped


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:
            found.append(int(stat.parent.name))
    return found


def test_a_failing_part_stops_the_book_with_its_error_and_no_process_left(mini, tmp_path):
    _add_foreign_image(mini)
    out = tmp_path / "hb.pdf"
    before = set(_children())
    with pytest.raises(HandbookError, match=r"127\.0\.0\.1:9/logo\.png.*loads nothing from other hosts"):
        build_handbook(load_valid_project(mini), out, workers=2, chunks=3)
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    assert set(_children()) <= before, "a worker process outlived the failed build"


def _dying_job(kind, arg):
    """A worker's job that ends its process without a word (module level: jobs are pickled by name)."""
    from site_builder.handbook import parallel

    if kind == "chunk":
        os._exit(9)
    return parallel.__dict__["_real_job"](kind, arg)


def test_a_worker_that_dies_is_a_clear_error(mini, tmp_path, monkeypatch):
    from site_builder.handbook import parallel

    monkeypatch.setattr(parallel, "_real_job", parallel._job, raising=False)
    monkeypatch.setattr(parallel, "_job", _dying_job)
    out = tmp_path / "hb.pdf"
    before = set(_children())
    with pytest.raises(HandbookError, match=r"worker process died.*GUIDE_HANDBOOK_WORKERS=1"):
        build_handbook(load_valid_project(mini), out, workers=2, chunks=2)
    assert not out.exists() and not list(tmp_path.glob("*.part"))
    assert set(_children()) <= before


def test_worker_count_setting(monkeypatch):
    from site_builder.handbook.parallel import default_workers

    monkeypatch.setenv("GUIDE_HANDBOOK_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("GUIDE_HANDBOOK_WORKERS", "two")
    with pytest.raises(HandbookError, match="GUIDE_HANDBOOK_WORKERS='two': give a whole number"):
        default_workers()
    monkeypatch.delenv("GUIDE_HANDBOOK_WORKERS")
    assert default_workers() == len(os.sched_getaffinity(0))
