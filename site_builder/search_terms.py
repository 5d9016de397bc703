"""Search vocabulary: the words readers type, taught to the segmenter and kept whole.

Material segments Chinese with jieba, one run of Han characters at a time, so a name that
mixes Latin letters and Chinese (质慧e站) is cut into 质慧 / e / 站 and a reader who types the
whole name finds nothing. We (1) give jieba the aliases and names as a user dictionary and
(2) after the build, put mixed names back together in the search index as one token.
"""
from __future__ import annotations

import re

from .content import Project

HAN = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z0-9]")
ZWSP = "\u200b"


def vocabulary(project: Project) -> list[str]:
    """Aliases and names worth keeping whole: short terms without spaces."""
    words: set[str] = set()
    for svc in project.services.values():
        words.update(svc.aliases)
    if project.site:
        for platform in project.site.platforms:
            words.add(platform.name)
            words.update(platform.aliases)
    for provider in project.providers.values():
        if len(provider.name) <= 8:
            words.add(provider.name)
    return sorted(w.strip() for w in words if w and not re.search(r"\s", w.strip()) and len(w.strip()) <= 10)


def jieba_user_dict(project: Project) -> str:
    return "".join(f"{w} 2000\n" for w in vocabulary(project) if HAN.search(w))


def mixed_terms(project: Project) -> list[str]:
    return [w for w in vocabulary(project) if HAN.search(w) and LATIN.search(w)]


def _segmented_pattern(term: str) -> re.Pattern:
    # Between any two characters of the term the index may hold zero-width marks.
    return re.compile(f"{ZWSP}*".join(re.escape(ch) for ch in term), re.IGNORECASE)


def join_mixed_terms(data: dict, project: Project) -> int:
    """Rejoin mixed Latin/Han names in a loaded search index; return how many were rejoined."""
    terms = mixed_terms(project)
    if not terms:
        return 0
    patterns = [(_segmented_pattern(t), t) for t in terms]
    count = 0
    for doc in data.get("docs", []):
        for key in ("title", "text"):
            value = doc.get(key, "")
            for pattern, term in patterns:
                value, n = pattern.subn(f"{ZWSP}{term}{ZWSP}", value)
                count += n
            doc[key] = value
    return count
