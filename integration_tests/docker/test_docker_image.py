"""The connector's Docker image, run as Airbyte runs it, against the Marketo emulator.

Needs a Docker engine: the one at ``DOCKER_HOST``, else the private one that
``tools/docker/start-engine.sh`` starts (its socket under ``SOURCE_MARKETO_DOCKER_DIR``). Without an
engine every test here is skipped, with the reason. CI prepares the engine and the image with
``tools/docker/build-image.sh``.

The image is (re)built through ``tools/docker/build-image.sh`` before the tests, so they never run
a stale image; warm, that build takes well under a second. ``SOURCE_MARKETO_IMAGE`` names another
tag; with ``SOURCE_MARKETO_DOCKER_NO_BUILD=1`` an existing image is tested as it is (for one built
elsewhere, e.g. on Airbyte's real base image).

The emulator runs as a subprocess on a free port of 127.0.0.1; containers use ``--network host`` to
reach it. Config, catalog and state are files mounted read-only into the container, and every line
the container writes to stdout must be an Airbyte message.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from airbyte_cdk.models import AirbyteMessageSerializer, ConfiguredAirbyteCatalogSerializer, Status, Type

from integration_tests.docker.support import REPO, STREAMS_WITH_RECORDS, Run, assert_discovered, assert_protocol, check_read, write_json
from source_marketo.catalog import configure

# Inside the container.
MOUNT = "/data"
RUN_TIMEOUT_SECONDS = 300


# --- mounted files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, emulator_url: str) -> Path:
    """A folder for config/catalog/state, readable by the container's user (uid 1000)."""
    folder = tmp_path_factory.mktemp("docker-data")
    folder.chmod(0o755)
    start_date = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=90)).strftime("%Y-%m-%dT00:00:00Z")
    write_json(
        folder / "config.json",
        {
            "munchkin_id": emulator_url,
            "client_id": "emulator-client-id",
            "client_secret": "emulator-client-secret",
            "start_date": start_date,
            "status_poll_interval_seconds": 0,
        },
    )
    write_json(
        folder / "bad_config.json",
        {
            "munchkin_id": emulator_url,
            "client_id": "emulator-client-id",
            "client_secret": "not-the-secret",
            "start_date": start_date,
            "status_poll_interval_seconds": 0,
        },
    )
    write_json(folder / "empty_state.json", [])
    return folder


def run_image(env: Dict[str, str], image: str, data: Path, *args: str) -> Run:
    command = ["docker", "run", "--rm", "--network", "host", "-v", f"{data}:{MOUNT}:ro", image, *args]
    completed = subprocess.run(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        encoding="utf-8",
        errors="strict",
        timeout=RUN_TIMEOUT_SECONDS,
    )
    return Run.of(list(args), completed.returncode, completed.stdout, completed.stderr)


def catalog_for(streams: List[Any]) -> Dict[str, Any]:
    """Every stream, incremental where it can be (append_dedup on its primary key), as a platform would."""
    catalog = configure(streams)
    ConfiguredAirbyteCatalogSerializer.load(catalog)  # a catalog the protocol models accept
    return catalog


# --- the tests --------------------------------------------------------------------------------


def test_image_runs_as_user_airbyte_with_airbyte_labels(docker_env: Dict[str, str], image: str) -> None:
    inspected = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config}}", image], env=docker_env, capture_output=True, text=True, check=True
    )
    config = json.loads(inspected.stdout)
    metadata = yaml.safe_load((REPO / "metadata.yaml").read_text())["data"]
    assert config["Labels"]["io.airbyte.name"] == metadata["dockerRepository"]
    assert config["Labels"]["io.airbyte.version"] == metadata["dockerImageTag"]
    assert config["User"] == "1000:1000"
    assert config["Entrypoint"] == ["source-marketo"]
    assert "AIRBYTE_ENTRYPOINT=source-marketo" in config["Env"]

    identity = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "id", image], env=docker_env, capture_output=True, text=True, timeout=60
    )
    assert identity.returncode == 0, identity.stderr
    assert identity.stdout.split()[:2] == ["uid=1000(airbyte)", "gid=1000(airbyte)"], identity.stdout


def test_spec(docker_env: Dict[str, str], image: str, data_dir: Path) -> None:
    run = run_image(docker_env, image, data_dir, "spec")
    assert run.returncode == 0, run.describe()
    assert_protocol(run, {Type.SPEC, Type.LOG})
    specs = run.of_type(Type.SPEC)
    assert len(specs) == 1, run.describe()
    connection_spec = specs[0].spec.connectionSpecification
    assert {"munchkin_id", "client_id", "client_secret", "start_date"} <= set(connection_spec["required"])
    assert connection_spec["properties"]["client_secret"].get("airbyte_secret") is True


