"""The build manifest: a build with nothing to do renders nothing, and nothing it records can
hide a change (a spec, a template, a hand edit, a removed file)."""

from __future__ import annotations

import json

from tests.generator.helpers import cxg, make_project, snapshot


def test_a_second_build_reads_and_writes_nothing_new(tmp_path):
    root = make_project(tmp_path)
    assert cxg(root, "build").returncode == 0
    manifest = json.loads((root / "generated/manifest.json").read_text())
    before = snapshot(root)
    again = cxg(root, "build")
    assert again.returncode == 0
    assert " 0 written, 0 removed" in again.stdout
    assert f"{manifest['entities']} entities, {manifest['files']} files" in again.stdout
    assert snapshot(root) == before  # not even rewritten with the same bytes


def test_spec_template_and_hand_edits_are_each_seen(tmp_path):
    root = make_project(tmp_path)
    assert cxg(root, "build").returncode == 0

    model = next((root / "generated").rglob("model.py"))
    model.write_text(model.read_text() + "# edited by hand\n")
    stale = cxg(root, "check", "-q")
    assert stale.returncode == 1 and model.relative_to(root).as_posix() in stale.stderr
    assert " 1 written" in cxg(root, "build").stdout
    assert "# edited by hand" not in model.read_text()

    spec = next((root / "specs").rglob("orders.yaml"))
    spec.write_text(spec.read_text().replace("label: {ko: 주문,", "label: {ko: 주문서,", 1))
    assert cxg(root, "check", "-q").returncode == 1
    assert cxg(root, "build").returncode == 0
    assert cxg(root, "check").returncode == 0

    template = root / "templates/model.py.j2"
    template.write_text(template.read_text() + "\n# a template change\n")
    assert cxg(root, "check", "-q").returncode == 1
    assert cxg(root, "build").returncode == 0
    assert "# a template change" in model.read_text()

    outside = root / "docs/citus/tenants.sql"
    if outside.is_file():  # a file outside generated/ counts too
        outside.unlink()
        assert cxg(root, "check", "-q").returncode == 1


def test_check_full_renders_even_when_the_manifest_matches(tmp_path):
    root = make_project(tmp_path)
    assert cxg(root, "build").returncode == 0
    assert cxg(root, "check", "--full").returncode == 0
    (root / "generated/manifest.json").unlink()
    assert cxg(root, "check").returncode == 0  # the long way still says clean
