"""`cxg-gen extend` writes an entity's hand-owned module once; `build` never touches it and
`check` knows it (a module whose entity is gone is an error)."""

from __future__ import annotations

from tests.generator.helpers import cxg, make_project

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


def test_check_names_a_module_whose_entity_is_gone(tmp_path):
    root = make_project(tmp_path)
    assert cxg(root, "build").returncode == 0
    ghost = root / "runtime/extensions/manager/shop/ghosts.py"
    ghost.parent.mkdir(parents=True)
    ghost.write_text("async def before_create(ctx, values):\n    pass\n")
    result = cxg(root, "check")
    assert result.returncode == 1
    assert (
        "runtime/extensions/manager/shop/ghosts.py: no entity shop.ghosts in specs/manager"
        in result.stderr
    )


def test_a_domain_action_router_is_required_written_once_and_survives(tmp_path):
    root = make_project(tmp_path)
    spec = root / "specs/manager/shop/orders.yaml"
    plain = spec.read_text()
    spec.write_text(plain + "actions:\n  ship: {label: {ko: 출고, en: Ship}}\n")
    refused = cxg(root, "build")
    assert refused.returncode == 1
    assert "runtime/extensions/manager/shop/_actions.py is missing" in refused.stderr
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
    # the spec no longer declares the action: check names the router it leaves behind
    spec.write_text(plain)
    assert cxg(root, "build").returncode == 0
    orphan = cxg(root, "check")
    assert orphan.returncode == 1
    assert "_actions.py: no entity of specs/manager/shop declares actions" in orphan.stderr
