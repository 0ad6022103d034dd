"""The README's first steps, as a reader runs them (bash, curl, python3, `cxg-gen
create-admin`) against a real server: twice, since people run a script again. The first run
makes everything and prints what the README says; the second looks up what exists, says
what was refused (the error's code and message, no traceback) and makes a second order."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime

from tests.contract.tools import ROOT, served


def _first_steps() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## First steps after `serve`") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return block.group(1)


def test_the_readme_first_steps_run_twice(tmp_path_factory):
    assert shutil.which("curl") and shutil.which("bash"), "the README's steps need curl and bash"
    script = _first_steps()
    assert script.startswith("API=http://127.0.0.1:8100/api/v1\n")
    month = datetime.now(UTC).strftime("%Y%m")
    with served(tmp_path_factory.mktemp("readme-pg")) as (base, environment):
        runs = []
        for _ in range(2):
            ran = subprocess.run(
                ["bash", "-c", script.replace("http://127.0.0.1:8100", base, 1)],
                cwd=ROOT,
                env=environment,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            runs.append(ran.stdout + ran.stderr)
    first, second = runs
    assert re.search(r"created MASTER administrator 'admin' \([0-9a-f-]{36}\)", first), first
    assert f"ACTIVE\nSO-{month}-00001 19.00\n" in first, first
    assert "already exists" in second and "CONFLICT: The tenant already has users." in second
    assert f"SO-{month}-00002 19.00" in second, second
    for output in runs:
        assert "Traceback" not in output and "Error" not in output.replace("CONFLICT", ""), output
