"""views/static_site.py: the guide's theme on our pages, and serving site/ in the embedded mode."""
from __future__ import annotations

import pytest

from forms_backend import create_app
from forms_backend.views.static_site import find_theme

from ..conftest import config

INDEX = """<!doctype html><html lang="zh"><head>
<link rel="stylesheet" href="assets/stylesheets/main.57a0d79d.min.css">
<link rel="stylesheet" href="assets/stylesheets/palette.fb2fffe2.min.css">
<link rel="stylesheet" href="assets/stylesheets/guide.css">
<link rel="stylesheet" href="https://fonts.example.com/css">
<script>inline()</script></head>
<body dir="ltr" data-md-color-scheme="default" data-md-color-primary="teal" data-md-color-accent="amber">
<h1>首页</h1></body></html>"""


def make_site(root):
    css = root / "assets" / "stylesheets"
    css.mkdir(parents=True)
    for name in ("main.57a0d79d.min.css", "palette.fb2fffe2.min.css", "guide.css"):
        (css / name).write_text("body{}")
    (root / "index.html").write_text(INDEX, encoding="utf-8")
    (root / "404.html").write_text("<h1>本站找不到该页面</h1>", encoding="utf-8")
    page = root / "services" / "metering"
    page.mkdir(parents=True)
    (page / "index.html").write_text("<h1>计量器具检定</h1>", encoding="utf-8")
    return root


@pytest.fixture
def embedded(tmp_path):
    make_site(tmp_path / "site")
    return create_app(config(tmp_path, GUIDE_SERVE_SITE=True))


def test_theme_is_read_from_the_built_home_page(tmp_path):
    theme = find_theme(make_site(tmp_path / "site"))
    assert theme.stylesheets == ["/assets/stylesheets/main.57a0d79d.min.css",
                                 "/assets/stylesheets/palette.fb2fffe2.min.css", "/assets/stylesheets/guide.css"]
    assert theme.body == {"data-md-color-scheme": "default", "data-md-color-primary": "teal",
                          "data-md-color-accent": "amber"}


@pytest.mark.parametrize("folder", ["", "classic/"])  # Material's place, Zensical's
def test_theme_without_a_home_page_is_found_by_name(tmp_path, folder):
    site = make_site(tmp_path / "site")
    (site / "index.html").unlink()
    css = site / "assets" / "stylesheets"
    if folder:
        (css / "modern").mkdir()
        (css / "modern" / "main.11111111.min.css").write_text("body{}")  # Zensical's other variant
        (css / "classic").mkdir()
        for name in ("main.57a0d79d.min.css", "palette.fb2fffe2.min.css"):
            (css / name).rename(css / "classic" / name)
    assert find_theme(site).stylesheets == [f"/assets/stylesheets/{folder}main.57a0d79d.min.css",
                                            f"/assets/stylesheets/{folder}palette.fb2fffe2.min.css"]


def test_theme_without_a_built_site_is_empty(tmp_path):
    assert find_theme(tmp_path / "nothing").stylesheets == []


def test_backend_pages_link_the_guide_css_and_colours(embedded):
    page = embedded.test_client().get("/apply/metering").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/assets/stylesheets/main.57a0d79d.min.css">' in page
    assert '<link rel="stylesheet" href="/assets/stylesheets/guide.css">' in page
    assert "fonts.example.com" not in page
    assert 'data-md-color-primary="teal"' in page
    assert 'class="md-header' in page and 'class="md-content__inner md-typeset"' in page
    assert '<a href="/services/metering/">返回“计量器具检定”办事指南</a>' in page


def test_rebuilt_site_is_noticed_without_a_restart(embedded, tmp_path):
    css = tmp_path / "site" / "assets" / "stylesheets"
    (css / "main.57a0d79d.min.css").rename(css / "main.11111111.min.css")
    index = tmp_path / "site" / "index.html"
    index.write_text(INDEX.replace("57a0d79d", "11111111"), encoding="utf-8")
    page = embedded.test_client().get("/apply/metering").get_data(as_text=True)
    assert "main.11111111.min.css" in page


def test_embedded_mode_serves_the_site(embedded):
    client = embedded.test_client()
    home = client.get("/")
    assert home.status_code == 200 and "首页" in home.get_data(as_text=True)
    assert client.get("/services/metering/").status_code == 200
    r = client.get("/services/metering")
    assert r.status_code == 301 and r.headers["Location"].endswith("/services/metering/")
    css = client.get("/assets/stylesheets/main.57a0d79d.min.css")
    assert css.status_code == 200 and css.mimetype == "text/css" and css.cache_control.max_age == 31536000


def test_embedded_mode_uses_the_sites_404_page(embedded):
    r = embedded.test_client().get("/no/such/page/")
    assert r.status_code == 404 and "本站找不到该页面" in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/../secret_key", "/%2e%2e/secret_key", "/..%2fdata/secret_key",
                                  "/assets/../../data/secret_key"])
def test_paths_cannot_leave_the_site(embedded, path):
    r = embedded.test_client().get(path)
    assert r.status_code in (404, 308) and b"secret" not in r.data.lower().replace(b"secret_key", b"")


def test_static_pages_keep_their_inline_scripts_but_cannot_be_framed(embedded):
    r = embedded.test_client().get("/")
    assert r.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_blueprints_win_over_the_site(embedded):
    client = embedded.test_client()
    assert "查询办理进度" in client.get("/track").get_data(as_text=True)
    assert "在线申请" in client.get("/apply/").get_data(as_text=True)


def test_without_embedded_mode_the_site_is_left_to_the_web_server(tmp_path):
    make_site(tmp_path / "site")
    app = create_app(config(tmp_path))
    assert app.test_client().get("/").status_code == 404
