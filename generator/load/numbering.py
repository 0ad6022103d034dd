"""The document number format of the spec language: ``SO-{yyyy}{mm}-{seq:5}``.

The generator validates a format here and compiles it for the runtime into a strftime
template with one ``{seq}`` marker plus the sequence width (``"SO-%Y%m-{seq}"``, 5), so the
runtime never parses the spec language.
"""

from __future__ import annotations

import re
from datetime import date

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
DATE_PARTS = {"yyyy": "%Y", "yy": "%y", "mm": "%m", "dd": "%d"}
SEQ = re.compile(r"^seq:(\d{1,2})$")
COUNTERS = "adm.document_sequences"  # the entity keeping the counters (runtime.logic.numbering)
WIDEST_DAY = date(2099, 12, 31)


def problem(fmt: str) -> str | None:
    """Why ``fmt`` is not a valid number format, or None."""
    names = PLACEHOLDER.findall(fmt)
    unknown = [n for n in names if n not in DATE_PARTS and not SEQ.match(n)]
    if unknown:
        return f"unknown placeholder {{{unknown[0]}}} (use {{yyyy}} {{yy}} {{mm}} {{dd}} {{seq:N}})"
    if len([n for n in names if SEQ.match(n)]) != 1:
        return "the format needs exactly one {seq:N}"
    if not 1 <= width(fmt) <= 12:
        return "{seq:N} takes 1 to 12 digits"
    literal = PLACEHOLDER.sub("", fmt)
    if "{" in literal or "}" in literal:
        return "unbalanced braces"
    return None


def width(fmt: str) -> int:
    for name in PLACEHOLDER.findall(fmt):
        match = SEQ.match(name)
        if match:
            return int(match.group(1))
    return 0


def template(fmt: str) -> str:
    """strftime template with a ``{seq}`` marker: what the generated service hands over."""
    parts, last = [], 0
    for match in PLACEHOLDER.finditer(fmt):
        parts.append(fmt[last : match.start()].replace("%", "%%"))
        name = match.group(1)
        parts.append(DATE_PARTS.get(name, "{seq}"))
        last = match.end()
    parts.append(fmt[last:].replace("%", "%%"))
    return "".join(parts)


def render(fmt: str, day: date, value: int) -> str:
    """The number ``fmt`` gives on ``day`` for counter ``value`` (as the runtime renders it)."""
    return day.strftime(template(fmt)).replace("{seq}", str(value).zfill(width(fmt)))
