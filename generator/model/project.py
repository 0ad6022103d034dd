"""The tree above the tables: :class:`Project` → :class:`Scope` → :class:`Domain`, and what
each of them decides for its templates (a scope's permission catalog, its operations'
contracts, the order Citus distributes its tables in). Imported from :mod:`generator.model`.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from generator.load.diagnostics import Diagnostic
from generator.model.base import Frozen, ScopeInfo
from generator.model.entity import Entity

if TYPE_CHECKING:
    from generator.model.contract import Operation


class Domain(Frozen):
    scope_name: str
    code: str
    label_ko: str
    label_en: str
    spec_path: str
    entities: tuple[Entity, ...]

    @property
    def diagram_name(self) -> str:
        return f"{self.scope_name}-{self.code}"

    @property
    def diagram_file(self) -> str:
        """The domain's ER document in docs/er/ (the index links to it)."""
        return f"{self.diagram_name}.md"

    @property
    def url_path(self) -> str:
        """The domain's first path segment under its scope (its action router's prefix)."""
        return f"/{self.code}"

    @property
    def actions_module(self) -> str | None:
        """The hand-owned router of the domain's custom endpoints, when any is declared."""
        if any(e.actions for e in self.entities):
            return f"runtime.extensions.{self.scope_name}.{self.code}._actions"
        return None

    @property
    def foreign_refs(self) -> list[str]:
        """Entities of other domains that this domain's entities reference."""
        return sorted(
            {
                f.ref_entity
                for e in self.entities
                for f in e.ref_fields
                if f.ref_entity and not f.ref_entity.startswith(self.code + ".")
            }
        )

    @property
    def foreign_diagram_ids(self) -> list[tuple[str, str]]:
        """(diagram id, key) of each entity of another domain this domain references."""
        return [(key.replace(".", "_"), key) for key in self.foreign_refs]


class Scope(Frozen):
    info: ScopeInfo
    domains: tuple[Domain, ...]

    @property
    def entities(self) -> list[Entity]:
        return [e for d in self.domains for e in d.entities]

    @cached_property
    def _refused(self) -> frozenset[str]:
        from generator.model.contract import restricted

        return restricted(self.entities)

    @property
    def permission_codes(self) -> list[str]:
        """The scope's permission catalog (generated/<scope>/permissions.py), sorted."""
        return sorted(code for e in self.entities for code, _ in e.permissions)

    @property
    def permission_literal(self) -> str:
        """The catalog as the arguments of a ``Literal[...]``."""
        return ", ".join(repr(code) for code in self.permission_codes)

    def operations_of(self, entity: Entity) -> dict[str, Operation]:
        """The contract of each generated operation of ``entity``, by kind (list, create...)."""
        from generator.model.contract import operations

        return {o.endpoint.kind: o for o in operations(entity, self.entities, self._refused)}

    @property
    def model_modules(self) -> dict[str, str]:
        """Each table's model module, by table (``crm.customers``)."""
        return {e.key: f"{e.package}.model" for e in sorted(self.entities, key=lambda e: e.key)}

    @property
    def referrers(self) -> dict[str, list[str]]:
        """Every table that some table's key points at, with the tables whose keys do: what
        the app imports before it settles a delete (runtime.data.referrers)."""
        found: dict[str, set[str]] = {}
        for entity in self.entities:
            for key in entity.foreign_keys:
                found.setdefault(key.references[0].rsplit(".", 1)[0], set()).add(entity.key)
        return {table: sorted(keys) for table, keys in sorted(found.items())}

    @property
    def distribution_order(self) -> list[Entity]:
        """Every entity after the ones it references (then by key): the order in which Citus
        can distribute the tables, since a foreign key needs its target distributed first.
        References that close a cycle are left out of the ordering, not the output."""
        by_table = {e.key: e for e in self.entities}
        placed: dict[str, Entity] = {}

        def place(entity: Entity, path: tuple[str, ...]) -> None:
            if entity.key in placed or entity.key in path:
                return
            for key in sorted(entity.foreign_keys, key=lambda k: k.references[0]):
                target = by_table.get(key.references[0].rsplit(".", 1)[0])
                if target is not None:
                    place(target, (*path, entity.key))
            placed[entity.key] = entity

        for entity in sorted(self.entities, key=lambda e: e.key):
            place(entity, ())
        return list(placed.values())


class Project(Frozen):
    scopes: tuple[Scope, ...]
    warnings: tuple[Diagnostic, ...] = ()  # what build and check say, with exit 0

    @property
    def entities(self) -> list[Entity]:
        return [e for s in self.scopes for e in s.entities]
