"""`cxg-gen new <scope>.<domain>.<table>`: a spec skeleton with the conventions filled in.

The skeleton loads as it is (a code, a name and a status, labels in both languages), so
`cxg-gen build` serves it at once; comments show the next things people usually add. A
domain met for the first time gets its ``_domain.yaml`` too. Nothing is ever overwritten.
"""

from __future__ import annotations

import re
from pathlib import Path

from generator.load.naming import singular
from generator.model import SCOPES
from generator.model.types import MIXIN_COLUMNS

NAME = re.compile(r"^[a-z][a-z0-9_]*$")

DOMAIN = """\
# yaml-language-server: $schema=../../domain.schema.json
code: {domain}
label: {{ko: {title}, en: {title}}}  # ko: the Korean name shown in the API's tags
description: What the {domain} domain holds.
"""

ENTITY = """\
# yaml-language-server: $schema=../../entity.schema.json
entity: {cls}
label: {{ko: {title}, en: {title}}}  # ko: the Korean name shown in tags, docs and messages
description: What one row of {domain}.{table} is.
# soft_delete: true is the default: deleted rows are hidden and their unique values freed
fields:
  code: {{type: string, max_length: 50, unique: true, search: true, sort: true, label: {{ko: 코드, en: Code}}}}
  name: {{type: string, max_length: 200, search: true, sort: true, label: {{ko: 이름, en: Name}}}}
  status: {{type: enum, values: [ACTIVE, INACTIVE], default: ACTIVE, filter: true, status_endpoint: true, label: {{ko: 상태, en: Status}}}}
# A reference:      customer_id: {{type: ref, to: crm.customers, on_delete: restrict, filter: true}}
# A line of a header (POST /<headers>/{{id}}/<lines>, created with the header):
#                   order_id: {{type: ref, to: <domain>.orders, on_delete: cascade, parent: true}}
# A state machine:  transitions: {{ACTIVE: [INACTIVE], INACTIVE: [ACTIVE]}} on the status field
# Provided by every table, never declared here: {mixins}
"""


def class_name(table: str) -> str:
    return "".join(part.capitalize() for part in singular(table).split("_"))


def title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def target(root: Path, dotted: str) -> tuple[str, str, str]:
    """(scope, domain, table) of ``<scope>.<domain>.<table>``; ValueError says what is wrong."""
    parts = dotted.split(".")
    if len(parts) != 3:
        raise ValueError(f"'{dotted}': write <scope>.<domain>.<table>, e.g. tenants.crm.visits")
    scope, domain, table = parts
    if scope not in SCOPES:
        raise ValueError(f"unknown scope '{scope}' ({' or '.join(SCOPES)})")
    for what, name in (("domain", domain), ("table", table)):
        if not NAME.match(name) or len(name) > 63:
            raise ValueError(f"{what} '{name}' must be snake_case (a-z, 0-9, _)")
    return scope, domain, table


def write(root: Path, dotted: str) -> list[Path]:
    """The files written (the domain's first), or FileExistsError for an existing spec."""
    scope, domain, table = target(root, dotted)
    folder = root / "specs" / scope / domain
    spec = folder / f"{table}.yaml"
    if spec.exists():
        raise FileExistsError(spec)
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "_domain.yaml").exists():
        (folder / "_domain.yaml").write_text(DOMAIN.format(domain=domain, title=title(domain)))
        written.append(folder / "_domain.yaml")
    mixins = ", ".join(sorted(MIXIN_COLUMNS))
    spec.write_text(
        ENTITY.format(
            cls=class_name(table),
            title=title(singular(table)),
            domain=domain,
            table=table,
            mixins=mixins,
        )
    )
    written.append(spec)
    return written
