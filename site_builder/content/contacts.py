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


def known(value) -> bool:
    """A contact value a reader can use: given and no longer 【待补充】."""
    return bool(value) and model.PLACEHOLDER not in str(value)


def supervision_channels(site: model.Site | None) -> list[dict]:
    """The supervision channels a reader can reach some other way, as {name, phone, email} with
    only the values that are known. A channel without a known phone or email is left out: one
    whose values are still 【待补充】 (the 意见箱 read "服务监督电话 【待补充】 【待补充】"), and the
    in-system ones with none (the 意见箱 page listed "意见箱（在线留言）" as another way to reach it)."""
    out = []
    for c in (site.supervision if site else []):
        phone, email = (v if known(v) else "" for v in (c.phone, c.email))
        if phone or email:
            out.append({"name": c.name, "phone": phone, "email": email})
    return out


def footer_contacts(site: model.Site | None) -> list[dict]:
    """The contacts named in ``footer_contacts``, as {name, lines: [[label, value]]}; values that are
    still placeholders are left out (a footer of 【待补充】 helps no reader)."""
    out = []
    for name in (site.footer_contacts if site else []):
        contact = next((c for c in site.contacts if c.name == name), None)
        if contact is None:
            continue
        lines = [[label, str(value).strip("<>")] for label, value in contact_lines(contact)
                 if known(value)]
        if lines:
            out.append({"name": contact.name, "lines": lines})
    return out