def test_check_succeeds(docker_env: Dict[str, str], image: str, data_dir: Path) -> None:
    run = run_image(docker_env, image, data_dir, "check", "--config", f"{MOUNT}/config.json")
    assert run.returncode == 0, run.describe()
    assert_protocol(run, {Type.CONNECTION_STATUS, Type.LOG, Type.TRACE})
    statuses = run.of_type(Type.CONNECTION_STATUS)
    assert len(statuses) == 1, run.describe()
    assert statuses[0].connectionStatus.status == Status.SUCCEEDED, statuses[0].connectionStatus.message


def test_check_fails_on_a_wrong_secret(docker_env: Dict[str, str], image: str, data_dir: Path) -> None:
    run = run_image(docker_env, image, data_dir, "check", "--config", f"{MOUNT}/bad_config.json")
    assert_protocol(run, {Type.CONNECTION_STATUS, Type.LOG, Type.TRACE}, errors_allowed=True)
    statuses = run.of_type(Type.CONNECTION_STATUS)
    assert len(statuses) == 1, run.describe()
    assert statuses[0].connectionStatus.status == Status.FAILED
    # The secret itself never reaches the output.
    assert all("not-the-secret" not in json.dumps(AirbyteMessageSerializer.dump(message)) for message in run.messages)


@pytest.fixture(scope="module")
def discovered(docker_env: Dict[str, str], image: str, data_dir: Path) -> Run:
    return run_image(docker_env, image, data_dir, "discover", "--config", f"{MOUNT}/config.json")


def test_discover_lists_every_stream(discovered: Run) -> None:
    assert discovered.returncode == 0, discovered.describe()
    assert_protocol(discovered, {Type.CATALOG, Type.LOG, Type.TRACE})
    catalogs = discovered.of_type(Type.CATALOG)
    assert len(catalogs) == 1, discovered.describe()
    names = [stream.name for stream in catalogs[0].catalog.streams]
    assert_discovered(names)
    for stream in catalogs[0].catalog.streams:
        assert stream.json_schema.get("properties"), f"{stream.name} has no schema properties"


@pytest.fixture(scope="module")
def first_read(docker_env: Dict[str, str], image: str, data_dir: Path, discovered: Run) -> Run:
    assert discovered.returncode == 0, discovered.describe()
    catalog_message = AirbyteMessageSerializer.dump(discovered.of_type(Type.CATALOG)[0])
    write_json(data_dir / "catalog.json", catalog_for(catalog_message["catalog"]["streams"]))
    return read_image(docker_env, image, data_dir, "empty_state.json")


def read_image(docker_env: Dict[str, str], image: str, data_dir: Path, state_file: str) -> Run:
    """`read` in the image with the mounted config and catalog, and the given mounted state file."""
    return run_image(docker_env, image, data_dir, "read", "--config", f"{MOUNT}/config.json", "--catalog", f"{MOUNT}/catalog.json", "--state", f"{MOUNT}/{state_file}")


def streams_of(data_dir: Path) -> set:
    return {entry["stream"]["name"] for entry in json.loads((data_dir / "catalog.json").read_text())["streams"]}


def test_read_emits_records_state_and_completes(first_read: Run, data_dir: Path) -> None:
    records = check_read(first_read, streams_of(data_dir))
    assert STREAMS_WITH_RECORDS <= set(records), records
    assert first_read.of_type(Type.STATE), first_read.describe()
    for message in first_read.of_type(Type.RECORD):
        assert isinstance(message.record.data, dict) and message.record.emitted_at > 0


def test_read_resumes_from_mounted_state(docker_env: Dict[str, str], image: str, data_dir: Path, first_read: Run) -> None:
    assert first_read.returncode == 0, first_read.describe()
    latest: Dict[str, Any] = {}
    for message in first_read.of_type(Type.STATE):
        dumped = AirbyteMessageSerializer.dump(message)["state"]
        if dumped.get("type") == "STREAM":
            latest[dumped["stream"]["stream_descriptor"]["name"]] = {"type": "STREAM", "stream": dumped["stream"]}
    assert latest, "the first read emitted no per-stream state"
    write_json(data_dir / "state.json", list(latest.values()))

    run = read_image(docker_env, image, data_dir, "state.json")
    check_read(run, streams_of(data_dir))
    assert run.of_type(Type.STATE), run.describe()
