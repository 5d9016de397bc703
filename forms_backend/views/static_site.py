"""The built guide (``site/``): its theme for our pages, and serving it in the embedded mode.

Backend pages link the theme's own stylesheets (Material for MkDocs writes them as
``assets/stylesheets/main.<hash>.min.css`` and ``palette.<hash>.min.css``, Zensical under
``assets/stylesheets/classic/``) and copy the colour
attributes of the guide's ``<body>``, so a form looks like the page that linked to it. Under
``guide serve`` this module also serves every path the blueprints do not own from ``site/``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, request, send_file
from werkzeug.security import safe_join

bp = Blueprint("site", __name__)

BODY_ATTRS = re.compile(r'\s(data-md-color-(?:scheme|primary|accent))="([a-z0-9-]+)"')


@dataclass
class Theme:
    stylesheets: list[str] = field(default_factory=list)
    body: dict[str, str] = field(default_factory=dict)
    icon: str | None = None
    logo: str | None = None  # the guide's own logo image (theme.logo), when it set one
    stamp: tuple | None = None


STYLESHEET = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"')
ICON = re.compile(r'<link\s+rel="icon"\s+href="([^"]+)"')
LOGO = re.compile(r'class="md-header__button md-logo"[^>]*>\s*<img\s+src="([^"]+)"')


def _own(href: str) -> str | None:
    """A root-relative URL for a file of the site; None for other hosts or paths out of it."""
    if "//" in href or ":" in href or ".." in href:
        return None
    return "/" + href.lstrip("./").lstrip("/")


def find_theme(site_dir: Path) -> Theme:
    """The guide's stylesheets (as root-relative URLs) and body colour attributes, if built.

    The home page's own <link rel="stylesheet"> tags are the truth (Material's main and palette
    sheets plus any extra_css); without a home page, the theme's sheets are looked up by name.
    """
    css_dir = site_dir / "assets" / "stylesheets"
    if not css_dir.is_dir():
        return Theme()
    sheets: list[str] = []
    body: dict[str, str] = {}
    icon = logo = None
    index = site_dir / "index.html"
    if index.is_file():
        text = index.read_text(encoding="utf-8", errors="replace")
        # Only our own files: never a third-party host, never a path out of the site.
        sheets = [url for url in map(_own, STYLESHEET.findall(text)) if url]
        found_icon = ICON.search(text)
        icon = _own(found_icon.group(1)) if found_icon else None
        found_logo = LOGO.search(text)
        logo = _own(found_logo.group(1)) if found_logo else None
        tag = re.search(r"<body[^>]*>", text)
        if tag:
            body = dict(BODY_ATTRS.findall(tag.group(0)))
    if not sheets:
        # Material writes its sheets in stylesheets/, Zensical in stylesheets/classic/ (the
        # variant the guide uses; stylesheets/modern/ is the other one).
        for stem in ("main", "palette"):
            found = sorted(css_dir.glob(f"{stem}.*.min.css")) or sorted(css_dir.glob(f"classic/{stem}.*.min.css"))
            if found:
                sheets.append("/" + found[-1].relative_to(site_dir).as_posix())
    return Theme(sheets, body, icon, logo, _stamp(site_dir))


def _stamp(site_dir: Path) -> tuple | None:
    try:
        return ((site_dir / "assets" / "stylesheets").stat().st_mtime, (site_dir / "index.html").stat().st_mtime)
    except OSError:
        return None


def service_page(site_dir: Path, service_id: str) -> str | None:
    """URL of the service's page in the built guide, when there is one."""
    return f"/services/{service_id}/" if (site_dir / "services" / service_id / "index.html").is_file() else None


class ThemeCache:
    """Look again when the site is rebuilt (the stylesheet folder changes)."""

    def __init__(self, site_dir: Path):
        self.site_dir = site_dir
        self._theme = find_theme(site_dir)

    def get(self) -> Theme:
        if _stamp(self.site_dir) != self._theme.stamp:
            self._theme = find_theme(self.site_dir)
        return self._theme


@bp.route("/", defaults={"path": ""})
@bp.route("/<path:path>")
def page(path: str):
    site_dir: Path = current_app.config["GUIDE_SITE_DIR"]
    target = safe_join(str(site_dir), path) if path else str(site_dir)
    if target is None:
        abort(404)
    target_path = Path(target)
    if target_path.is_dir():
        if path and not path.endswith("/"):
            query = ("?" + request.query_string.decode("latin-1")) if request.query_string else ""
            return redirect(f"/{path}/{query}", 301)
        target_path = target_path / "index.html"
    if not target_path.is_file():
        missing = site_dir / "404.html"
        if missing.is_file():
            response = send_file(missing, mimetype="text/html", max_age=0)
            response.status_code = 404
            return response
        abort(404)
    # Material's asset names carry a content hash, so they may be cached for long.
    long_cache = path.startswith("assets/") and re.search(r"\.[0-9a-f]{8}\.min\.(css|js)$", path)
    return send_file(target_path, conditional=True, max_age=31536000 if long_cache else 0)


def init_app(app) -> None:
    app.register_blueprint(bp)
