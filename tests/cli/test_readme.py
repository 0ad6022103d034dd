"""The README's first steps and the MFA sign-in after them, run as written (bash, curl, the
repository's .venv) against a real server on fresh databases: they print what the README says
they print."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime

from tests import live_server
from tests.database import databases_at_head

README = live_server.ROOT / "README.md"


def blocks() -> tuple[str, str]:
    """The first-steps block and the MFA block that follows it."""
    found = re.findall(r"```sh\n(.*?)```", README.read_text(), re.S)
    first = next(b for b in found if "create-admin" in b)
    mfa = next(b for b in found if "mfa/enrol" in b)
    return first, mfa


def test_the_first_steps_and_the_mfa_sign_in_print_what_the_readme_says(tmp_path_factory):
    assert shutil.which("bash") and shutil.which("curl"), "bash and curl are needed"
    first, mfa = blocks()
    with databases_at_head(tmp_path_factory.mktemp("readme-pg")) as urls:
        env = {
            **os.environ,
            "CXG_MANAGER_DATABASE_URL": urls["manager"],
            "CXG_TENANT_DATABASE_URL": urls["tenant"],
        }
        with live_server.serving(env) as base:
            script = (first + mfa).replace("http://127.0.0.1:8100", base)
            ran = subprocess.run(
                ["bash", "-c", script],
                cwd=live_server.ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert "created MASTER administrator 'admin'" in ran.stderr + ran.stdout
    month = datetime.now(UTC).strftime("%Y%m")
    assert f"SO-{month}-00001 19.00" in lines, ran.stdout
    backup, last = lines[-2], lines[-1]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", backup), ran.stdout
    assert last == "True 10", ran.stdout
