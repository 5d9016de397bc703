"""A guide's own mkdocs.yml is merged over the defaults; what breaks the guarantees is refused."""
from __future__ import annotations

import json

import pytest

from site_builder.build import build_site
from site_builder.content import ContentError
from site_builder.content.siteconfig import load

from ..content.test_validation import messages

pytestmark = pytest.mark.slow


def test_a_partial_mkdocs_yml_keeps_every_guarantee(mini, tmp_path):
    (mini / "mkdocs.yml").write_text("theme:\n  palette:\n    primary: teal\n  features: [navigation.instant]\n"
                                     "markdown_extensions:\n  - toc:\n      permalink: false\n", encoding="utf-8")
    cfg, problems = load(mini)
    assert problems == []
    assert [s["primary"] for s in cfg["theme"]["palette"]] == ["teal", "teal"]  # both schemes, toggles kept
    assert all("toggle" in s for s in cfg["theme"]["palette"])
    assert "navigation.tabs" in cfg["theme"]["features"] and "navigation.instant" in cfg["theme"]["features"]
    site = tmp_path / "site"
    build_site(mini, site_dir=site)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in home
    assert 'data-md-color-primary="teal"' in home
    assert "fonts.googleapis" not in home and "fonts.gstatic" not in home
    assert "{ #how-to-apply }" not in home and 'id="how-to-apply"' in home  # attr_list still on
    assert 'class="headerlink"' not in home  # the guide's own toc setting was applied
    index = json.loads((site / "search" / "index.json").read_text(encoding="utf-8"))  # the guide's own search
    assert any("\u4e00" <= ch <= "\u9fff" for p in index["pages"] for ch in p["t"]) and index["stop"]


@pytest.mark.parametrize("text, expected", [
    ("theme:\n  font:\n    text: Roboto\n",
     "mkdocs.yml:2:3: error: theme.font would load web fonts from Google's servers — remove 'font' "
     "(the guide must not call other hosts; system fonts are used)"),
    ("theme:\n  language: en\n",
     "mkdocs.yml:2:3: error: theme.language 'en' is not Chinese — remove 'language' (the guide is in Chinese: zh)"),
    ("plugins:\n  - search:\n      lang: en\n",
     "mkdocs.yml:3:7: error: search language 'en' is not Chinese — remove 'lang': Chinese search needs lang: zh"),
    ("extra_javascript:\n  - https://cdn.example.com/x.js\n",
     "mkdocs.yml:2:5: error: extra_javascript entry 'https://cdn.example.com/x.js' loads from another host — "
     "copy the file into the guide and list its path instead"),
    ("nav:\n  - index.md\n",
     "mkdocs.yml:1:1: error: 'nav' cannot be set in a guide's mkdocs.yml: the navigation is made from the "
     "content — remove 'nav'"),
])
def test_what_breaks_the_guarantees_is_refused(mini, tmp_path, text, expected):
    (mini / "mkdocs.yml").write_text(text, encoding="utf-8")
    assert messages(mini) == [expected]
    with pytest.raises(ContentError):
        build_site(mini, site_dir=tmp_path / "site")
    assert not (tmp_path / "site").exists()
