"""Plain-words diagnosis of YAML syntax errors, at the line the editor has to change.

The parser notices a mistake where it can no longer go on, which is often not where the
mistake is: an unclosed quote is noticed at the end of the file, a full-width colon on the
next line, a key indented too far as "a ':' inside a value". ``diagnose`` looks at the parser's
error and at the text around it and names the real mistake:

- a full-width colon ``：`` after a field name (typed with a Chinese input method);
- a quote or bracket that is never closed — reported where it opens (the parser's context mark);
- a field indented further than the field above it, or less than its block;
- a ':' inside an unquoted value.
"""
from __future__ import annotations

import re

import yaml

# A field name at the start of a line, optionally after list dashes: "  - name".
_KEY = r"^(?P<indent>[ ]*)(?:-[ ]+)*(?P<key>[A-Za-z_][\w-]*)"
_FULLWIDTH_KEY = re.compile(_KEY + r"[ ]*：")
_ASCII_KEY = re.compile(_KEY + r"[ ]*:(?:[ ]|$)")
_BLOCK_SCALAR = re.compile(r":[ ]+[|>][-+0-9]*[ ]*(?:#.*)?$")

OPENERS = {
    "while scanning a quoted scalar": "a quote",
    "while parsing a flow sequence": "a '['",
    "while parsing a flow mapping": "a '{'",
    "while scanning a flow sequence": "a '['",
    "while scanning a flow mapping": "a '{'",
}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _code_lines(lines: list[str]) -> list[bool]:
    """Which lines are YAML structure (not blank, not comments, not inside a block scalar)."""
    out, block_indent = [], None
    for line in lines:
        stripped = line.strip()
        if block_indent is not None:
            if not stripped or _indent(line) > block_indent:
                out.append(False)
                continue
            block_indent = None
        out.append(bool(stripped) and not stripped.startswith("#"))
        if _BLOCK_SCALAR.search(line):
            block_indent = _indent(line) if not stripped.startswith("- ") else _indent(line) + 2
    return out


def _fullwidth_colon(lines: list[str], code: list[bool], upto: int) -> tuple[int, int, str] | None:
    """The last line at or before ``upto`` (0-based) whose field name is followed by '：'."""
    for number in range(min(upto, len(lines) - 1), -1, -1):
        line = lines[number]
        if not code[number] or _ASCII_KEY.match(line):
            continue
        m = _FULLWIDTH_KEY.match(line)
        if m:
            return number, line.index("：", m.end("key")), m.group("key")
    return None


_QUOTED_VALUE = re.compile(_KEY + r"[ ]*:[ ]+(?P<q>[\"'])")
_QUOTED_ITEM = re.compile(r"^[ ]*-[ ]+(?P<q>[\"'])")


def _closes(rest: str, quote: str) -> bool:
    """Whether a value that opened with ``quote`` ends within ``rest`` (the text after it)."""
    if quote == '"':
        return re.search(r'(?<!\\)(?:\\\\)*"', rest) is not None
    return re.search(r"'(?!')", rest.replace("''", "")) is not None


def _unclosed_quote(lines: list[str], code: list[bool], upto: int) -> tuple[int, int, str] | None:
    """The last line at or before ``upto`` whose quoted value does not close on that line."""
    for number in range(min(upto, len(lines) - 1), -1, -1):
        if not code[number]:
            continue
        m = _QUOTED_VALUE.match(lines[number]) or _QUOTED_ITEM.match(lines[number])
        if m and not _closes(lines[number][m.end("q"):], m.group("q")):
            return number, m.start("q"), m.group("q")
    return None


def _previous_code_line(lines: list[str], code: list[bool], number: int) -> int | None:
    for prev in range(number - 1, -1, -1):
        if code[prev]:
            return prev
    return None


def _blocks_above(lines: list[str], code: list[bool], number: int) -> list[str]:
    """'like 'text' on line 3 (2 spaces)' for each indentation used by a field above, nearest first."""
    out, seen = [], set()
    for prev in range(number - 1, -1, -1):
        m = _ASCII_KEY.match(lines[prev]) if code[prev] else None
        if m and _indent(lines[prev]) not in seen:
            seen.add(_indent(lines[prev]))
            out.append(f"like '{m.group('key')}' on line {prev + 1} ({_spaces(_indent(lines[prev]))})")
    return out


