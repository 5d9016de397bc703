"""``guide rename OLD NEW``: give a service, flow or policy a new id without breaking anything.

1. the file is moved (``content/services/OLD.yml`` → ``NEW.yml``) and its ``id`` changed;
2. every reference in the other files is rewritten in place — ``related``, ``flow``,
   ``basic_flow``, ``policies[].id``, ``basis``, a warning flow's ``application``s, and site paths in Markdown links
   (``/services/OLD/``, ``/apply/OLD``) — keeping the files' comments and layout;
3. a redirect is recorded in ``content/redirects.yml``: the build writes a page at the old
   address that leads to the new one, and the backend sends ``/apply/OLD`` to ``/apply/NEW``;
4. stored applications (and drafts, 意见箱 entries, follow-up items) are re-pointed by the
   caller (``cli.rename``), which knows the database.

Only the exact positions the YAML parser reports are edited, so a word that merely looks like
the id (inside a sentence) is never touched.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .content import GuideError, Project, load_project

FOLDERS = {"service": ("content", "services"), "flow": ("flows",), "policy": ("content", "policies")}
PAGES = {"service": "services", "flow": "flows", "policy": "policies"}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class RenameError(GuideError):
    """The rename cannot be done (unknown id, taken id, content with errors)."""


@dataclass
class RenameResult:
    kind: str
    old: str
    new: str
    moved: tuple[Path, Path]
    edited: dict[Path, int] = field(default_factory=dict)  # file → number of references rewritten


def kind_of(project: Project, old: str) -> str:
    kinds = [k for k, items in (("service", project.services), ("flow", project.flows),
                                ("policy", project.policies)) if old in items]
    if not kinds:
        raise RenameError(f"no service, flow or policy has the id '{old}'")
    if len(kinds) > 1:
        raise RenameError(f"'{old}' is the id of a {kinds[0]} and a {kinds[1]}; rename one of the files by hand")
    return kinds[0]


def _reference_locs(project: Project, kind: str, old: str):
    """(source, loc) of every field that holds ``old`` as a reference."""
    for (skind, key), src in project.sources.items():
        if skind == "service" and key in project.services:
            svc = project.services[key]
            if kind == "service":
                yield from ((src, ("related", i)) for i, r in enumerate(svc.related) if r == old)
            if kind == "flow" and svc.flow == old:
                yield src, ("flow",)
            if kind == "policy":
                yield from ((src, ("policies", i, "id")) for i, r in enumerate(svc.policies) if r.id == old)
        elif skind == "flow" and key in project.flows and kind == "policy":
            yield from ((src, ("basis", i)) for i, p in enumerate(project.flows[key].basis) if p == old)
        elif skind == "flow" and key in project.flows and kind == "service" and project.flows[key].warnings:
            plan = project.flows[key].warnings
            yield from ((src, ("warnings", f)) for f in ("application", "measuring_application")
                        if getattr(plan, f) == old)
        elif skind == "site" and kind == "flow" and project.site and project.site.basic_flow == old:
            yield src, ("basic_flow",)


def _replace_token(line: str, col: int, old: str, new: str) -> str:
    """Replace the first whole-token ``old`` at or after ``col`` (0-based) on ``line``."""
    m = re.compile(rf"(?<![a-z0-9-]){re.escape(old)}(?![a-z0-9-])").search(line, col)
    if m is None:
        raise RenameError(f"could not find '{old}' where the parser saw it: {line.strip()}")
    return line[:m.start()] + new + line[m.end():]


def _link_pattern(kind: str, old: str) -> re.Pattern:
    paths = [PAGES[kind]] + (["apply"] if kind == "service" else [])
    return re.compile(rf"(\]\(\s*<?/(?:{'|'.join(paths)})/){re.escape(old)}(?![a-z0-9-])")


def rename(root: Path | str, old: str, new: str, today: dt.date | None = None) -> RenameResult:
    root = Path(root)
    project = load_project(root)
    if project.errors:
        raise RenameError(f"the content has {len(project.errors)} error(s); run `guide check` and fix them first")
    if not SLUG.match(new):
        raise RenameError(f"'{new}' is not a valid id: use lowercase letters a-z, digits and hyphens")
    kind = kind_of(project, old)
    items = {"service": project.services, "flow": project.flows, "policy": project.policies}[kind]
    if new in items:
        raise RenameError(f"a {kind} with the id '{new}' exists already")
    src_file = project.source(kind, old).path
    dest_file = src_file.with_name(f"{new}{src_file.suffix}")
    result = RenameResult(kind, old, new, (src_file, dest_file))

    # Edits per file: (line index, col) positions from the parser, then Markdown links anywhere.
    # A mapping field's mark is its key ('flow: basic'): the value follows the colon.
    positions: dict[Path, list[tuple[int, int, bool]]] = {}
    own = project.source(kind, old)
    for src, loc in list(_reference_locs(project, kind, old)) + [(own, ("id",))]:
        line, col = src.marks[loc]
        positions.setdefault(src.path, []).append((line - 1, col - 1, isinstance(loc[-1], str)))
    links = _link_pattern(kind, old)
    texts = {src.path: src.path.read_text(encoding="utf-8") for src in project.sources.values()}
    for path, text in texts.items():
        lines = text.splitlines(keepends=True)
        count = 0
        for number, column, is_key in sorted(set(positions.get(path, []))):
            if is_key:
                column = lines[number].index(":", column) + 1
            lines[number] = _replace_token(lines[number], column, old, new)
            count += 1
        edited = "".join(lines)
        edited, links_changed = links.subn(lambda m: m.group(1) + new, edited)
        count += links_changed
        if edited != text:
            path.write_text(edited, encoding="utf-8")
            result.edited[path] = count
    src_file.rename(dest_file)
    _record_redirect(root, kind, old, new, today or dt.date.today())
    return result


def _record_redirect(root: Path, kind: str, old: str, new: str, today: dt.date) -> None:
    """Add old → new to content/redirects.yml; earlier redirects to ``old`` now lead to ``new``."""
    path = root / "content" / "redirects.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    entries = list((data or {}).get("redirects") or [])
    for entry in entries:
        if entry.get("kind") == kind and entry.get("new") == old:
            entry["new"] = new
    entries = [e for e in entries if not (e.get("kind") == kind and e.get("old") == new)]
    entries.append({"kind": kind, "old": old, "new": new, "date": today})
    header = ("# Written by `guide rename`: each renamed page's old address leads to the new one\n"
              "# (and /apply/<old> to /apply/<new>). Keep the entries as long as old links may exist.\n")
    path.write_text(header + yaml.safe_dump({"redirects": entries}, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
