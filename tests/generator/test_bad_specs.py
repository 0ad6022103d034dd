"""Bad specs: every problem reported as path:line:col, exit code 2, nothing written."""

from __future__ import annotations

import textwrap

import pytest

from tests.generator.helpers import copy_of, cxg, make_project, snapshot

GOOD_ORDER = """\
entity: Order
label: {ko: 주문, en: Order}
fields:
  order_no: {type: string, max_length: 30, unique: true}
  status: {type: enum, values: [OPEN, CLOSED], default: OPEN}
  product_id: {type: ref, to: shop.products}
"""

CASES = {
    "unknown key": (
        GOOD_ORDER.replace("unique: true}", "uniqe: true}"),
        "specs/manager/shop/orders.yaml:4:44: unknown key 'uniqe' in fields.order_no",
    ),
    "wrong type": (
        GOOD_ORDER.replace("max_length: 30", "max_length: lots"),
        "specs/manager/shop/orders.yaml:4:40: fields.order_no.max_length: Input should be a "
        "valid integer",
    ),
    "unknown field type": (
        GOOD_ORDER.replace("type: string", "type: strng"),
        "specs/manager/shop/orders.yaml:4:20: fields.order_no.type: invalid value 'strng'",
    ),
    "enum default not among the values": (
        GOOD_ORDER.replace("default: OPEN", "default: SHIPPED"),
        "specs/manager/shop/orders.yaml:5:57: fields.status.default: default 'SHIPPED' is not "
        "one of the enum values: OPEN, CLOSED",
    ),
    "items on a field that is not json": (
        GOOD_ORDER.replace("unique: true}", "unique: true, items: permission_code}"),
        "specs/manager/shop/orders.yaml:4:65: fields.order_no.items: 'items' is only for json"
        " fields",
    ),
    "items of an unknown kind": (
        GOOD_ORDER.replace("unique: true}", "unique: true}\n  grants: {type: json, items: code}"),
        "specs/manager/shop/orders.yaml:5:31: fields.grants.items: Input should be"
        " 'permission_code'",
    ),
    "dangling reference": (
        GOOD_ORDER.replace("shop.products", "shop.produce"),
        "specs/manager/shop/orders.yaml:6:31: fields.product_id.to: unknown entity "
        "'shop.produce' in scope 'manager'",
    ),
    "duplicate table": (
        GOOD_ORDER.replace("entity: Order", "entity: Order\ntable: products"),
        "specs/manager/shop/products.yaml:1:1: duplicate table 'shop.products' (already "
        "defined in specs/manager/shop/orders.yaml)",
    ),
    "invalid field name": (
        GOOD_ORDER.replace("order_no:", "Order-No:"),
        "specs/manager/shop/orders.yaml:4:3: invalid field name 'Order-No' (use snake_case)",
    ),
    "invalid class name": (
        GOOD_ORDER.replace("entity: Order", "entity: order"),
        "specs/manager/shop/orders.yaml:1:9: entity: invalid identifier 'order'",
    ),
    "yaml syntax error": (
        GOOD_ORDER.replace(
            "{type: enum, values: [OPEN, CLOSED], default: OPEN}",
            "{type: enum, values: [OPEN, CLOSED, default: OPEN}",
        ),
        "specs/manager/shop/orders.yaml:5:",
    ),
    "duplicate key": (
        GOOD_ORDER + "  order_no: {type: text}\n",
        "specs/manager/shop/orders.yaml:7:3: duplicate key 'order_no'",
    ),
    "example that breaks its own pattern": (
        GOOD_ORDER.replace(
            "max_length: 30,", 'max_length: 30, pattern: "^SO-[0-9]+$", example: "PO-1",'
        ),
        "specs/manager/shop/orders.yaml:4:",
    ),
    "numbering without a counter table": (
        GOOD_ORDER.replace("unique: true}", 'unique: true, numbering: "SO-{yyyy}-{seq:5}"}'),
        "specs/manager/shop/orders.yaml:4:69: fields.order_no.numbering: numbering needs the "
        "counter entity adm.document_sequences in this scope",
    ),
    "numbering with an unknown placeholder": (
        GOOD_ORDER.replace("unique: true}", 'unique: true, numbering: "SO-{yyy}-{seq:5}"}'),
        "fields.order_no.numbering: unknown placeholder {yyy}",
    ),
    "numbers longer than the field": (
        GOOD_ORDER.replace("unique: true}", 'unique: true, numbering: "SO-{yyyy}-{seq:30}"}'),
        "fields.order_no.numbering: {seq:N} takes 1 to 12 digits",
    ),
    "transitions without a status endpoint": (
        GOOD_ORDER.replace("default: OPEN}", "default: OPEN, transitions: {OPEN: [CLOSED]}}"),
        "specs/manager/shop/orders.yaml:5:76: fields.status.transitions: transitions need "
        "status_endpoint: true",
    ),
    "transition to an unknown state": (
        GOOD_ORDER.replace(
            "default: OPEN}",
            "default: OPEN, status_endpoint: true, transitions: {OPEN: [SHIPPED]}}",
        ),
        "fields.status.transitions: 'SHIPPED' is not one of the enum values",
    ),
    "editable without a state machine": (
        GOOD_ORDER.replace("default: OPEN}", "default: OPEN, editable: [OPEN]}"),
        "fields.status.editable: editable needs transitions (a state machine) on this field",
    ),
    "editable without the initial state": (
        GOOD_ORDER.replace(
            "default: OPEN}",
            "default: OPEN, status_endpoint: true, transitions: {OPEN: [CLOSED]},"
            " editable: [CLOSED]}",
        ),
        "fields.status.editable: editable must include the initial state 'OPEN'",
    ),
    "approval into a state no move reaches": (
        GOOD_ORDER.replace("values: [OPEN, CLOSED]", "values: [OPEN, CLOSED, APPROVED]").replace(
            "default: OPEN}",
            "default: OPEN, status_endpoint: true, transitions: {OPEN: [CLOSED]},"
            " approval: {approved: APPROVED}}",
        ),
        "fields.status.approval: no transition moves to 'APPROVED'",
    ),
    "an action named like a generated permission": (
        GOOD_ORDER + "actions:\n  read: {label: {ko: 읽기, en: Read}}\n",
        "specs/manager/shop/orders.yaml:8:3: action 'read' has the name of a generated permission",
    ),
    "python keyword as a field name": (
        GOOD_ORDER + "  class: {type: string, max_length: 20}\n",
        "specs/manager/shop/orders.yaml:7:3: field name 'class' is a Python keyword",
    ),
    "another keyword as a field name": (
        GOOD_ORDER.replace("order_no:", "from:"),
        "specs/manager/shop/orders.yaml:4:3: field name 'from' is a Python keyword",
    ),
    "name pydantic reserves": (
        GOOD_ORDER + "  model_year: {type: integer}\n",
        "specs/manager/shop/orders.yaml:7:3: field name 'model_year' starts with 'model_'",
    ),
    "name of a list parameter": (
        GOOD_ORDER + "  page: {type: integer}\n",
        "specs/manager/shop/orders.yaml:7:3: field name 'page' is a query parameter of every list",
    ),
    "rule on an unknown field": (
        GOOD_ORDER + "checks:\n  - {rule: 'ship_date >= order_no'}\n",
        "specs/manager/shop/orders.yaml:8:12: checks[0]: unknown field 'ship_date'",
    ),
    "rule comparing text with a number": (
        GOOD_ORDER + "checks:\n  - {rule: 'order_no > 5'}\n",
        "checks[0]: '5' is neither a field nor a constant 'order_no' can be compared with",
    ),
    "rule that does not parse": (
        GOOD_ORDER + "checks:\n  - {rule: 'order_no is big'}\n",
        "checks[0]: a rule reads '<field> <op> <field or constant>'",
    ),
    "derived from a field that is not a number": (
        GOOD_ORDER
        + "  qty: {type: integer}\n  total: {type: integer, derived: 'qty * order_no'}\n",
        "fields.total.derived: 'order_no' is not another number field of this entity",
    ),
    "derived sum over lines the entity does not have": (
        GOOD_ORDER + "  total: {type: money, derived: 'sum(items.amount)'}\n",
        "fields.total.derived: 'items' is not a collection of lines of this entity",
    ),
    "mixin column redefined": (
        GOOD_ORDER + "  created_at: {type: datetime}\n",
        "specs/manager/shop/orders.yaml:7:3: field 'created_at' is provided by every table",
    ),
    "the same rule twice after a broken one": (
        GOOD_ORDER
        + "  qty: {type: integer}\nchecks:\n  - {rule: 'ship_date > 0'}\n"
        + "  - {rule: 'qty > 0'}\n  - {rule: 'qty > 0'}\n",
        "specs/manager/shop/orders.yaml:11:12: checks[2]: the same rule twice (qty > 0)",
    ),
    "money default that is not a number": (
        GOOD_ORDER + "  total: {type: money, default: abc}\n",
        "specs/manager/shop/orders.yaml:7:33: fields.total.default: default 'abc' is not a number",
    ),
    "decimal default that is not finite": (
        GOOD_ORDER + "  rate: {type: decimal, default: .inf}\n",
        "specs/manager/shop/orders.yaml:7:34: fields.rate.default: default inf is not a finite "
        "number",
    ),
    "money default too large for its column": (
        GOOD_ORDER + "  total: {type: money, precision: 6, default: 12345}\n",
        "specs/manager/shop/orders.yaml:7:47: fields.total.default: default 12345 does not fit "
        "the column: numeric(6, 2) holds at most 4 digits before the point",
    ),
    "integer default out of range": (
        GOOD_ORDER + "  qty: {type: integer, default: 2147483648}\n",
        "specs/manager/shop/orders.yaml:7:33: fields.qty.default: default 2147483648 is out of "
        "range: integer holds -2147483648 to 2147483647",
    ),
}