def _spaces(n: int) -> str:
    return "no indent" if n == 0 else f"{n} space" + ("" if n == 1 else "s")


def diagnose(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, int, str, str]:
    """(line, col, what, hint) for a parser error in ``text``; lines and columns 1-based."""
    lines = text.splitlines() or [""]
    code = _code_lines(lines)
    problem, context = exc.problem or "", exc.context or ""
    pmark, cmark = exc.problem_mark, exc.context_mark
    at = pmark or cmark
    line0 = at.line if at else 0

    # 1. A full-width colon after a field name, at or before the line the parser stopped on.
    found = _fullwidth_colon(lines, code, line0)
    if found:
        number, col, key = found
        return (number + 1, col + 1, f"full-width colon '：' after '{key}'",
                f"type the ASCII colon and a space: '{key}: …' (switch the input method to English for it)")

    # 2. A quoted value that does not end on its line: the parser read on to the next quote.
    found = _unclosed_quote(lines, code, line0)
    if found:
        number, col, char = found
        return (number + 1, col + 1, f"the quote {char} opened here is never closed",
                "close it with the same quote at the end of the value on this line")

    # 3. A quote or bracket that is never closed: report where it opens.
    opener = OPENERS.get(context)
    if opener and cmark is not None and (pmark is None or pmark.line > cmark.line
                                         or "end of stream" in problem):
        char = (lines[cmark.line][cmark.column:cmark.column + 1] if cmark.line < len(lines) else "") or '"'
        if opener == "a quote":
            opener = f"the quote {char}"
        closing = {"[": "']'", "{": "'}'"}.get(char, "the same quote")
        return (cmark.line + 1, cmark.column + 1, f"{opener} opened here is never closed",
                f"close it with {closing} at the end of the value on this line")

    # 3. "mapping values are not allowed": a ':' inside a value, or a field indented too far.
    if "mapping values are not allowed" in problem and pmark is not None:
        line = lines[pmark.line] if pmark.line < len(lines) else ""
        key = _ASCII_KEY.match(line)
        prev = _previous_code_line(lines, code, pmark.line)
        if key and key.end("key") <= pmark.column and prev is not None \
                and _indent(line) > _indent(lines[prev]) and not lines[prev].rstrip().endswith(":"):
            above = _ASCII_KEY.match(lines[prev])
            name = f"'{above.group('key')}' on line {prev + 1}" if above else f"line {prev + 1}"
            return (pmark.line + 1, _indent(line) + 1, f"'{key.group('key')}' is indented further than {name} above it",
                    f"indent it like {name} ({_spaces(_indent(lines[prev]))}), or put it in quotes if it is "
                    "part of that value")
        return (pmark.line + 1, pmark.column + 1, "a ':' inside a value",
                "put the whole value in quotes, e.g. name: \"药品: 检验\"")

    # 4. A line indented less than its block, or a list item out of line.
    if any(s in problem for s in ("did not find expected key", "expected <block end>",
                                  "did not find expected '-' indicator")) and pmark is not None:
        line = lines[pmark.line] if pmark.line < len(lines) else ""
        if line.lstrip().startswith("-") and ("'-'" in problem or "block sequence" in problem
                                              or "did not find expected key" in problem):
            return (pmark.line + 1, pmark.column + 1, "a list item is not indented like the others",
                    "line up every '- ' of the list")
        blocks = _blocks_above(lines, code, pmark.line)[:2]
        what = f"this line is indented by {_spaces(_indent(line))}, which matches no block above it"
        return (pmark.line + 1, pmark.column + 1, what,
                "indent it " + (" or ".join(blocks) if blocks else "like the other fields of its block"))

    if "could not find expected ':'" in problem or "could not find expected ':'" in context:
        number = cmark.line if cmark is not None else line0
        return (number + 1, (cmark.column + 1) if cmark else 1, "a line has no ':' after its field name",
                "write 'field: value', or indent a continued line under its field")
    if "found unexpected end of stream" in problem:
        return (line0 + 1, (at.column + 1) if at else 1, "a quote or bracket is never closed",
                "close the quote or bracket")
    what = f"{context}, {problem}" if context else (problem or "invalid YAML")
    return (line0 + 1, (at.column + 1) if at else 1, what,
            "check indentation, colons and quotes on this line and the one above")
