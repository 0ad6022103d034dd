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
