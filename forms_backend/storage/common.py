"""Small helpers shared by the storage modules: time stamps, reference numbers, SQL fragments."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Iterable

from sqlite_utils import Database

from .errors import StorageError

__all__ = ["NAME_SQL", "name_key", "REF_ALPHABET", "REF_RANDOM_CHARS", "archive_no", "between", "iso", "like", "new_ref",
           "random_code", "random_ref", "ref_is_free", "sql_list", "utcnow"]

# Reference numbers avoid characters people confuse when reading or typing them: 0/O, 1/I/L.
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REF_RANDOM_CHARS = 5


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds")


def random_code(length: int) -> str:
    """``length`` characters of REF_ALPHABET, each uniformly random: one draw from the system's
    random source (``secrets.choice`` per character made one system call each)."""
    n = secrets.randbelow(len(REF_ALPHABET) ** length)
    chars = []
    for _ in range(length):
        n, digit = divmod(n, len(REF_ALPHABET))
        chars.append(REF_ALPHABET[digit])
    return "".join(chars)


def random_ref(prefix: str, yymm: str) -> str:
    """A candidate reference number (whether it is free, only the write transaction can tell)."""
    return f"{prefix}-{yymm}-{random_code(REF_RANDOM_CHARS)}"


def ref_is_free(db: Database, ref: str, table: str = "applications", column: str = "ref") -> bool:
    return db.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (ref,)).fetchone() is None


def new_ref(db: Database, prefix: str, yymm: str, table: str = "applications", column: str = "ref") -> str:
    """A reference number not yet used in ``table.column`` (call it inside the write transaction)."""
    for _ in range(50):
        ref = random_ref(prefix, yymm)
        if ref_is_free(db, ref, table, column):
            return ref
    raise StorageError(f"no free {table}.{column} after 50 tries")


def range_terms(column: str, since: str | None, until: str | None) -> tuple[list[str], list]:
    """The terms (to join with AND) keeping ``since <= column < until``, with their parameters."""
    where, params = [], []
    if since:
        where.append(f"{column} >= ?")
        params.append(since)
    if until:
        where.append(f"{column} < ?")
        params.append(until)
    return where, params


def equal_terms(**values) -> tuple[list[str], list]:
    """The terms ``column = ?`` (to join with AND) for every filter value given, with their
    parameters: ``equal_terms(kind="boiler", state=None)`` → (["kind = ?"], ["boiler"])."""
    given = [(column, value) for column, value in values.items() if value]
    return [f"{column} = ?" for column, _ in given], [value for _, value in given]


def where_sql(terms: Iterable[str]) -> str:
    """' WHERE a AND b' (or '' without terms)."""
    terms = list(terms)
    return (" WHERE " + " AND ".join(terms)) if terms else ""


def between(column: str, since: str | None, until: str | None) -> tuple[str, list]:
    """A WHERE clause (or '') keeping ``since <= column < until``, with its parameters."""
    where, params = range_terms(column, since, until)
    return where_sql(where), params


def sql_list(values: Iterable[str]) -> str:
    """Known constant words as an SQL list: 'a', 'b' (never for user input)."""
    return ", ".join(f"'{v}'" for v in values)


def archive_no(year: int | None, seq: int | None) -> str | None:
    return f"{year}-{seq:04d}" if year and seq else None


def like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# SQL that spells a name the way name_key() does (the bracket widths people mix up), for matching
# a name stored as typed against a query typed another way.
NAME_SQL = "replace(replace({col}, '（', '('), '）', ')')"


def name_key(text: str) -> str:
    """A name or part of one, normalised only to match (NFKC: full-width brackets, spaces, digits)."""
    import unicodedata
    return unicodedata.normalize("NFKC", text).strip()