# Every kind of rule that names columns names the entity's own fields; a built-in column (the
# row version, the timestamps, the tenant) or an unknown name is refused where it is written.
BUILT_IN = "a column every table has, not a field of this entity"
NAME_CASES = {
    "unique_together naming the row version": (
        GOOD_ORDER + "unique_together:\n  - [product_id, version]\n",
        "specs/manager/shop/orders.yaml:8:18: unique_together[0]: 'version' is the row version,"
        f" raised by every change, {BUILT_IN}; unique_together names declared fields",
    ),
    "unique_together naming an unknown field": (
        GOOD_ORDER + "unique_together:\n  - [product_id, colour]\n",
        "specs/manager/shop/orders.yaml:8:18: unique_together[0]: unknown field 'colour';"
        " unique_together names declared fields",
    ),
    "unique_together naming a field twice": (
        GOOD_ORDER + "unique_together:\n  - [product_id, product_id]\n",
        "specs/manager/shop/orders.yaml:8:18: unique_together[0]: 'product_id' is named twice",
    ),
    "unique_together repeating a unique field": (
        GOOD_ORDER + "unique_together:\n  - [order_no]\n",
        "specs/manager/shop/orders.yaml:8:5: unique_together[0]: the same rule as"
        " fields.order_no.unique",
    ),
    "unique_together on a json field": (
        GOOD_ORDER + "  extra: {type: json}\nunique_together:\n  - [order_no, extra]\n",
        "specs/manager/shop/orders.yaml:9:16: unique_together[0]: 'extra': json fields cannot be"
        " unique or indexed",
    ),
    "index naming the soft-delete flag": (
        GOOD_ORDER + "indexes:\n  - [status, is_deleted]\n",
        "specs/manager/shop/orders.yaml:8:14: indexes[0]: 'is_deleted' is the soft-delete flag"
        f" (unique rules hold among live rows already), {BUILT_IN}; indexes names declared"
        " fields (or created_at, updated_at)",
    ),
    "the same index twice": (
        GOOD_ORDER + "indexes:\n  - [status, created_at]\n  - [status, created_at]\n",
        "specs/manager/shop/orders.yaml:9:5: indexes[1]: the same rule as indexes.0",
    ),
    "rule naming the row version": (
        GOOD_ORDER + "  qty: {type: integer}\nchecks:\n  - {rule: 'version > qty'}\n",
        "specs/manager/shop/orders.yaml:9:12: checks[0]: 'version' is the row version, raised by"
        f" every change, {BUILT_IN}",
    ),
    "rule comparing with a built-in column": (
        GOOD_ORDER + "  due_on: {type: datetime}\nchecks:\n  - {rule: 'due_on >= created_at'}\n",
        "specs/manager/shop/orders.yaml:9:12: checks[0]: 'created_at' is when the row was made,"
        f" {BUILT_IN}",
    ),
    "derived from the row version": (
        GOOD_ORDER + "  qty: {type: integer}\n  total: {type: integer, derived: 'qty * version'}\n",
        "specs/manager/shop/orders.yaml:8:35: fields.total.derived: 'version' is the row version,"
        f" raised by every change, {BUILT_IN}; derived values use its number fields",
    ),
    "display naming a built-in column": (
        GOOD_ORDER + "display: created_by\n",
        "specs/manager/shop/orders.yaml:7:10: display: 'created_by' is who made the row,"
        f" {BUILT_IN}; display names a text field of this entity",
    ),
    "default sort by the row version": (
        GOOD_ORDER + "default_sort: -version\n",
        "specs/manager/shop/orders.yaml:7:15: default_sort: 'version' is the row version, raised"
        f" by every change, {BUILT_IN}; lists sort by fields with sort: true, created_at or"
        " updated_at",
    ),
    "refers_by naming a built-in column": (
        GOOD_ORDER + "  document_id: {type: uuid, refers_by: updated_by}\n",
        "specs/manager/shop/orders.yaml:7:40: fields.document_id.refers_by: 'updated_by' is who"
        f" last changed the row, {BUILT_IN}; refers_by names a string field",
    ),
    "renamed_from naming a built-in column": (
        GOOD_ORDER + "  note: {type: text, required: false, renamed_from: deleted_at}\n",
        "specs/manager/shop/orders.yaml:7:53: fields.note.renamed_from: 'deleted_at' is when the"
        f" row was deleted, {BUILT_IN}; no field was ever called that",
    ),
}
CASES.update(NAME_CASES)
CASES["renamed_from naming a field of the entity"] = (
    GOOD_ORDER + "  note: {type: text, required: false, renamed_from: order_no}\n",
    "specs/manager/shop/orders.yaml:7:53: fields.note.renamed_from: 'order_no' is a field of"
    " this entity; renamed_from names the field's name before the rename",
)
CASES["two fields renamed from one"] = (
    GOOD_ORDER
    + "  note: {type: text, required: false, renamed_from: remark}\n"
    + "  memo: {type: text, required: false, renamed_from: remark}\n",
    "specs/manager/shop/orders.yaml:7:53: fields.note.renamed_from: another field is renamed"
    " from 'remark' too",
)


