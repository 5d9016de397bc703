"""A guide folder's own ``mkdocs.yml``, merged over the tool's defaults (like MkDocs' ``INHERIT``).

A guide may change the look — palette, logo, favicon, features, extra CSS — by writing only
those settings; everything else comes from the default ``mkdocs.yml``. Merging rules:

- blocks (``theme:``, ``extra:``, a plugin's or extension's settings) merge key by key;
- ``plugins`` and ``markdown_extensions`` merge by name: a guide can configure one or add one,
  never drop one the pages need;
- ``theme.features``, ``extra_css`` and ``extra_javascript`` are added to the defaults;
- ``theme.palette`` given as one block (``palette: {primary: teal}``) applies to every default
  scheme (light and dark); given as a list it replaces them.

Settings that would break what the guide promises are refused with the file's line: web fonts
(``theme.font``), another language than Chinese (``theme.language``, the search ``lang``), another
theme, scripts or styles from other hosts, and what the tool itself fills in (``nav``,
``docs_dir``, ``site_dir``, ``theme.custom_dir``).
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

from .diagnostics import Diagnostic
from .yamlsrc import Source, YamlProblem, load_yaml

DEFAULTS = Path(__file__).resolve().parents[1] / "defaults" / "mkdocs.yml"
TOOL_OWNED = {"nav": "the navigation is made from the content",
              "docs_dir": "the pages are generated into .guide-build/docs",
              "site_dir": "use `guide build --site-dir` instead"}
ADDITIVE_LISTS = {("theme", "features"), ("extra_css",), ("extra_javascript",)}


def _name(entry) -> str:
    return next(iter(entry)) if isinstance(entry, dict) else str(entry)


def _merge_named(base: list, extra: list) -> list:
    """Merge lists of 'name' or {name: settings} entries by name."""
    out = [copy.deepcopy(e) for e in base]
    for entry in extra or []:
        name = _name(entry)
        for i, existing in enumerate(out):
            if _name(existing) == name:
                if isinstance(entry, dict):
                    old = existing[name] if isinstance(existing, dict) else {}
                    out[i] = {name: _merge(old or {}, entry[name] or {})}
                break
        else:
            out.append(copy.deepcopy(entry))
    return out


def _merge(base, over, path: tuple = ()):
    if isinstance(base, dict) and isinstance(over, dict):
        out = copy.deepcopy(base)
        for key, value in over.items():
            here = path + (key,)
            if key in ("plugins", "markdown_extensions") and not path:
                out[key] = _merge_named(base.get(key, []), value)
            elif here == ("theme", "palette") and isinstance(value, dict) and isinstance(base.get(key), list):
                out[key] = [_merge(scheme, value, here) for scheme in base[key]]
            elif here in ADDITIVE_LISTS and isinstance(value, list):
                out[key] = list(base.get(key, [])) + [v for v in value if v not in base.get(key, [])]
            elif key in out:
                out[key] = _merge(out[key], value, here)
            else:
                out[key] = copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


def defaults() -> dict:
    with DEFAULTS.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _problems(src: Source) -> list[Diagnostic]:
    data = src.data if isinstance(src.data, dict) else {}
    out = []
    for key, why in TOOL_OWNED.items():
        if key in data:
            out.append(src.diag((key,), f"'{key}' cannot be set in a guide's mkdocs.yml: {why}", f"remove '{key}'"))
    theme = data.get("theme") if isinstance(data.get("theme"), dict) else {}
    if "font" in theme and theme["font"] is not False:
        out.append(src.diag(("theme", "font"), "theme.font would load web fonts from Google's servers",
                            "remove 'font' (the guide must not call other hosts; system fonts are used)"))
    if "language" in theme and theme["language"] != "zh":
        out.append(src.diag(("theme", "language"), f"theme.language '{theme['language']}' is not Chinese",
                            "remove 'language' (the guide is in Chinese: zh)"))
    if "name" in theme and theme["name"] != "material":
        out.append(src.diag(("theme", "name"), f"theme '{theme['name']}' is not supported",
                            "remove 'name': the pages are made for the Material theme"))
    if "custom_dir" in theme:
        out.append(src.diag(("theme", "custom_dir"), "theme.custom_dir is the tool's own theme folder",
                            "put styles in extra_css instead"))
    for i, plugin in enumerate(data.get("plugins") or []):
        if isinstance(plugin, dict) and "search" in plugin and isinstance(plugin["search"], dict):
            lang = plugin["search"].get("lang")
            if lang is not None and lang != "zh" and lang != ["zh"]:
                out.append(src.diag(("plugins", i, "search", "lang"), f"search language '{lang}' is not Chinese",
                                    "remove 'lang': Chinese search needs lang: zh"))
    for key in ("extra_css", "extra_javascript"):
        for i, item in enumerate(data.get(key) or []):
            target = item.get("path", "") if isinstance(item, dict) else str(item)
            if "//" in target:
                out.append(src.diag((key, i), f"{key} entry '{target}' loads from another host",
                                    "copy the file into the guide and list its path instead"))
    return out


def _plain(data):
    """Numbers read with their source text back to plain numbers (for yaml.safe_dump)."""
    if isinstance(data, dict):
        return {_plain(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    return data


def load(project_root: Path) -> tuple[dict, list[Diagnostic]]:
    """The engine configuration for a guide: defaults, with the guide's mkdocs.yml merged over
    them, and the problems found in the guide's file."""
    base = defaults()
    own = Path(project_root) / "mkdocs.yml"
    if not own.exists() or own.resolve() == DEFAULTS:
        return base, []
    try:
        src = load_yaml(own)
    except YamlProblem as exc:
        return base, [exc.diagnostic]
    if src.data is None:
        return base, []
    if not isinstance(src.data, dict):
        return base, [src.diag((), "mkdocs.yml must be a block of 'setting: value' lines",
                               "e.g. theme: {palette: {primary: teal}}")]
    problems = _problems(src)
    data = {k: v for k, v in _plain(src.data).items() if k not in TOOL_OWNED and k != "INHERIT"}
    return _merge(base, data), problems
