"""The guide's search, the same on every engine: index built here, ranked in the browser.

The engine's own search is not used for ranking: both engines index pages differently and
neither knows our aliases, question words or editors' best bets. After the engine built the
site we read its sections back (``engine.take_sections``) and write ``search/index.json``:

- ``pages``: url, title, kind, other names (``n``: a policy's 简称, ranked like its title)
  and aliases (``a``: the words readers use for a service, a platform's other names);
- ``docs``: one entry per heading (page, anchor, heading, plain text);
- ``vocab``: the words the query segmenter knows (titles, aliases and headings cut by jieba,
  plus every alias whole), so "电梯检验" is read as 电梯 + 检验 and "质慧e站" stays whole;
- ``stop``: question words that are not content (怎么, 如何, 要带, 什么 …);
- ``intents``: everyday words that point at a section (多少钱 → 收费标准);
- ``bets``: editors' best bets from ``content/search.yml`` (query → pages shown first).

``assets/javascripts/search.js`` ranks with them: a whole-title or whole-alias match first,
then title and alias matches, then headings, then body text; every word must match.
"""
from __future__ import annotations

import html
import json
import logging
import re
from pathlib import Path

from .engine import Section

HAN = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z0-9]")
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")
INDEX_PATH = Path("search") / "index.json"

# Words in a question that say nothing about what is asked for. Longest first when removed.
QUESTION_WORDS = ["请问", "怎么办理", "怎么办", "怎么样", "怎么", "怎样", "如何", "多少钱", "要多少",
                  "多少", "要带", "需要", "什么", "哪些", "哪里", "哪儿", "在哪", "能不能", "可不可以",
                  "可以", "是否", "有没有", "我想", "我要", "我们", "一下", "吗", "呢", "啊"]

# Everyday words that point at a section every service page has.
INTENTS = [
    {"words": ["多少钱", "收多少", "费用", "收费", "价格", "价钱", "要钱", "免费", "交钱"], "heading": "收费标准"},
    {"words": ["带什么", "要带", "带哪些", "材料", "资料", "证件"], "heading": "申请材料"},
    {"words": ["多久", "多长时间", "几天", "时限", "多快"], "heading": "办理时限"},
    {"words": ["在哪办", "去哪", "在哪里", "地址", "电话", "联系"], "heading": "实施主体与咨询方式"},
    {"words": ["流程", "步骤", "程序"], "heading": "办理流程"},
    {"words": ["条件", "能不能办", "谁能"], "heading": "受理条件"},
]


def plain(fragment: str) -> str:
    """Text of an engine's HTML fragment: tags dropped, entities decoded, spaces collapsed."""
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", fragment))).strip()


def _clean(names) -> list[str]:
    return [n.strip() for n in names if n and n.strip()]


def page_names(project) -> dict[str, list[str]]:
    """A page's other names, by url: a policy's 简称 (药品管理法 is that law's name)."""
    return {f"policies/{pol.id}/": _clean(pol.aliases) for pol in project.policies.values()}


def page_aliases(project) -> dict[str, list[str]]:
    """Words readers use for a page, by url: service aliases, platform names (on the home page)."""
    aliases = {f"services/{svc.id}/": _clean(svc.aliases) for svc in project.services.values()}
    if project.site:
        aliases[""] = _clean(n for p in project.site.platforms for n in (p.name, *p.aliases))
    return aliases


def vocabulary(project) -> list[str]:
    """Aliases and names worth keeping whole: short terms without spaces (also jieba's user dict)."""
    words = {n for source in (page_names(project), page_aliases(project)) for ns in source.values() for n in ns}
    for provider in project.providers.values():
        if len(provider.name) <= 8:
            words.add(provider.name)
    return sorted(w for w in words if not SPACE.search(w) and len(w) <= 12)


def _segmenter(project):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    cutter = jieba.Tokenizer()
    for word in vocabulary(project):
        if HAN.search(word):
            cutter.add_word(word, freq=2000)
    return cutter


def query_vocabulary(project, pages: list[dict], docs: list[dict]) -> list[str]:
    """Words the browser's query segmenter may take whole: names as they are, and the words
    jieba finds in titles, names and headings (2+ characters, Han or mixed)."""
    cutter = _segmenter(project)
    given = {n for p in pages for n in p["a"] + p["n"]}
    phrases = {p["t"] for p in pages} | {d["h"] for d in docs} | given
    words = {n for n in given if not SPACE.search(n)}
    for phrase in phrases:
        for word in cutter.cut(phrase, HMM=False):
            word = word.strip()
            if len(word) >= 2 and HAN.search(word):
                words.add(word)
    return sorted(w.lower() for w in words)


def _kind(url: str) -> str:
    head = url.split("/", 1)[0]
    return {"services": "service", "policies": "policy", "flows": "flow", "families": "family",
            "about": "about"}.get(head, "home" if url == "" else "page")


def build_index(sections: list[Section], project, best_bets: dict[str, list[str]]) -> dict:
    names, aliases = page_names(project), page_aliases(project)
    pages: list[dict] = []
    by_url: dict[str, int] = {}
    docs: list[dict] = []
    for sec in sections:
        url, _, anchor = sec.location.partition("#")
        if url not in by_url:
            by_url[url] = len(pages)
            pages.append({"u": url, "t": sec.title if not anchor else "", "k": _kind(url),
                          "n": names.get(url, []), "a": aliases.get(url, [])})
        page = by_url[url]
        if not anchor and not pages[page]["t"]:
            pages[page]["t"] = sec.title
        docs.append({"p": page, "u": sec.location, "h": sec.title, "x": plain(sec.html)})
    return {"v": 1, "pages": pages, "docs": docs, "vocab": query_vocabulary(project, pages, docs),
            "stop": sorted(QUESTION_WORDS, key=len, reverse=True), "intents": INTENTS,
            "bets": best_bets}


def index_bytes(sections: list[Section], project, best_bets: dict[str, list[str]]) -> bytes:
    """``search/index.json`` as written into the site (UTF-8, compact)."""
    return json.dumps(build_index(sections, project, best_bets), ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def write_index(site_dir: Path, sections: list[Section], project, best_bets: dict[str, list[str]]) -> int:
    """Write ``search/index.json`` into the built site; return its size in bytes."""
    data = index_bytes(sections, project, best_bets)
    path = site_dir / INDEX_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)
