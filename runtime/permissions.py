"""Permission codes: ``<domain>.<table>:<action>``, catalogued per scope by the generator."""

from __future__ import annotations

from typing import NamedTuple


class PermissionDef(NamedTuple):
    code: str
    label: str
