"""YAML with positions: plain Python values plus where each key and value was written.

PyYAML's composed nodes carry marks; we walk them ourselves so that duplicate keys are
errors (PyYAML keeps the last one silently) and so that a validation error on
``fields.email.type`` can point at the line where that value stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Loc = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column


@dataclass
class SourceMap:
    """Positions of values and keys in one YAML document, by path."""

    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)

    def value(self, loc: Loc) -> Position:
        """Position of the value at ``loc``, or of its nearest enclosing value."""
        while loc not in self.values and loc:
            loc = loc[:-1]
        return self.values.get(loc, (1, 1))

    def key(self, loc: Loc) -> Position:
        """Position of the key that names ``loc`` (falls back to the value)."""
        return self.keys.get(loc) or self.value(loc)


class YamlProblem(Exception):
    def __init__(self, line: int, col: int, message: str):
        self.line, self.col, self.message = line, col, message
        super().__init__(message)


def _pos(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    def __init__(self) -> None:
        self.source = SourceMap()
        self.problems: list[YamlProblem] = []
        self._constructor = yaml.SafeLoader("")  # only used to resolve scalar tags

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.source.values[loc] = _pos(node)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build_scalar(key_node)
                if not isinstance(key, str | int):
                    self.problems.append(YamlProblem(*_pos(key_node), "mapping keys must be text"))
                    continue
                if key in result:
                    self.problems.append(YamlProblem(*_pos(key_node), f"duplicate key '{key}'"))
                    continue
                self.source.keys[(*loc, key)] = _pos(key_node)
                result[key] = self.build(value_node, (*loc, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self.build_scalar(node)

    def build_scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.problems.append(YamlProblem(*_pos(node), "expected a plain value here"))
            return None
        return self._constructor.construct_object(node, deep=True)


FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document; raise :class:`YamlProblem` for syntax errors and duplicates."""
    try:
        try:  # libyaml when it is there: several times faster, with the same marks
            node = yaml.compose(text, Loader=FAST_LOADER)
        except yaml.MarkedYAMLError:  # ... but the pure loader words its errors for people
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlProblem(line, col, f"YAML syntax error: {exc.problem or exc}") from None
    if node is None:
        return None, SourceMap()
    builder = _Builder()
    data = builder.build(node, ())
    if builder.problems:
        raise builder.problems[0]
    return data, builder.source
