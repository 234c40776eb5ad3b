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
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalogSerializer,
    Status,
    TraceType,
    Type,
)

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "tools" / "docker" / "build-image.sh"
IMAGE = os.environ.get("SOURCE_MARKETO_IMAGE", "source-marketo:dev")
ENGINE_DIR = Path(os.environ.get("SOURCE_MARKETO_DOCKER_DIR", "/var/lib/source-marketo-docker"))

EXPECTED_STREAMS = {
    "campaigns",
    "email",
    "landing_pages",
    "lists",
    "programs",
    "segmentation",
    "segments",
    "lead_activity_types",
    "lead_activity_type_attributes",
    "leads",
    "lead_activities",
    "lead_activity_attributes",
}
# Streams the emulator always fills, whatever its random seed: REST assets and both bulk exports.
STREAMS_WITH_RECORDS = {"campaigns", "email", "programs", "lead_activity_types", "leads", "lead_activities"}

# Inside the container.
MOUNT = "/data"
RUN_TIMEOUT_SECONDS = 300
BUILD_TIMEOUT_SECONDS = 1800


@dataclass
class Run:
    """One `docker run` of the image: its exit code, parsed stdout messages and raw stderr."""

    args: List[str]
    returncode: int
    messages: List[AirbyteMessage]
    stderr: str
    bad_lines: List[str] = field(default_factory=list)

    def of_type(self, message_type: Type) -> List[AirbyteMessage]:
        return [message for message in self.messages if message.type == message_type]

    def types(self) -> Counter:
        return Counter(message.type for message in self.messages)

    def describe(self) -> str:
        return f"`{' '.join(self.args)}` exited {self.returncode}; types {dict(self.types())}; stderr tail:\n{self.stderr[-3000:]}"


# --- engine and image -------------------------------------------------------------------------


def _engine_candidates() -> List[str]:
    """DOCKER_HOST if set, then the private engine's socket (tools/docker/start-engine.sh)."""
    candidates = [os.environ["DOCKER_HOST"]] if os.environ.get("DOCKER_HOST") else []
    candidates.append(f"unix://{ENGINE_DIR / 'docker.sock'}")
    return candidates


def _engine_env() -> Optional[Dict[str, str]]:
    """Environment for the docker client pointing at an engine that answers, or None."""
    if shutil.which("docker") is None:
        return None
    for host in _engine_candidates():
        env = dict(os.environ, DOCKER_HOST=host)
        try:
            answer = subprocess.run(
                ["docker", "version", "--format", "{{.Server.Version}}"],
                env=env,
                capture_output=True,
                text=True,
                timeout=20,
            )
        except subprocess.TimeoutExpired:
            continue
        if answer.returncode == 0 and answer.stdout.strip():
            return env
    return None


@pytest.fixture(scope="session")
def docker_env() -> Dict[str, str]:
    env = _engine_env()
    if env is None:
        client = "found" if shutil.which("docker") else "not on PATH"
        # scripts/test.sh sets SOURCE_MARKETO_DOCKER_REQUIRED after it started an engine: fail, never skip.
        give_up = pytest.fail if os.environ.get("SOURCE_MARKETO_DOCKER_REQUIRED") == "1" else pytest.skip
        give_up(
            f"no Docker engine answers (docker client {client}; tried {', '.join(_engine_candidates())}): "
            "start one with `eval \"$(tools/docker/start-engine.sh)\"`, or prepare engine and image with "
            "tools/docker/build-image.sh"
        )
    return env


def _image_exists(env: Dict[str, str]) -> bool:
    return subprocess.run(["docker", "image", "inspect", IMAGE], env=env, capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def image(docker_env: Dict[str, str]) -> str:
    if os.environ.get("SOURCE_MARKETO_DOCKER_NO_BUILD") == "1":
        if not _image_exists(docker_env):
            pytest.fail(f"SOURCE_MARKETO_DOCKER_NO_BUILD=1 but there is no image {IMAGE}")
        return IMAGE
    # Idempotent: builds what is missing (base from the cache or debootstrap, then the connector
    # image) and, warm, only confirms the layer cache.
    build = subprocess.run(
        ["bash", str(BUILD_SCRIPT)],
        env=dict(docker_env, SOURCE_MARKETO_IMAGE=IMAGE),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    if build.returncode != 0 or not _image_exists(docker_env):
        pytest.fail(f"{BUILD_SCRIPT.relative_to(REPO)} failed (exit {build.returncode}):\n{build.stderr[-4000:]}")
    return IMAGE


# --- emulator and mounted files ---------------------------------------------------------------


@pytest.fixture(scope="module")
def emulator_url() -> str:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "integration_tests.marketo_emulator",
            "--port",
            "0",
            "--leads",
            "60",
            "--activities",
            "400",
            "--status-refresh-seconds",
            "0",
            "--job-progression",
            "immediate",
        ],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        first_line = process.stdout.readline().strip() if process.stdout else ""
        if not first_line.startswith("http://"):
            process.kill()
            pytest.fail(f"the emulator did not print its base URL (got {first_line!r}, exit {process.poll()})")
        # Whatever it prints later must not fill the pipe and stall it.
        threading.Thread(target=lambda: process.stdout.read() if process.stdout else None, daemon=True).start()
        yield first_line
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        if process.stdout:
            process.stdout.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, emulator_url: str) -> Path:
    """A folder for config/catalog/state, readable by the container's user (uid 1000)."""
    folder = tmp_path_factory.mktemp("docker-data")
    folder.chmod(0o755)
    start_date = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=90)).strftime("%Y-%m-%dT00:00:00Z")
    _write(
        folder / "config.json",
        {
            "munchkin_id": emulator_url,
            "client_id": "emulator-client-id",
            "client_secret": "emulator-client-secret",
            "start_date": start_date,
            "status_poll_interval_seconds": 0,
        },
    )
    _write(
        folder / "bad_config.json",
        {
            "munchkin_id": emulator_url,
            "client_id": "emulator-client-id",
            "client_secret": "not-the-secret",
            "start_date": start_date,
            "status_poll_interval_seconds": 0,
        },
    )
    _write(folder / "empty_state.json", [])
    return folder


