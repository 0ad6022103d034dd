"""The tools around the generator: `new` writes a spec skeleton that builds, `show` prints an
entity as resolved (and its endpoints are the API document's), `--format json` and GitHub
annotations for problems, and `build --watch` rebuilding on every change and stopping on
SIGTERM and on Ctrl-C, however the test runner itself was started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.generator.helpers import REPO, cxg, make_project

BROKEN = "entity: Order\nlabel: {ko: 주문, en: Order}\nfields:\n  order_no: {type: strng}\n"


def test_new_writes_a_skeleton_that_builds_and_never_overwrites(tmp_path):
    root = make_project(tmp_path)
    made = cxg(root, "new", "tenants.fleet.delivery_addresses")
    assert made.returncode == 0, made.stderr
    spec = root / "specs/tenants/fleet/delivery_addresses.yaml"
    text = spec.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../entity.schema.json\n")
    assert "entity: DeliveryAddress\n" in text
    assert (root / "specs/tenants/fleet/_domain.yaml").read_text().startswith("# yaml-language")
    built = cxg(root, "build")
    assert built.returncode == 0, built.stderr
    router = root / "generated/tenants/fleet/delivery_addresses/router.py"
    assert '"fleet.delivery_addresses:create"' in router.read_text()
    spec.write_text(text + "# mine\n")
    again = cxg(root, "new", "tenants.fleet.delivery_addresses")
    assert again.returncode == 1 and spec.read_text().endswith("# mine\n")
    for bad in ("fleet.things", "nowhere.fleet.things", "tenants.Fleet.things"):
        refused = cxg(root, "new", bad)
        assert refused.returncode == 2, bad
    assert not (root / "specs/tenants/Fleet").exists()


def test_show_prints_the_resolved_entity(tmp_path):
    root = make_project(tmp_path)
    shown = cxg(root, "show", "shop.order_lines", "--format", "json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["table"] == "shop.order_lines"
    assert [e["permission"] for e in data["endpoints"]][:2] == [
        "shop.order_lines:read",
        "shop.order_lines:create",
    ]
    assert {"field": "order_id", "to": "shop.orders", "on_delete": "CASCADE"} in data[
        "references_out"
    ]
    orders = json.loads(cxg(root, "show", "manager.shop.orders", "--format", "json").stdout)
    assert {"from": "shop.order_lines", "field": "order_id", "on_delete": "CASCADE"} in orders[
        "references_in"
    ]
    assert orders["lines"] == ["shop.order_lines"]
    plain = cxg(root, "show", "shop.orders")
    assert "references in" in plain.stdout and "shop.order_lines.order_id" in plain.stdout
    assert cxg(root, "show", "shop.nothing").returncode == 2


def test_the_models_endpoints_are_the_api_documents():
    """What `show` lists is what the served API documents: every generated operation of every
    entity, with its path, method and permission code (the repository's own document)."""
    from generator.load.loader import load_project

    document = json.loads((REPO / "generated/openapi.json").read_text())
    served = {
        op["operationId"]: (method.upper(), path, op.get("x-permission"))
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    project = load_project(REPO)
    listed = 0
    for entity in project.entities:
        for endpoint in entity.endpoints:
            method, path, permission = served[endpoint.operation_id]
            if endpoint.operation_id.endswith(tuple(f"_{a.name}" for a in entity.actions)):
                assert (method, permission) == (endpoint.method, endpoint.permission)
            else:
                prefix = f"/api/v1/{entity.scope.name}"
                assert (method, path, permission) == (
                    endpoint.method,
                    prefix + endpoint.path,
                    endpoint.permission,
                )
            listed += 1
    assert listed > 500


def test_problems_as_json_and_as_github_annotations(tmp_path):
    root = make_project(tmp_path)
    (root / "specs/manager/shop/orders.yaml").write_text(BROKEN)
    as_json = cxg(root, "check", "--format", "json")
    assert as_json.returncode == 2
    (problem,) = json.loads(as_json.stdout)["problems"]
    assert problem["file"] == "specs/manager/shop/orders.yaml"
    assert (problem["line"], problem["column"]) == (4, 20)
    assert "strng" in problem["message"]
    annotated = cxg(root, "build", "--format", "github")
    assert annotated.returncode == 2
    assert annotated.stdout.startswith(
        "::error file=specs/manager/shop/orders.yaml,line=4,col=20::fields.order_no.type"
    )
    # under GitHub Actions the text format annotates by itself
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    actions = subprocess.run(
        [sys.executable, "-m", "generator.cli", "check", "--root", str(root)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert actions.returncode == 2
    assert "specs/manager/shop/orders.yaml:4:20:" in actions.stderr
    assert "::error file=specs/manager/shop/orders.yaml,line=4,col=20::" in actions.stdout


def test_check_as_json_lists_the_drift(tmp_path):
    root = make_project(tmp_path)
    assert cxg(root, "build").returncode == 0
    clean = json.loads(cxg(root, "check", "--format", "json").stdout)
    assert clean["ok"] is True and clean["changed"] == []
    (root / "generated/manager/shop/orders/model.py").write_text("# edited by hand\n")
    drift = cxg(root, "check", "--format", "json")
    assert drift.returncode == 1
    assert json.loads(drift.stdout)["changed"] == ["generated/manager/shop/orders/model.py"]


def _wait_for(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


# `cxg-gen build --watch` with Ctrl-C handled as in a terminal's foreground job: a child
# inherits an ignored SIGINT (a background job, `nohup`, a CI step), and the test must not
# depend on how its runner was started.
CTRL_C_AS_IN_A_TERMINAL = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler);"
    " sys.argv[0] = 'cxg-gen'; runpy.run_module('generator.cli', run_name='__main__')"
)


def _watch(root: Path) -> subprocess.Popen:
    """The watch, its standard output in watch.out beside the project (read while it runs)."""
    with open(root.parent / "watch.out", "w") as out:
        return subprocess.Popen(
            [sys.executable, "-c", CTRL_C_AS_IN_A_TERMINAL, "build", "--watch"]
            + ["--root", str(root)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )


def _stop(watcher: subprocess.Popen, signum: int) -> str:
    """Send ``signum`` and collect the output; a watcher still running 30 s later is killed
    (never left behind) and the test fails."""
    if watcher.poll() is None:
        watcher.send_signal(signum)
    try:
        return watcher.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        watcher.kill()
        err = watcher.communicate()[1]
        raise AssertionError(f"the watch ignored signal {signum}: {err[-2000:]}") from None


def test_build_watch_rebuilds_on_every_change_and_stops_on_sigterm(tmp_path):
    root = make_project(tmp_path)
    schemas = root / "generated/manager/shop/orders/schemas.py"
    spec = root / "specs/manager/shop/orders.yaml"
    good = spec.read_text()
    watcher = _watch(root)
    try:
        assert _wait_for(schemas.exists), "the first build did not happen"
        spec.write_text(good + "  courier: {type: string, max_length: 40, required: false}\n")
        assert _wait_for(lambda: "courier" in schemas.read_text()), "no rebuild after an edit"
        spec.write_text(BROKEN)  # reported, and the watch goes on
        time.sleep(1.5)
        spec.write_text(good)
        assert _wait_for(lambda: "courier" not in schemas.read_text()), "the watch stopped"
    finally:
        err = _stop(watcher, signal.SIGTERM)  # what a process manager or CI sends
    assert watcher.returncode == 0, err
    assert "specs/manager/shop/orders.yaml:4:20:" in err
    assert Path(schemas).exists()


def test_build_watch_stops_on_ctrl_c(tmp_path):
    root = make_project(tmp_path)
    watcher = _watch(root)
    try:  # Ctrl-C once the watch loop runs: it says so after its first build
        assert _wait_for(lambda: "\nwatching " in "\n" + (root.parent / "watch.out").read_text())
    finally:
        err = _stop(watcher, signal.SIGINT)
    assert watcher.returncode == 0, err
    assert "Traceback" not in err


def test_a_table_without_operations_gets_its_model_and_nothing_a_client_reaches(tmp_path):
    root = make_project(tmp_path)
    spec = root / "specs/tenants/fleet/one_time_codes.yaml"
    assert cxg(root, "new", "tenants.fleet.one_time_codes").returncode == 0
    spec.write_text(
        "entity: OneTimeCode\nlabel: {ko: 코드, en: Code}\nsoft_delete: false\n"
        "operations: []\nfields:\n  code_hash: {type: secret}\n"
    )
    built = cxg(root, "build")
    assert built.returncode == 0, built.stderr
    made = root / "generated/tenants/fleet/one_time_codes"
    assert sorted(p.name for p in made.iterdir() if p.suffix == ".py") == [
        "__init__.py",
        "model.py",
    ]
    assert "class OneTimeCode(" in (made / "model.py").read_text()
    assert "OneTimeCode" in (root / "generated/tenants/models.py").read_text()
    for scope_file in ("v1.py", "permissions.py", "reads.py"):
        assert "one_time_codes" not in (root / "generated/tenants" / scope_file).read_text()
    # the same table with endpoints again: the files come back
    spec.write_text(spec.read_text().replace("operations: []\n", ""))
    assert cxg(root, "build").returncode == 0
    assert (made / "router.py").is_file() and (made / "schemas.py").is_file()
    assert "one_time_codes" in (root / "generated/tenants/v1.py").read_text()
