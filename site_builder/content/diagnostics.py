"""Diagnostics and named exceptions for content problems.

Every problem an editor can make is a ``Diagnostic`` with a file, a line and a column; the CLI
prints them as ``path:line:col: error: <what> — <how to fix it>`` and exits non-zero.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    severity: str  # "error" or "warning"
    message: str
    hint: str = ""

    def format(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class GuideError(Exception):
    """Base class of the errors the guide tool raises."""


class ContentError(GuideError):
    """The content has errors; ``diagnostics`` lists every one of them."""

    def __init__(self, diagnostics: list[Diagnostic], root_causes=()):
        self.diagnostics = sorted(diagnostics)
        # The errors of files that could not be read: printed first, they explain the rest.
        self.root_causes = set(root_causes)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


class ProjectNotFound(GuideError):
    """The project folder has no site.yml where one is expected."""


def rel(path: Path | str) -> str:
    """A path as editors see it: relative to the working directory when possible."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def closest(word: str, choices) -> str | None:
    """The known name nearest to a misspelt one, for "did you mean" hints."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.5)
    return match[0] if match else None
