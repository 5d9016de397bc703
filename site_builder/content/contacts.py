"""Contacts as readers see them: (label, value) lines for the home page and the footer that
``footer_contacts`` (site.yml) puts on every guide and backend page."""
from __future__ import annotations

from . import model


def contact_lines(c) -> list[tuple[str, str]]:
    lines = []
    for attr, label in (("phone", "电话"), ("email", "电子邮箱"), ("address", "地址"),
                        ("hours", "办公时间"), ("url", "网址")):
        value = getattr(c, attr, None)
        if value:
            if attr == "url" and str(value).startswith("http"):
                value = f"<{value}>"
            lines.append((label, value))
    return lines


def footer_contacts(site: model.Site | None) -> list[dict]:
    """The contacts named in ``footer_contacts``, as {name, lines: [[label, value]]}; values that are
    still placeholders are left out (a footer of 【待补充】 helps no reader)."""
    out = []
    for name in (site.footer_contacts if site else []):
        contact = next((c for c in site.contacts if c.name == name), None)
        if contact is None:
            continue
        lines = [[label, str(value).strip("<>")] for label, value in contact_lines(contact)
                 if model.PLACEHOLDER not in str(value)]
        if lines:
            out.append({"name": contact.name, "lines": lines})
    return out
