"""The README's Docker commands, run as written, in a fresh shell, on this machine's engine.

The block that follows the README's marker comment is taken verbatim and run by bash (``-euo
pipefail``), one command after the other as a user pastes them, in a folder that holds what the
README assumes: a ``config.json`` (here pointing at an emulator this test starts) and the checkout's
``tools`` (a link to it). ``DOCKER_HOST`` is not passed on when it names the private engine: the
README's ``eval`` line must export it itself. Every line each ``docker run`` writes to stdout must be
an Airbyte message of the types that command emits, with no ERROR trace; the catalog the README
writes must be one ``read`` accepts (the read that follows uses it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Dict, List

from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, Status, Type

from integration_tests.docker.support import (
    PRIVATE_ENGINE_HOST,
    READ_TYPES,
    REPO,
    STREAMS_WITH_RECORDS,
    Run,
    assert_discovered,
    assert_protocol,
    check_read,
    write_json,
)

MARKER = "<!-- integration_tests/docker/test_readme_commands.py runs this block as written -->"
SEPARATOR = "@@@ readme command "
BLOCK_TIMEOUT_SECONDS = 1800
# What each subcommand of the image writes to stdout.
ALLOWED = {
    "spec": {Type.SPEC, Type.LOG},
    "check": {Type.CONNECTION_STATUS, Type.LOG, Type.TRACE},
    "discover": {Type.CATALOG, Type.LOG, Type.TRACE},
    "read": READ_TYPES,
}


def readme_commands(path: Path = REPO / "README.md") -> List[str]:
    """The commands of the fenced bash block after the marker, one per entry (continuations joined)."""
    text = path.read_text()
    assert MARKER in text, f"{path.name} has no {MARKER}"
    block = re.search(r"```bash\n(.*?)```", text.split(MARKER, 1)[1], re.S)
    assert block, f"no ```bash block after the marker in {path.name}"
    joined = block.group(1).replace("\\\n", " ")
    return [line for line in joined.split("\n") if line.strip() and not line.lstrip().startswith("#")]


def subcommand(command: str) -> str:
    """`docker run ... IMAGE check --config ...` -> "check"; the catalog command -> "catalog"; else ""."""
    if not command.startswith("docker run"):
        return ""
    if "--entrypoint source-marketo-catalog" in command:
        return "catalog"
    return next((word for word in command.split() if word in ALLOWED), "")


def test_the_readme_block_builds_and_runs_the_image_on_the_host_network():
    commands = readme_commands()
    assert commands[0].startswith('eval "$(tools/docker/build-image.sh)"'), commands
    runs = [command for command in commands if command.startswith("docker run")]
    assert runs and all("--network host" in command for command in runs), runs
    assert [subcommand(command) for command in runs] == ["check", "catalog", "read"]
    guide = (REPO / "docs" / "README.md").read_text()
    assert all(command in guide for command in commands), "docs/README.md (With Docker) shows other commands"


def test_given_the_readme_docker_commands_when_run_as_written_then_every_output_line_is_a_valid_message(docker_env: Dict[str, str], image: str, emulator_url: str, tmp_path: Path):
    folder = tmp_path / "checkout"
    folder.mkdir()
    folder.chmod(0o755)  # mounted as /data: the container's user (uid 1000) reads config.json and catalog.json
    (folder / "tools").symlink_to(REPO / "tools")
    start_date = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=90)).strftime("%Y-%m-%dT00:00:00Z")
    write_json(folder / "config.json", {"munchkin_id": emulator_url, "client_id": "emulator-client-id", "client_secret": "emulator-client-secret",
                                        "start_date": start_date, "status_poll_interval_seconds": 0})
    commands = readme_commands()
    script = "".join(f"printf '%s\\n' '{SEPARATOR}{index}'\n{command}\n" for index, command in enumerate(commands))
    env = {key: value for key, value in docker_env.items() if key not in ("SOURCE_MARKETO_IMAGE", "SOURCE_MARKETO_DOCKER_NO_BUILD")}
    if env.get("DOCKER_HOST") == PRIVATE_ENGINE_HOST:
        del env["DOCKER_HOST"]  # a fresh shell: the README's eval line must find the engine and export it

    completed = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                               capture_output=True, encoding="utf-8", timeout=BLOCK_TIMEOUT_SECONDS)
    assert completed.returncode == 0, f"the README's Docker commands failed (exit {completed.returncode}):\n{completed.stderr[-4000:]}"
    outputs = re.split(rf"^{re.escape(SEPARATOR)}(\d+)\n", completed.stdout, flags=re.M)[1:]
    stdout_of = {int(index): text for index, text in zip(outputs[::2], outputs[1::2])}
    assert sorted(stdout_of) == list(range(len(commands)))

    catalog = json.loads((folder / "catalog.json").read_text())
    ConfiguredAirbyteCatalogSerializer.load(catalog)
    streams = [entry["stream"]["name"] for entry in catalog["streams"]]
    assert_discovered(streams)  # the catalog command configures every stream
    streams = set(streams)
    for index, command in enumerate(commands):
        kind = subcommand(command)
        if kind in ("", "catalog"):  # the eval line; the catalog command's stdout goes to catalog.json
            assert stdout_of[index] == "", f"`{command}` printed to stdout: {stdout_of[index][:500]}"
            continue
        run = Run.of([command], 0, stdout_of[index], completed.stderr)
        if kind == "read":
            records = check_read(run, streams)
            assert STREAMS_WITH_RECORDS <= set(records), records
        else:
            assert_protocol(run, ALLOWED[kind])
        if kind == "check":
            assert [m.connectionStatus.status for m in run.of_type(Type.CONNECTION_STATUS)] == [Status.SUCCEEDED]

    assert os.stat(folder / "catalog.json").st_mode & 0o004, "catalog.json is not readable by the container's user"