def test_a_derived_sum_over_a_built_in_column_of_the_lines_is_refused(project):
    """sum(<lines>.<field>) names a field of the line entity, never its row version."""
    before = snapshot(project)
    (project / "specs/manager/shop/orders.yaml").write_text(
        GOOD_ORDER + "  lines_version: {type: integer, default: 0, derived: 'sum(lines.version)'}\n"
    )
    expected = (
        "specs/manager/shop/orders.yaml:7:55: fields.lines_version.derived: 'version' is the row"
        " version, raised by every change, a column every table has, not a field of"
        " shop.order_lines"
    )
    assert refused(project, expected, before) == [expected]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("built"))
    (root / "specs/manager/shop/orders.yaml").write_text(GOOD_ORDER)
    result = cxg(root, "build")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def project(built, tmp_path):
    return copy_of(built, tmp_path)


@pytest.mark.parametrize("case", list(CASES), ids=lambda c: c.replace(" ", "-"))
def test_bad_spec(project, case):
    text, expected = CASES[case]
    before = snapshot(project)
    (project / "specs/manager/shop/orders.yaml").write_text(text)
    for command in ("build", "check"):
        result = cxg(project, command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert expected in result.stderr, result.stderr
        assert "nothing written" in result.stderr
        assert "Traceback" not in result.stderr
    assert snapshot(project) == before  # generated/ untouched


def test_every_problem_in_every_file_at_once(project):
    (project / "specs/manager/shop/orders.yaml").write_text(
        textwrap.dedent("""\
        entity: Order
        label: {ko: 주문, en: Order}
        fields:
          order_no: {type: string, colour: red}
          status: {type: enum, values: [OPEN], default: GONE}
          buyer_id: {type: ref, to: crm.buyers}
        """)
    )
    (project / "specs/manager/shop/extra.yaml").write_text("entity: Extra\nfields: {}\n")
    result = cxg(project, "build")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("specs/")]
    assert lines == sorted(lines)
    assert [line.split(": ")[0] for line in lines] == [
        "specs/manager/shop/extra.yaml:1:1",
        "specs/manager/shop/extra.yaml:2:9",
        "specs/manager/shop/orders.yaml:4:28",
        "specs/manager/shop/orders.yaml:5:49",
        "specs/manager/shop/orders.yaml:6:29",
    ]
    assert "5 problem(s) in specs; nothing written." in result.stderr


