"""The plain-address shortcut of addresses.is_address accepts nothing email_validator refuses."""
from __future__ import annotations

import random
import string

from email_validator import EmailNotValidError, validate_email

from forms_backend import addresses


def _library_accepts(value: str) -> bool:
    try:
        validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


def _random_address(rng: random.Random) -> str:
    local_chars = string.ascii_letters + string.digits + "._+-" + "!#$%&'*/=?^`{|}~\"() ,:;<>@[\\]"
    label_chars = string.ascii_letters + string.digits + "-" + "_.@"
    local = "".join(rng.choice(local_chars) for _ in range(rng.choice([1, 2, 5, 20, 63, 64, 65, 70])))
    labels = ["".join(rng.choice(label_chars) for _ in range(rng.choice([1, 2, 3, 4, 10, 62, 63, 64])))
              for _ in range(rng.choice([1, 2, 3, 5]))]
    tld = rng.choice(["com", "cn", "net", "org", "edu", "gov", "COM", "Cn", "test", "local", "arpa", "onion",
                      "invalid", "localhost", "c0m", "123", "xn--fiqs8s", ""])
    return f"{local}@{'.'.join(labels + [tld])}"


def test_every_address_the_shortcut_accepts_the_library_accepts():
    rng = random.Random(20261130)
    taken = 0
    for _ in range(20000):
        value = _random_address(rng)
        if addresses._plain_address(value):
            taken += 1
            assert _library_accepts(value), value
    assert taken > 300  # the generator does reach the shortcut


def test_the_shortcut_and_the_library_agree_on_real_looking_addresses():
    cases = ["zhang.san@example.com", "li_si+guide@qiye.com.cn", "a@b.cn", "X-Y@Mail.Example.ORG",
             "wang@sub-domain.gov.cn", "name@xn--fiqs8s.cn", "ab--cd@example.com", "x@ab--cd.com",
             "x@-bad.com", "x@bad-.com", "x..y@example.com", ".x@example.com", "x.@example.com",
             "x@example", "x@example.c", "x@localhost", "x@example.test", "x@host.local", "张三@例子.中国",
             "x@" + "a" * 64 + ".com", "y" * 65 + "@example.com", "y" * 64 + "@example.com",
             " spaced@example.com ", "quoted\"x@example.com", "【待补充】", ""]
    for value in cases:
        assert addresses.is_address(value) == (_library_accepts(value) and len(value) <= 254), value
