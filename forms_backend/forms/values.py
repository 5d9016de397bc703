"""Value checks as pure functions: ``clean_*`` return the canonical value or raise ``ValueError``
with the message to show. The form fields call them; so can anything else that reads input."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from ..addresses import MOBILE
from .messages import message

# 统一社会信用代码 (GB 32100-2015): 17 characters and a check character computed modulo 31.
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")

LANDLINE = re.compile(r"(0[1-9][0-9]{1,2})([2-9][0-9]{6,7})")
EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#|-)\s*[0-9]{1,6}$", re.IGNORECASE)


# Characters refused in what people type: control (Cc: CR, LF, NUL, ESC ...), format (Cf: the
# bidi overrides that turn "txt.exe" into "exe.txt", zero-width characters), line and
# paragraph separators. A multi-line answer may hold line breaks and tabs, nothing else of these.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
MULTILINE_ALLOWED = frozenset("\n\t")
# Dates people may type: wider than any real answer, narrow enough that date arithmetic on
# them (due dates, a filter's end of day) never leaves what datetime can hold.
YEAR_MIN, YEAR_MAX = 1900, 2199


def invisible_characters(text: str | None, *, multiline: bool = False) -> list[str]:
    """The control and format characters in ``text`` (line breaks and tabs allowed if multiline)."""
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    return [ch for ch in (text or "") if unicodedata.category(ch) in INVISIBLE_CATEGORIES and ch not in allowed]


def normalise(text: str | None) -> str:
    """Full-width to half-width (NFKC), trimmed: what people paste from Word or WeChat."""
    return unicodedata.normalize("NFKC", text or "").strip()


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def clean_uscc(raw: str) -> str:
    """The code in canonical form, or ValueError with the message to show."""
    code = re.sub(r"[\s-]", "", normalise(raw)).upper()
    if len(code) != 18:
        raise ValueError(message("uscc_length", n=len(code)))
    if not USCC_SHAPE.fullmatch(code):
        raise ValueError(message("uscc_chars"))
    if uscc_check_char(code[:17]) != code[17]:
        raise ValueError(message("uscc_check"))
    return code


def phone_key(raw: str) -> str | None:
    """Digits that identify a phone number (for tracking), or None when it is not one."""
    text = normalise(raw)
    ext = EXTENSION.search(text)
    main = text[:ext.start()] if ext and len(re.sub(r"\D", "", text[:ext.start()])) >= 10 else text
    main = re.sub(r"[\s()（）\-.]", "", main)
    main = re.sub(r"^(?:\+86|0086|86(?=1[3-9][0-9]{9}$))", "", main)
    if MOBILE.fullmatch(main) or LANDLINE.fullmatch(main):
        return main
    return None


def clean_phone(raw: str) -> str:
    if phone_key(raw) is None:
        raise ValueError(message("phone"))
    return normalise(raw)


def clean_email(raw: str) -> str:
    try:
        return validate_email(normalise(raw), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError(message("email")) from None


DATE_FORMS = (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
              re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"), re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"))


def parse_date(raw: str) -> dt.date:
    text = normalise(raw)
    for pattern in DATE_FORMS:
        m = pattern.fullmatch(text)
        if m:
            day = dt.date(*(int(g) for g in m.groups()))  # ValueError for 2026-02-30
            if not YEAR_MIN <= day.year <= YEAR_MAX:
                raise DateOutOfRange(day.year)
            return day
    raise ValueError("not a date")


class DateOutOfRange(ValueError):
    """A real date, but one no application or filter can mean (9999-12-31, 0001-01-01)."""


def clean_ref(raw: str) -> str:
    """ZY-2611-7K3Q9 however it was typed: lower case, spaces, missing or extra dashes."""
    text = re.sub(r"[^0-9A-Za-z]", "", normalise(raw)).upper()
    if len(text) == 11:
        return f"{text[:2]}-{text[2:6]}-{text[6:]}"
    return text
