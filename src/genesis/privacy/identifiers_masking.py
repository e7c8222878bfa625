"""Masked examples for scan findings: the shape of a matching value, never the value itself.

A finding carries one example so a reviewer can see what matched (`***-**-6789`,
`j***@e***.com`, `2020-**-**`). Each style keeps at most the part that identifies
the least. That is the last four digits of a number, the first letter of each part
of an address, or the year of a date, which Safe Harbor permits. For ZIP codes it is
the first three digits, permitted where the area has more than 20,000 people.
`mask_value` ends with a guard: a result that still contains the whole value, or no
mask character, is replaced by stars.
"""

from __future__ import annotations

import re

MASK = "*"
MAX_EXAMPLE_LENGTH = 32

_YEAR = re.compile(r"[12][0-9]{3}")
_DIGIT = re.compile(r"[0-9]")
_WORD = re.compile(r"[A-Za-z]{2,}")
_URL_PARTS = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?P<host>[^/?#]*)(?P<rest>.*)$")


def mask_value(text: str, style: str) -> str:
    """Return `text` masked in `style` ("last4", "email", "url", "ip", "zip", "date", "mac", "vin",
    "code", "words" or "image"); an unknown style masks like "code"."""
    masker = _MASKERS.get(style, _mask_code)
    masked = masker(text)
    return _shorten(_ensure_masked(masked, text))


def _mask_last4(text: str) -> str:
    return _mask_alnum_except(text, keep=lambda index, total: index >= total - 4)


def _mask_code(text: str) -> str:
    return _mask_alnum_except(text, keep=lambda index, total: index == 0 and total > 1)


def _mask_zip(text: str) -> str:
    return _mask_alnum_except(text, keep=lambda index, total: index < 3 and total > 3)


def _mask_mac(text: str) -> str:
    return _mask_alnum_except(text, keep=lambda index, total: index < 6)


def _mask_vin(text: str) -> str:
    return _mask_alnum_except(text, keep=lambda index, total: index < 3)


def _mask_email(text: str) -> str:
    local, _, domain = text.partition("@")
    host, dot, top_level = domain.rpartition(".")
    if not dot:
        return f"{local[:1]}***@{domain[:1]}***"
    return f"{local[:1]}***@{host[:1]}***.{top_level}"


def _mask_url(text: str) -> str:
    parts = _URL_PARTS.match(text)
    if parts is None:
        return _mask_code(text)
    host = parts["host"]
    prefix = "www." if host.lower().startswith("www.") else ""
    host = host[len(prefix):]
    name, dot, top_level = host.rpartition(".")
    masked_host = f"{name[:1]}***.{top_level}" if dot else f"{host[:1]}***"
    rest = "/***" if parts["rest"] else ""
    return f"{parts['scheme'] or ''}{prefix}{masked_host}{rest}"


def _mask_ip(text: str) -> str:
    if ":" in text:
        return text.split(":", 1)[0] + ":****:****"
    return text.split(".", 1)[0] + ".***.***.***"


def _mask_date(text: str) -> str:
    """Keep the first four-digit year, which Safe Harbor allows; mask the other digits and month names.

    Single letters such as the ISO 8601 "T" and "Z" stay, so the format remains readable.
    """
    year = _YEAR.search(text)
    if year is None:
        return _mask_date_part(text)
    return _mask_date_part(text[: year.start()]) + year.group() + _mask_date_part(text[year.end():])


def _mask_date_part(text: str) -> str:
    return _DIGIT.sub(MASK, _WORD.sub(MASK * 3, text))


def _mask_words(text: str) -> str:
    return " ".join(f"{word[:1]}***" for word in text.split())


def _mask_image(text: str) -> str:
    _, dot, extension = text.rpartition(".")
    return f"***.{extension}" if dot else "***"


def _mask_alnum_except(text: str, keep) -> str:
    """Replace each letter and digit by the mask character unless `keep(index, total)` is true.

    `index` counts letters and digits only, so separators such as `-`, `(` or `:` stay in place.
    """
    total = sum(character.isalnum() for character in text)
    masked = []
    index = 0
    for character in text:
        if character.isalnum():
            masked.append(character if keep(index, total) else MASK)
            index += 1
        else:
            masked.append(character)
    return "".join(masked)


def _ensure_masked(masked: str, text: str) -> str:
    if MASK not in masked or (text and text in masked):
        return MASK * min(max(len(text), 1), 8)
    return masked


def _shorten(masked: str) -> str:
    if len(masked) <= MAX_EXAMPLE_LENGTH:
        return masked
    return masked[: MAX_EXAMPLE_LENGTH - 3] + "..."


_MASKERS = {
    "last4": _mask_last4,
    "email": _mask_email,
    "url": _mask_url,
    "ip": _mask_ip,
    "zip": _mask_zip,
    "date": _mask_date,
    "mac": _mask_mac,
    "vin": _mask_vin,
    "code": _mask_code,
    "words": _mask_words,
    "image": _mask_image,
}
