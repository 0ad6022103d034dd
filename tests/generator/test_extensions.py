"""`cxg-gen extend` writes an entity's hand-owned module once; `build` never touches it, and
`build` and `check` refuse, before writing anything, what the app would refuse to start with
(a module whose entity is gone, an unknown or synchronous hook, an undeclared action)."""

from __future__ import annotations

from tests.generator.helpers import cxg, make_project, snapshot

MODULE = "runtime/extensions/manager/shop/orders.py"


def test_an_extension_module_survives_every_build(tmp_path):
    root = make_project(tmp_path)
    assert cxg(root, "build").returncode == 0
    made = cxg(root, "extend", "manager", "shop.orders")
    assert made.returncode == 0, made.stderr
    module = root / MODULE
    assert "async def before_update" in module.read_text()
    assert (root / "runtime/extensions/manager/shop/__init__.py").is_file()
    mine = module.read_text() + "\nRULE = 'hand-written'\n"
    module.write_text(mine)
    for _ in range(2):
        assert cxg(root, "build").returncode == 0
    assert cxg(root, "check").returncode == 0
    assert module.read_text() == mine
    again = cxg(root, "extend", "manager", "shop.orders")
    assert again.returncode == 1 and "yours to edit" in again.stderr.replace("\n", " ")
    assert module.read_text() == mine
    unknown = cxg(root, "extend", "manager", "shop.nothing")
    assert unknown.returncode == 2


def test_build_and_check_refuse_a_module_whose_entity_is_gone(tmp_path):
    root = make_project(tmp_path)
    assert cxg(root, "build").returncode == 0
    ghost = root / "runtime/extensions/manager/shop/ghosts.py"
    ghost.parent.mkdir(parents=True)
    ghost.write_text("async def before_create(ctx, values):\n    pass\n")
    before = snapshot(root)
    for command in ("build", "check"):
        result = cxg(root, command)
        assert result.returncode == 2, result.stderr
        assert (
            "runtime/extensions/manager/shop/ghosts.py:1:1: hook module of shop.ghosts, an entity"
            " specs/manager does not have (specs/manager/shop/ghosts.yaml is gone)"
        ) in result.stderr
        assert "1 problem(s) in hand-owned modules; nothing written." in result.stderr
    assert snapshot(root) == before


HOOKS_BROKEN = """\
from runtime.logic.extend import Context


async def before_create(ctx: Context, values: dict) -> None:
    pass


def before_update(ctx, row, values):
    pass


async def before_save(ctx, values):
    pass
"""


def test_hooks_that_the_app_would_refuse_are_found_before_writing(tmp_path):
    """A hook that is not one of the four, or not a coroutine, and a module that does not
    parse: each located, all at once, nothing written."""
    root = make_project(tmp_path)
    assert cxg(root, "build").returncode == 0
    assert cxg(root, "extend", "manager", "shop.orders").returncode == 0
    assert cxg(root, "extend", "manager", "shop.products").returncode == 0
    (root / MODULE).write_text(HOOKS_BROKEN)
    (root / "runtime/extensions/manager/shop/products.py").write_text("async def before_(:\n")
    spec = root / "specs/manager/shop/orders.yaml"
    spec.write_text(spec.read_text().replace("Order}", "Purchase order}"))  # a change to write
    before = snapshot(root)
    result = cxg(root, "build")
    assert result.returncode == 2, result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("runtime/")]
    assert problems == [
        f"{MODULE}:8:1: hooks are awaited: write `async def before_update`",
        f"{MODULE}:12:1: unknown hook before_save (hooks: before_create, before_update,"
        " before_delete, after_write)",
        "runtime/extensions/manager/shop/products.py:1:19: syntax error: invalid syntax",
    ]
    assert "3 problem(s) in hand-owned modules; nothing written." in result.stderr
    assert snapshot(root) == before


def test_the_generator_knows_the_runtime_s_hooks():
    from generator.load.handowned import HOOKS
    from runtime.logic.extend import HOOKS as RUNTIME_HOOKS

    assert HOOKS == RUNTIME_HOOKS


def test_a_domain_action_router_is_required_written_once_and_survives(tmp_path):
    root = make_project(tmp_path)
    spec = root / "specs/manager/shop/orders.yaml"
    plain = spec.read_text()
    spec.write_text(plain + "actions:\n  ship: {label: {ko: 출고, en: Ship}}\n")
    refused = cxg(root, "build")
    assert refused.returncode == 2
    assert (
        "specs/manager/shop/orders.yaml:7:1: actions need their router:"
        " runtime/extensions/manager/shop/_actions.py is missing"
        " (`cxg-gen extend manager shop` writes it)"
    ) in refused.stderr
    assert not (root / "generated").exists()  # nothing written
    assert cxg(root, "extend", "manager", "shop").returncode == 0
    router = root / "runtime/extensions/manager/shop/_actions.py"
    written = router.read_text()
    assert '@router.action("orders", "ship", "/orders/{row_id}/ship")' in written
    mine = written.replace('raise NotImplementedError("shop.orders:ship")', "return None  # mine")
    assert mine != written
    router.write_text(mine)
    for _ in range(2):
        assert cxg(root, "build").returncode == 0
    assert cxg(root, "check").returncode == 0
    assert router.read_text() == mine
    assert cxg(root, "extend", "manager", "shop").returncode == 1  # never overwritten
    assert router.read_text() == mine
    v1 = (root / "generated/manager/v1.py").read_text()
    assert '"runtime.extensions.manager.shop._actions"' in v1
    catalog = (root / "generated/manager/permissions.py").read_text()
    assert 'PermissionDef("shop.orders:ship", "주문 출고")' in catalog
    # an action the spec does not declare: the app would refuse the router at import
    router.write_text(
        mine + '\n\n@router.action("orders", "refund", "/orders/{row_id}/refund")\n'
        "async def refund(row_id): ...\n"
    )
    undeclared = cxg(root, "build")
    assert undeclared.returncode == 2
    line = (
        router.read_text()
        .splitlines()
        .index('@router.action("orders", "refund", "/orders/{row_id}/refund")')
    )
    assert (
        f"runtime/extensions/manager/shop/_actions.py:{line + 1}:2: shop.orders:refund is not"
        " declared: add `actions: {refund: ...}` to specs/manager/shop/orders.yaml"
    ) in undeclared.stderr
    router.write_text(mine)
    # the spec no longer declares the action: build and check name the router left behind
    spec.write_text(plain)
    before = snapshot(root)
    for command in ("build", "check"):
        orphan = cxg(root, command)
        assert orphan.returncode == 2
        assert (
            "runtime/extensions/manager/shop/_actions.py:1:1: action router of manager.shop,"
            " whose specs declare no actions any more"
        ) in orphan.stderr
    assert snapshot(root) == before
