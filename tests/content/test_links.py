"""Links: internal links and URL fields checked with the YAML line; external ones with --links."""
from __future__ import annotations

import http.server
import threading
import time

import pytest
from click.testing import CliRunner

from site_builder.cli import main

from .test_validation import SVC, messages, mutate


def test_valid_internal_links_pass(mini):
    mutate(mini, SVC, "description: 检验检测中心按企业委托开展药品检验。",
           "description: 检验依据见[药品管理法](/policies/drug-law/)，可[在线申请](/apply/drug-testing)，"
           "也可参加[培训](/services/quality-training/#服务对象)。")
    assert messages(mini) == []


@pytest.mark.parametrize("link, expected", [
    ("/services/quality-trainin/", "link '/services/quality-trainin/' points to no page of the guide — "
                                   "did you mean '/services/quality-training/'?"),
    ("../quality-training.md", "link '../quality-training.md' is relative — write links inside the guide as "
                               "site paths starting with '/', e.g. /services/drug-testing/"),
    ("htps//www.cnas.org.cn", "link 'htps//www.cnas.org.cn' is not a web address: it does not start with "
                              "http:// or https:// — write it in full, e.g. https://www.cnas.org.cn"),
    ("/apply/quality-training", "link '/apply/quality-training': service 'quality-training' takes no online "
                                "applications — link to its page /services/quality-training/, or give it "
                                "'application: {enabled: true}'"),
])
def test_broken_link_in_text_is_reported_at_the_yaml_line(mini, link, expected):
    mutate(mini, SVC, "description: 检验检测中心按企业委托开展药品检验。", f"description: 另见[培训]({link})。")
    assert f"{SVC}:7:1: error: {expected}" in messages(mini)


@pytest.mark.parametrize("image, expected", [
    ("missing.png", "image 'missing.png' is not a file of the guide — put the picture in content/files/ and "
                    "write it as a site path, e.g. /files/missing.png"),
    ("https://www.example.com/a.png", "image 'https://www.example.com/a.png' is not a file of the guide — put "
                                      "the picture in content/files/ and write it as a site path, e.g. /files/a.png"),
    ("/files/plan.pgn", "image '/files/plan.pgn' is not a file of the guide — did you mean '/files/plan.png'?"),
])
def test_an_image_must_be_a_file_of_the_guide(mini, image, expected):
    """A picture the site cannot show was an empty box on the web page and stopped the handbook
    with no YAML line; now `guide check` names the line."""
    (mini / "content" / "files").mkdir(exist_ok=True)
    (mini / "content" / "files" / "plan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    mutate(mini, SVC, "description: 检验检测中心按企业委托开展药品检验。", f"description: 平面图：![平面图]({image})")
    assert f"{SVC}:7:1: error: {expected}" in messages(mini)


def test_an_image_in_the_guides_files_passes(mini):
    (mini / "content" / "files").mkdir(exist_ok=True)
    (mini / "content" / "files" / "plan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    mutate(mini, SVC, "description: 检验检测中心按企业委托开展药品检验。", "description: 平面图：![平面图](/files/plan.png)")
    assert messages(mini) == []


def test_url_field_must_be_a_web_address(mini):
    mutate(mini, "content/providers.yml", "    kind: 检验检测机构", "    kind: 检验检测机构\n    url: htps//www.cnas.org.cn")
    assert messages(mini) == [
        "content/providers.yml:15:5: error: url 'htps//www.cnas.org.cn' is not a web address: it does not start "
        "with http:// or https:// — write it in full, e.g. https://www.cnas.org.cn"]


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self, body: bool):
        if self.path == "/slow":
            time.sleep(3)
        if self.path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
        elif self.path in ("/ok", "/no-head", "/slow"):
            self.send_response(200)
        else:
            self.send_response(404)
        self.end_headers()
        if body:
            self.wfile.write(b"hello")

    def do_HEAD(self):
        self._answer(False)

    def do_GET(self):
        self._answer(True)

    def log_message(self, *args):
        pass


@pytest.fixture
def link_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_check_links_fetches_external_addresses(mini, link_server):
    mutate(mini, "content/providers.yml", "    kind: 检验检测机构", f"    kind: 检验检测机构\n    url: {link_server}/ok")
    mutate(mini, "content/policies/drug-law.yml", "url: https://flk.npc.gov.cn/", f"url: {link_server}/ok")
    mutate(mini, SVC, "description: 检验检测中心按企业委托开展药品检验。",
           f"description: 见[说明]({link_server}/gone)、[平台]({link_server}/no-head)和<{link_server}/slow>。")
    runner = CliRunner()
    started = time.monotonic()
    result = runner.invoke(main, ["check", "--project", str(mini), "--links", "--links-timeout", "1"])
    took = time.monotonic() - started
    out = result.output
    assert took < 6, "addresses are fetched in parallel with a timeout"
    assert result.exit_code == 0  # broken external links are warnings
    assert f"BROKEN HTTP 404" in out and f"{link_server}/gone" in out
    assert f"BROKEN no answer within 1 s" in out
    assert "checked 4 external address(es): 2 ok, 2 broken" in out
    assert (f"{SVC}:7:1: warning: link {link_server}/gone is broken: answered HTTP 404 — "
            "correct the address or remove the link") in out
    assert f"link {link_server}/no-head is broken" not in out  # HEAD refused, GET answered
    assert f"link {link_server}/ok is broken" not in out
    strict = runner.invoke(main, ["check", "--project", str(mini), "--links", "--links-timeout", "1",
                                  "--strict", "--allow-placeholders"])
    assert strict.exit_code == 1
    assert "2 broken link(s)" in strict.output.split("--strict: ")[1]


def test_site_engine_warnings_name_the_yaml_file(mini):
    from site_builder.build import engine_diagnostics
    from site_builder.content import load_project

    mutate(mini, SVC, "description: 检验检测中心按企业委托开展药品检验。", "description: 另见[培训](old-page.md)。")
    project = load_project(mini)
    message = ("Doc file 'services/drug-testing.md' contains a link 'old-page.md', but the target "
               "'services/old-page.md' is not found among documentation files.")
    [d] = engine_diagnostics(project, [message])
    assert d.format().replace(str(mini) + "/", "") == (
        f"{SVC}:7:1: warning: site engine: {message} — fix the link or text in this file")
