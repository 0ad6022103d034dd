"""Templates only loop and substitute: every name and every piece of text they write comes
whole from the typed model (generator/model), where it is defined once for the routers, the
schemas, the API document and the ER documents alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).parents[2] / "templates"

# a name or a path made of parts: text glued to a substitution, or two substitutions glued
GLUED = re.compile(r"[A-Za-z0-9_]\{\{|\}\}[A-Za-z0-9_]|\}\}[./:-]?\{\{")
# string building inside an expression or a statement
BUILDING = re.compile(
    r"~|\+\s*['\"]|['\"]\s*\+|\.(replace|format|join|split|upper|lower|title|capitalize)\("
    r"|\|\s*(replace|format|join|title|upper|lower|capitalize)\b"
)
JINJA = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}", re.S)
COMMENT = re.compile(r"\{#.*?#\}", re.S)


def problems(text: str) -> list[str]:
    """Each line of ``text`` that assembles a name or a string, with what it does."""
    text = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if GLUED.search(line):
            found.append(f"{number}: names by parts: {line.strip()}")
        for match in JINJA.finditer(line):
            if BUILDING.search(match.group(0)):
                found.append(f"{number}: builds a string: {line.strip()}")
    return found


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.j2")))
def test_a_template_assembles_no_name_and_no_string(template):
    assert problems((TEMPLATES / template).read_text()) == []


@pytest.mark.parametrize(
    "line",
    [
        "async def list_{{ o.plural }}(",
        "class {{ o.schema_name }}Response(Base):",
        "    {{ f.name }}_from: int",
        "at {{ o.scope.name }}{{ o.url_path }}",
        "{{ o.scope.name + '_' + o.domain }}",
        "{{ o.scope.name ~ o.domain }}",
        "{{ targets | join(', ') }}",
        "{{ o.key.replace('.', '_') }}",
        "{% set name = 'list_' + o.plural %}",
    ],
)
def test_the_rule_sees_each_way_of_assembling(line):
    assert problems(line), line


def test_substitution_loops_and_comments_pass():
    assert not problems(
        "{# made of parts_{{ here }} #}\n"
        "{% for f in o.fields %}    {{ f.name }}: {{ f.api_type }} = Field(title={{ f.title | pyrepr }})\n"
        "{% endfor %}MOVES = {{ o.class_name }}.__lifecycle__.moves  # 1 + 1\n"
    )