def _write(path: Path, content: Any) -> None:
    path.write_text(json.dumps(content))
    path.chmod(0o644)


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
    messages: List[AirbyteMessage] = []
    bad_lines: List[str] = []
    # Messages are separated by "\n" alone: str.splitlines() would also cut at U+2028, U+2029,
    # U+0085 and the like, which record values may carry unescaped.
    for line in completed.stdout.split("\n"):
        if not line.strip():
            continue
        try:
            messages.append(AirbyteMessageSerializer.load(json.loads(line)))
        except Exception as error:  # noqa: BLE001 - any line that is not a message is the finding
            bad_lines.append(f"{line[:300]} ({type(error).__name__}: {error})")
    return Run(args=list(args), returncode=completed.returncode, messages=messages, stderr=completed.stderr, bad_lines=bad_lines)


def assert_protocol(run: Run, allowed: set) -> None:
    assert not run.bad_lines, "stdout lines that are not Airbyte messages:\n" + "\n".join(run.bad_lines[:10])
    assert run.messages, run.describe()
    unexpected = set(run.types()) - allowed
    assert not unexpected, f"unexpected message types {unexpected}: {run.describe()}"


def catalog_for(streams: List[Any]) -> Dict[str, Any]:
    """Every stream, incremental where it can be (append_dedup on its primary key), as a platform would."""
    configured = []
    for stream in streams:
        entry: Dict[str, Any] = {"stream": stream}
        if "incremental" in stream["supported_sync_modes"]:
            entry.update(sync_mode="incremental", destination_sync_mode="append_dedup", cursor_field=stream["default_cursor_field"])
        else:
            entry.update(sync_mode="full_refresh", destination_sync_mode="overwrite")
        if stream.get("source_defined_primary_key"):
            entry["primary_key"] = stream["source_defined_primary_key"]
        configured.append(entry)
    catalog = {"streams": configured}
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
    assert_protocol(run, {Type.CONNECTION_STATUS, Type.LOG, Type.TRACE})
    statuses = run.of_type(Type.CONNECTION_STATUS)
    assert len(statuses) == 1, run.describe()
    assert statuses[0].connectionStatus.status == Status.FAILED
    # The secret itself never reaches the output.
    assert all("not-the-secret" not in json.dumps(AirbyteMessageSerializer.dump(message)) for message in run.messages)


@pytest.fixture(scope="module")
def discovered(docker_env: Dict[str, str], image: str, data_dir: Path) -> Run:
    return run_image(docker_env, image, data_dir, "discover", "--config", f"{MOUNT}/config.json")


def test_discover_lists_the_twelve_streams(discovered: Run) -> None:
    assert discovered.returncode == 0, discovered.describe()
    assert_protocol(discovered, {Type.CATALOG, Type.LOG, Type.TRACE})
    catalogs = discovered.of_type(Type.CATALOG)
    assert len(catalogs) == 1, discovered.describe()
    names = [stream.name for stream in catalogs[0].catalog.streams]
    assert len(names) == 12 and set(names) == EXPECTED_STREAMS, names
    for stream in catalogs[0].catalog.streams:
        assert stream.json_schema.get("properties"), f"{stream.name} has no schema properties"


@pytest.fixture(scope="module")
def first_read(docker_env: Dict[str, str], image: str, data_dir: Path, discovered: Run) -> Run:
    assert discovered.returncode == 0, discovered.describe()
    catalog_message = AirbyteMessageSerializer.dump(discovered.of_type(Type.CATALOG)[0])
    _write(data_dir / "catalog.json", catalog_for(catalog_message["catalog"]["streams"]))
    return read_image(docker_env, image, data_dir, "empty_state.json")


def read_image(docker_env: Dict[str, str], image: str, data_dir: Path, state_file: str) -> Run:
    """`read` in the image with the mounted config and catalog, and the given mounted state file."""
    return run_image(docker_env, image, data_dir, "read", "--config", f"{MOUNT}/config.json", "--catalog", f"{MOUNT}/catalog.json", "--state", f"{MOUNT}/{state_file}")


def _check_read(run: Run) -> Counter:
    assert run.returncode == 0, run.describe()
    assert_protocol(run, {Type.RECORD, Type.STATE, Type.TRACE, Type.LOG})
    errors = [m.trace.error.message for m in run.of_type(Type.TRACE) if m.trace.type == TraceType.ERROR]
    assert not errors, errors
    records = Counter(message.record.stream for message in run.of_type(Type.RECORD))
    assert set(records) <= EXPECTED_STREAMS, records
    final_status = {}
    for message in run.of_type(Type.TRACE):
        if message.trace.type == TraceType.STREAM_STATUS:
            status = message.trace.stream_status
            final_status[status.stream_descriptor.name] = status.status
    assert final_status == {name: AirbyteStreamStatus.COMPLETE for name in EXPECTED_STREAMS}, final_status
    return records


def test_read_emits_records_state_and_completes(first_read: Run) -> None:
    records = _check_read(first_read)
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
    _write(data_dir / "state.json", list(latest.values()))

    run = read_image(docker_env, image, data_dir, "state.json")
    _check_read(run)
    assert run.of_type(Type.STATE), run.describe()