def test_a_broken_file_is_reported_once_not_by_every_reference_to_it(project):
    """orders.yaml refers to shop.products; a YAML error in products.yaml is that file's
    problem, not an "unknown entity" in orders.yaml as well."""
    products = project / "specs/manager/shop/products.yaml"
    products.write_text(products.read_text().replace("fields:", "fields: [", 1))
    result = cxg(project, "build")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("specs/")]
    assert len(lines) == 1 and lines[0].startswith("specs/manager/shop/products.yaml:")
    assert "unknown entity" not in result.stderr
    assert "1 problem(s) in specs; nothing written." in result.stderr


def refused(project, expected, before):
    """build and check both refuse with ``expected`` and write nothing; the problem lines."""
    for command in ("build", "check"):
        result = cxg(project, command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert expected in result.stderr, result.stderr
        assert "nothing written" in result.stderr
        assert "Traceback" not in result.stderr
    assert snapshot(project) == before  # generated/ untouched
    return [line for line in result.stderr.splitlines() if line.startswith("specs/")]


def test_a_domain_folder_without_its_domain_file(project):
    """Its entities are not built (no KeyError) and a reference to one of them is not
    reported again as an unknown entity: the missing _domain.yaml is the one problem."""
    before = snapshot(project)
    (project / "specs/tenants/srm").mkdir()
    (project / "specs/tenants/srm/quotes.yaml").write_text(
        "entity: Quote\nlabel: {ko: 견적, en: Quote}\nfields:\n"
        "  quote_no: {type: string, max_length: 30}\n"
    )
    customers = project / "specs/tenants/crm/customers.yaml"
    customers.write_text(customers.read_text() + "  quote_id: {type: ref, to: srm.quotes}\n")
    expected = (
        "specs/tenants/srm/quotes.yaml:1:1: domain 'srm' has no "
        "specs/tenants/srm/_domain.yaml (code and labels)"
    )
    assert refused(project, expected, before) == [expected]


def test_a_broken_domain_file_is_not_reported_missing_as_well(project):
    before = snapshot(project)
    (project / "specs/tenants/crm/_domain.yaml").write_text("code: crm\n")
    expected = "specs/tenants/crm/_domain.yaml:1:1: missing required key 'label'"
    assert refused(project, expected, before) == [expected]


def test_an_enum_without_values_is_reported_once_not_by_its_editable_states(project):
    before = snapshot(project)
    (project / "specs/manager/shop/orders.yaml").write_text(
        GOOD_ORDER.replace(
            "values: [OPEN, CLOSED], default: OPEN}",
            "default: OPEN, status_endpoint: true, transitions: {OPEN: [CLOSED]},"
            " editable: [OPEN]}",
        )
    )
    expected = "specs/manager/shop/orders.yaml:5:18: fields.status.type: enum fields need 'values'"
    assert refused(project, expected, before) == [expected]
