"""Links in the content: internal links and URL fields checked on every ``guide check``; external
links fetched only with ``guide check --links``.

- A Markdown link in a text field (``[药品检验](/services/drug-testing/)``) that points inside the
  site is written as a site path starting with ``/`` (the same text can appear on several pages,
  so a relative link would mean different things); it must name a page the build makes.
- A Markdown image (``![平面图](/files/site-plan.png)``) is a file of the guide, in
  ``content/files/``: the site and the printed handbook show only the guide's own files (a missing
  or outside picture was an empty box on the page and a handbook error without a YAML line).
- Every ``url`` field and every external link must be a complete ``http(s)://`` address.
- ``check_external`` fetches each distinct external address once (HEAD, then GET when HEAD is
  refused), in parallel with a timeout, and reports each failure at every place it is used.
"""
from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import model
from .diagnostics import Diagnostic, closest

MD_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+)>")
BACKEND_PATHS = {"/track", "/feedback/suggest", "/feedback/page"}
USER_AGENT = "guide-link-check/1 (+https://github.com/)"


def _walk(data: Any, loc: tuple = ()):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _walk(v, loc + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _walk(v, loc + (i,))
    else:
        yield loc, data


def site_paths(project) -> set[str]:
    """Every path the built site (and the backend beside it) answers, with a trailing slash
    for pages."""
    paths = {"/", "/flows/", "/policies/", "/data/catalog.json"} | BACKEND_PATHS
    paths |= {f"/services/{i}/" for i in project.services}
    paths |= {f"/apply/{s.id}" for s in project.services.values() if s.takes_applications}
    paths |= {f"/flows/{i}/" for i in project.flows}
    paths |= {f"/policies/{i}/" for i in project.policies}
    if project.site:
        paths |= {f"/families/{c.id}/" for c in project.families()}
        paths |= {f"/about/{p.id}/" for p in project.site.pages}
    files = project.content_dir / "files"
    if files.is_dir():
        paths |= {"/files/" + p.relative_to(files).as_posix() for p in files.rglob("*") if p.is_file()}
    return paths


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a complete web address, or None."""
    if any(c.isspace() for c in url):
        return "contains a space"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "does not start with http:// or https://"
    host = parts.hostname or ""
    if not host or ("." not in host and host != "localhost"):
        return "has no host name"
    return None


def suggest_url(url: str) -> str:
    """A guess at what was meant: 'htps//www.cnas.org.cn' → 'https://www.cnas.org.cn'."""
    rest = re.sub(r"^[a-zA-Z]*(?::/*|/+)", "", url.strip())
    return "https://" + rest if rest else "https://www.example.gov.cn/"


def _bad_url(src, loc, url: str, what: str) -> Diagnostic:
    return src.diag(loc, f"{what} '{url}' is not a web address: it {url_problem(url)}",
                    f"write it in full, e.g. {suggest_url(url)}")


@dataclass
class LinkUse:
    url: str
    where: list[tuple[Any, tuple]] = field(default_factory=list)  # (Source, loc)


def _external_uses(project) -> dict[str, LinkUse]:
    uses: dict[str, LinkUse] = {}
    for src in project.sources.values():
        for loc, value in _walk(src.data):
            if not isinstance(value, str) or model.PLACEHOLDER in value:
                continue
            if loc and loc[-1] == "url":
                found = [value] if url_problem(value) is None else []
            else:
                found = [t for t in MD_LINK.findall(value) + AUTOLINK.findall(value)
                         if urlsplit(t).scheme in ("http", "https") and url_problem(t) is None]
            for url in found:
                uses.setdefault(url, LinkUse(url)).where.append((src, loc))
    return uses


def check_links(project) -> None:
    """Internal links and URL fields of every file; problems are errors at the YAML line."""
    known = site_paths(project)
    for src in project.sources.values():
        for loc, value in _walk(src.data):
            if not isinstance(value, str) or model.PLACEHOLDER in value:
                continue
            if loc and loc[-1] == "url":
                if url_problem(value):
                    project.diagnostics.append(_bad_url(src, loc, value, "url"))
                continue
            for target in MD_LINK.findall(value):
                project.diagnostics.extend(_internal_problem(src, loc, target, known))
            for target in MD_IMAGE.findall(value):
                project.diagnostics.extend(_image_problem(src, loc, target, known))


def _image_problem(src, loc, target: str, known: set[str]) -> list[Diagnostic]:
    path = urlsplit(target).path
    if target.startswith("data:image/") or (path.startswith("/files/") and path in known):
        return []
    files = sorted(p for p in known if p.startswith("/files/"))
    guess = closest(path, files) if path.startswith("/files/") else None  # a typo in a file name
    hint = (f"did you mean '{guess}'?" if guess else
            f"put the picture in content/files/ and write it as a site path, e.g. /files/{path.rsplit('/', 1)[-1] or 'picture.png'}")
    return [src.diag(loc, f"image '{target}' is not a file of the guide", hint)]


def _internal_problem(src, loc, target: str, known: set[str]) -> list[Diagnostic]:
    parts = urlsplit(target)
    if parts.scheme in ("http", "https"):
        return [_bad_url(src, loc, target, "link")] if url_problem(target) else []
    if parts.scheme in ("mailto", "tel") or target.startswith("#"):
        return []
    if parts.scheme or target.startswith("//") or re.match(r"^[a-z]+:?//", target) or target.startswith("www."):
        return [_bad_url(src, loc, target, "link")]
    if not target.startswith("/"):
        return [src.diag(loc, f"link '{target}' is relative",
                         "write links inside the guide as site paths starting with '/', "
                         "e.g. /services/drug-testing/")]
    path = parts.path
    if path in known or path + "/" in known:
        return []
    if path.startswith("/apply/") and f"/services/{path[7:].strip('/')}/" in known:
        sid = path[7:].strip("/")
        return [src.diag(loc, f"link '{target}': service '{sid}' takes no online applications",
                         f"link to its page /services/{sid}/, or give it 'application: {{enabled: true}}'")]
    options = sorted(known)
    guess = closest(path if path.endswith("/") or "." in path.rsplit("/", 1)[-1] else path + "/", options)
    return [src.diag(loc, f"link '{target}' points to no page of the guide",
                     f"did you mean '{guess}'?" if guess else "link to a service, flow, policy or family page")]


# ------------------------------------------------------------------ --links: external addresses

@dataclass
class LinkResult:
    url: str
    status: int | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and self.status < 400


def fetch(url: str, timeout: float) -> LinkResult:
    started = time.monotonic()
    status, error = None, None
    for method in ("HEAD", "GET"):
        req = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, error = resp.status, None
        except urllib.error.HTTPError as exc:
            status, error = exc.code, None
        except (TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            timed_out = isinstance(reason, TimeoutError) or "timed out" in str(reason)
            status, error = None, (f"no answer within {timeout:g} s" if timed_out else f"cannot connect ({reason})")
        # Some servers refuse HEAD: try GET before calling the link broken.
        if method == "HEAD" and status in (403, 405, 501):
            continue
        break
    return LinkResult(url, status, error, time.monotonic() - started)


def check_external(project, timeout: float = 10.0, workers: int = 8) -> list[LinkResult]:
    """Fetch every external address once; add a warning at every use of a broken one."""
    uses = _external_uses(project)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda u: fetch(u, timeout), sorted(uses)))
    for r in results:
        if r.ok:
            continue
        why = r.error or f"answered HTTP {r.status}"
        for src, loc in uses[r.url].where:
            project.diagnostics.append(src.diag(loc, f"link {r.url} is broken: {why}",
                                                "correct the address or remove the link", severity="warning"))
    project.diagnostics = sorted(set(project.diagnostics))
    return results


def report_lines(results: list[LinkResult]) -> list[str]:
    """The --links report: one line per address, broken ones first."""
    lines = []
    for r in sorted(results, key=lambda r: (r.ok, r.url)):
        state = "ok" if r.ok else "BROKEN"
        detail = r.error or f"HTTP {r.status}"
        lines.append(f"{state:6} {detail:28} {r.seconds:5.2f} s  {r.url}")
    broken = sum(not r.ok for r in results)
    lines.append(f"checked {len(results)} external address(es): {len(results) - broken} ok, {broken} broken")
    return lines
