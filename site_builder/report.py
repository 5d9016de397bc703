"""How diagnostics reach the editor: errors first (root causes before the rest), warnings
listed or summarised by kind, colour on a terminal, and the same as data for the preview banner.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable

import click

from .content import Diagnostic

# Warning kinds, recognised by the start of their message, for summaries and for --strict.
WARNING_KINDS = [
    ("placeholder", "placeholder in ", "placeholder(s) 【待补充】"),
    ("stale", "content last reviewed on ", "review date(s) over a year old"),
    ("review-due", "review due ", "review(s) due soon"),
    ("link", "link ", "broken link(s)"),
]


def kind_of(d: Diagnostic) -> str:
    for kind, prefix, _ in WARNING_KINDS:
        if d.message.startswith(prefix):
            return kind
    return "other"


def ordered(diagnostics: Iterable[Diagnostic], root_causes: Iterable[Diagnostic] = ()) -> list[Diagnostic]:
    """Errors first — files that could not be read before everything else — then warnings."""
    roots = set(root_causes)
    return sorted(diagnostics, key=lambda d: (not d.is_error, d not in roots, d))


def warning_summary(warnings: list[Diagnostic]) -> str:
    """'112 warning(s): 108 placeholder(s) 【待补充】, 4 review date(s) over a year old'."""
    if not warnings:
        return ""
    counts = Counter(kind_of(d) for d in warnings)
    names = {kind: label for kind, _, label in WARNING_KINDS}
    order = [kind for kind, _, _ in WARNING_KINDS] + ["other"]
    parts = [f"{counts[kind]} {names.get(kind, 'other warning(s)')}"
             for kind in sorted(counts, key=lambda k: (-counts[k], order.index(k)))]
    return f"{len(warnings)} warning(s): " + ", ".join(parts)


def styled(d: Diagnostic) -> str:
    text = d.format()
    head = f"{d.path}:{d.line}:{d.col}:"
    colour = "red" if d.is_error else "yellow"
    return click.style(head, bold=True) + click.style(text[len(head):len(head) + len(d.severity) + 2],
                                                      fg=colour, bold=True) + text[len(head) + len(d.severity) + 2:]


def print_diagnostics(diagnostics: Iterable[Diagnostic], root_causes: Iterable[Diagnostic] = (), *,
                      warnings: str = "list") -> None:
    """Print errors first; ``warnings`` is "list", "summary" or "none". Colour only on a terminal
    (click drops the styles when stderr is not one)."""
    diags = ordered(diagnostics, root_causes)
    for d in diags:
        if d.is_error or warnings == "list":
            click.echo(styled(d), err=True)
    if warnings == "summary":
        summary = warning_summary([d for d in diags if not d.is_error])
        if summary:
            click.echo(click.style(summary, fg="yellow") + " (`guide check` lists them)", err=True)


def status_data(diagnostics: Iterable[Diagnostic], root_causes: Iterable[Diagnostic] = (), *,
                ok: bool, root: Path | None = None, limit: int = 50) -> dict:
    """The preview banner's data: errors in order (paths inside the guide folder), warnings as counts."""
    diags = ordered(diagnostics, root_causes)

    def short(path: str) -> str:
        prefix = str(root) + "/" if root else None
        return path[len(prefix):] if prefix and path.startswith(prefix) else path

    errors = [d for d in diags if d.is_error]
    warnings = [d for d in diags if not d.is_error]
    return {
        "ok": ok,
        "errors": [{"where": f"{short(d.path)}:{d.line}:{d.col}", "message": d.message, "hint": d.hint}
                   for d in errors[:limit]],
        "more_errors": max(0, len(errors) - limit),
        "warnings": warning_summary(warnings),
    }
