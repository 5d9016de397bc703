"""Read YAML keeping the line and column of every value.

PyYAML composes a node tree that carries marks; we turn it into plain Python data plus a map
from the value's path (``("materials", 0, "name")``) to its 1-based (line, col). Validation
errors from pydantic carry the same paths, so every message can name its line.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic, rel
from .yamlsyntax import diagnose

Loc = tuple  # a path into the document: keys and list indexes


@dataclass
class Source:
    """A parsed YAML file: its data, and where each value sits."""

    path: Path
    data: Any
    marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    @property
    def display(self) -> str:
        return rel(self.path)

    def where(self, loc: Loc) -> tuple[int, int]:
        """Line and column of ``loc``, or of its closest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.marks:
                return self.marks[loc]
            loc = loc[:-1]
        return self.marks.get((), (1, 1))

    def diag(self, loc: Loc, message: str, hint: str = "", severity: str = "error") -> Diagnostic:
        line, col = self.where(loc)
        return Diagnostic(self.display, line, col, severity, message, hint)


class YamlProblem(Exception):
    """The file is not valid YAML; ``diagnostic`` says where and why."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.format())


class YamlInt(int):
    """An integer as read from YAML, with the text it was written as (``0012``, ``6``)."""

    text: str = ""


class YamlFloat(float):
    """A decimal number as read from YAML, with its text: ``article: 6.10`` keeps "6.10"."""

    text: str = ""


def _number(value, text: str):
    cls = YamlInt if type(value) is int else YamlFloat
    out = cls(value)
    out.text = text
    return out


def as_written(value):
    """A number read from YAML as the text the editor typed; anything else unchanged."""
    if isinstance(value, (YamlInt, YamlFloat)):
        return value.text
    return value


def _scalar(loader, node: yaml.ScalarNode) -> Any:
    # Resolve plain scalars the YAML 1.1 way PyYAML does (int, bool, date ...), but keep
    # timestamps as dates, not datetimes, since every date in the content is a day.
    try:
        value = loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError):
        # e.g. 2026-13-01 looks like a date but is not one: keep the text, the model reports it.
        return node.value
    if isinstance(value, dt.datetime):
        return value.date()
    if type(value) in (int, float):
        return _number(value, node.value)
    return value


def _convert(loader, node: yaml.Node, loc: Loc, marks: dict, src: Path) -> Any:
    marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node) if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if key in out:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                raise YamlProblem(Diagnostic(rel(src), line, col, "error",
                                             f"key '{key}' appears twice in the same block",
                                             "delete or rename one of them"))
            marks[loc + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _convert(loader, value_node, loc + (key,), marks, src)
            # Point the key's location at the key itself (more useful than the value's).
            marks[loc + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, item, loc + (i,), marks, src) for i, item in enumerate(node.value)]
    return _scalar(loader, node)


def leaves(data: Any, loc: Loc = ()):
    """(location, value) of every scalar in parsed YAML data."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from leaves(v, loc + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from leaves(v, loc + (i,))
    else:
        yield loc, data


def _tab_problem(path: Path, text: str) -> Diagnostic | None:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            col = len(line) - len(stripped) + 1
            return Diagnostic(rel(path), number, col, "error", "tab used for indentation",
                              "YAML indents with spaces only; replace the tab with spaces")
    return None


def load_yaml(path: Path) -> Source:
    """Parse ``path``; raise ``YamlProblem`` with a line-numbered message on bad syntax."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(Diagnostic(rel(path), 1, 1, "error", f"file is not UTF-8 text ({exc.reason})",
                                     "save the file as UTF-8")) from None
    tab = _tab_problem(path, text)
    if tab:
        raise YamlProblem(tab)
    # libyaml's parser when PyYAML has it (about 10x faster), same node tree and marks.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        marks: dict[Loc, tuple[int, int]] = {}
        data = _convert(loader, node, (), marks, path) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        line, col, what, hint = diagnose(text, exc)
        raise YamlProblem(Diagnostic(rel(path), line, col, "error", f"YAML syntax error: {what}", hint)) from None
    finally:
        loader.dispose()
    return Source(path=path, data=data, marks=marks)
