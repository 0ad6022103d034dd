"""The built wheel is a complete generator: it carries the templates and the migrations, and,
installed in an environment of its own, `cxg-gen build` on a copy of specs/ (with the
hand-owned modules they call for) in a folder with no templates or runtime writes the same
bytes as the repository's generated/.

The wheel is built from the checkout by `python -m build` (in an isolated environment of its
own). The environment it is installed in is a fresh venv whose site-packages reach the
project's dependencies through a .pth line (so nothing more is downloaded), but not the
checkout: the code that runs is the wheel's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

from tests.generator.helpers import REPO


def _files(root: Path, folder: str) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / folder).rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_a_wheel_builds_specs_anywhere_to_the_same_bytes(tmp_path):
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = dist.glob("cxg_gen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {n for n in names if n.startswith("generator/templates/") and n.endswith(".j2")}
    assert {f"generator/templates/{p.name}" for p in (REPO / "templates").glob("*.j2")} == templates
    for shipped in (
        "runtime/migrations/tenant/env.py",
        "runtime/migrations/manager/script.py.mako",
        "runtime/migrations/tenant/versions/0011_products_name_their_unit_and_category_.py",
        "generated/openapi.json",
    ):
        assert shipped in names, shipped

    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # the project's dependencies, without processing that folder's .pth files (which would
    # bring back the checkout through the editable install)
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]

    # a project of its own: its specs, and the hand-owned modules they call for (the actions
    # of apm); no templates, no generator, no runtime core
    elsewhere = tmp_path / "project"
    shutil.copytree(REPO / "specs", elsewhere / "specs")
    shutil.copytree(REPO / "runtime/extensions", elsewhere / "runtime/extensions")
    where = subprocess.run(
        [python, "-c", "import generator; print(generator.__file__)"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
    )
    assert where.stdout.startswith(str(site)), where.stdout  # the wheel's code, not the checkout's
    result = subprocess.run(
        [python, "-m", "generator.cli", "build"], capture_output=True, text=True, cwd=elsewhere
    )
    assert result.returncode == 0, result.stderr[-2000:]
    ours = {
        k: v
        for k, v in _files(REPO, "generated").items()
        # the document is made by the runtime of a full checkout; the manifest records what
        # each project's build read (this one has hand-owned modules too) and wrote
        if not k.startswith(("generated/openapi.", "generated/manifest."))
    }
    theirs = {k: v for k, v in _files(elsewhere, "generated").items() if "manifest." not in k}
    assert "generated/manifest.json" in _files(elsewhere, "generated")
    assert theirs == ours
    assert _files(elsewhere, "docs/er") == _files(REPO, "docs/er")
