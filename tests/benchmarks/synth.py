"""A project of N entities made from the real specs, for the scale benchmark and its test.

The repository's own specs come first, unchanged; then copies of whole domains under new domain
codes (``crm`` becomes ``crm2``, ``crm3``...), copy by copy, alternating the tenant and the
manager scope, until the project has at least N entities. A copy keeps its table names (so two
domains of a scope both have ``customers``: the domain is the PostgreSQL schema), renames its
entity classes (``Customer2``: a class name is unique per scope), and points its references at
the copy of the domain they name when that copy exists, else at the original. Documents with
lines, derived totals, numbering, state machines and approvals come along; custom endpoints
(``actions:``) do not, since they need a hand-written router per domain, nor paths mounted
directly under the scope (``path: /tenants``), which are one of a kind.

The project root holds the copied specs and a copy of ``templates/`` and ``runtime/`` (the
OpenAPI document is made from the runtime beside the specs).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SCOPES = ("tenants", "manager")


def _domains(scope: str) -> list[Path]:
    return sorted(p for p in (REPO / "specs" / scope).iterdir() if (p / "_domain.yaml").is_file())


def _entities(domain: Path) -> list[Path]:
    return sorted(p for p in domain.glob("*.yaml") if p.name != "_domain.yaml")


def count_entities() -> int:
    return sum(len(_entities(d)) for s in SCOPES for d in _domains(s))


def _plan(n: int) -> list[tuple[str, Path, int]]:
    """(scope, domain, copy number) of every copied domain, in order, until n entities."""
    total = count_entities()
    plan: list[tuple[str, Path, int]] = []
    copy = 2
    while total < n:
        for scope in SCOPES:
            for domain in _domains(scope):
                if total >= n:
                    return plan
                plan.append((scope, domain, copy))
                total += len(_entities(domain))
        copy += 1
    return plan


def _retarget(text: str, scope: str, copy: int, copied: set[tuple[str, str, int]]) -> str:
    """References ``dom.table`` -> ``domN.table`` where domain dom has copy N in this scope."""

    def sub(m: re.Match[str]) -> str:
        domain = m.group(1)
        return f"{domain}{copy}." if (scope, domain, copy) in copied else m.group(0)

    codes = "|".join(sorted((d.name for d in _domains(scope)), key=len, reverse=True))
    return re.sub(rf"(?<![A-Za-z0-9_.])({codes})\.(?=[a-z])", sub, text)


def _copy_entity(text: str, copy: int) -> str:
    spec = yaml.safe_load(text)
    spec["entity"] = f"V{copy}{spec['entity']}"
    spec.pop("actions", None)  # a custom endpoint needs its hand-written router
    if str(spec.get("path", "")).startswith("/"):  # mounted under the scope: one of each
        spec.pop("path")
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=1000)


def synthesize(root: Path, n: int) -> int:
    """Write a project of at least n entities under root; returns the number of entities."""
    shutil.copytree(REPO / "specs", root / "specs")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(
        REPO / "runtime", root / "runtime", ignore=shutil.ignore_patterns("__pycache__")
    )
    plan = _plan(n)
    copied = {(scope, d.name, copy) for scope, d, copy in plan}
    for scope, domain, copy in plan:
        target = root / "specs" / scope / f"{domain.name}{copy}"
        target.mkdir()
        head = yaml.safe_load((domain / "_domain.yaml").read_text())
        head["code"] = f"{domain.name}{copy}"
        head["label"] = {k: f"{v} {copy}" for k, v in head["label"].items()}
        (target / "_domain.yaml").write_text(yaml.safe_dump(head, allow_unicode=True))
        for entity in _entities(domain):
            text = _retarget(entity.read_text(), scope, copy, copied)
            (target / entity.name).write_text(_copy_entity(text, copy))
    return count_entities() + sum(len(_entities(d)) for _, d, _ in plan)
