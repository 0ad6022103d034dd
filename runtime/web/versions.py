"""Optimistic concurrency: every row's version, sent as its ETag and checked from If-Match.

Each row has a ``version`` that every change raises by one (runtime.data.crud, and the sign-in
statements that change accounts and sessions). Single-row answers carry ``ETag: "<version>"``.
PATCH, status changes and DELETE honour ``If-Match``: the row is locked, its version compared,
and a mismatch is 412 ``STALE_VERSION`` with nothing changed. ``If-Match: *`` or no header at
all means no condition. Tags are strong; a weak or malformed one can never match (RFC 9110
13.1.1), so it is a 412 too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from runtime.web.errors import StaleVersionError

Expected = frozenset[str] | None  # the tags If-Match accepts; None: any


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> Expected:
    if value is None or value.strip() == "*":
        return None
    return frozenset(tag.strip() for tag in value.split(",") if tag.strip())


def check(version: int, expected: Expected) -> None:
    if expected is not None and etag(version) not in expected:
        raise StaleVersionError(detail={"current": etag(version), "if_match": sorted(expected)})


def _if_match(
    if_match: Annotated[
        str | None,
        Header(
            description='Change only if the row still has this ETag (`"3"`); 412 otherwise.',
            max_length=1000,
        ),
    ] = None,
) -> Expected:
    return parse_if_match(if_match)


IfMatch = Annotated[Expected, Depends(_if_match)]
