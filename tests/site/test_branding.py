"""Contacts on every page and the guide's logo and colours on the backend's pages too."""
from __future__ import annotations

import pytest

from forms_backend import create_app
from site_builder.build import build_site
from site_builder.engine import ENGINES

from ..backend.conftest import config
from ..content.test_validation import messages, mutate

pytestmark = pytest.mark.slow

LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10" '
        'fill="#00796b"/></svg>')
CONTACT = ("contacts:\n  - name: 测试市场监督管理局\n    phone: \"【待补充】\"\n"
           "  - name: 测试服务大厅\n    phone: \"0000-12345678\"\n    address: 测试市测试路8号\n"
           "    hours: 工作日 9:00-17:00\nfooter_contacts: [测试服务大厅]\n")


@pytest.fixture(params=ENGINES)
def branded(mini, tmp_path, request):
    """The mini guide with footer contacts, logo and palette, built with each engine."""
    mutate(mini, "content/site.yml", "contacts:\n  - name: 测试市场监督管理局\n    phone: \"【待补充】\"\n", CONTACT)
    (mini / "content" / "files").mkdir(exist_ok=True)
    (mini / "content" / "files" / "logo.svg").write_text(LOGO, encoding="utf-8")
    (mini / "mkdocs.yml").write_text("theme:\n  palette: {primary: teal, accent: teal}\n  logo: files/logo.svg\n"
                                     "  favicon: files/logo.svg\n", encoding="utf-8")
    site = tmp_path / "site"
    build_site(mini, site_dir=site, engine_name=request.param)
    return mini, site


def test_footer_contacts_are_on_every_page(branded):
    _, site = branded
    pages = list(site.rglob("index.html"))
    assert len(pages) > 8
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert '<strong>测试服务大厅</strong>' in html, page
        assert "电话：0000-12345678" in html and "地址：测试市测试路8号" in html and "办公时间：工作日 9:00-17:00" in html


def test_unknown_footer_contact_is_an_error(mini):
    mutate(mini, "content/site.yml", "supervision:", "footer_contacts: [测试市场监督局]\nsupervision:")
    assert messages(mini) == ["content/site.yml:26:19: error: footer contact '测试市场监督局' is not one of "
                              "'contacts' — did you mean '测试市场监督管理局'?"]


@pytest.fixture
def backend(branded, tmp_path):
    mini, site = branded
    app = create_app(config(tmp_path, GUIDE_PROJECT=mini, GUIDE_SITE_DIR=site, GUIDE_SERVE_SITE=True))
    yield app
    app.extensions["guide"].storage.close()


@pytest.mark.parametrize("path", ["/apply/drug-testing", "/track", "/staff/login", "/feedback/suggest"])
def test_backend_pages_carry_the_guide_logo_colours_and_contacts(backend, path):
    html = backend.test_client().get(path).get_data(as_text=True)
    assert '<img src="/files/logo.svg" alt="">' in html
    assert '<link rel="icon" href="/files/logo.svg">' in html
    assert 'data-md-color-primary="teal"' in html
    assert "电话：0000-12345678" in html and "办公时间：工作日 9:00-17:00" in html
    assert "【待补充】" not in html


@pytest.mark.browser
def test_backend_links_follow_the_guide_colour(backend, page, artifacts):
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, backend, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        link_colour = "e => getComputedStyle(e).getPropertyValue('--md-typeset-a-color').trim()"
        page.goto(base + "/services/drug-testing/")
        guide_colour = page.eval_on_selector("article.md-typeset", link_colour)
        page.goto(base + "/track")
        colour = page.eval_on_selector("article.md-typeset", link_colour)
        assert colour == guide_colour
        assert colour and colour.lower() != "#3949ab"  # the indigo once fixed in the CSS
        page.screenshot(path=str(artifacts / "backend-branding.png"), full_page=True)
        assert page.eval_on_selector("body", "e => e.dataset.mdColorPrimary") == "teal"
    finally:
        server.shutdown()
