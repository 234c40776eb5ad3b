"""What the Docker tests share: where the engine is, the image's name, and how a container's output
is read and judged (every stdout line an Airbyte message, of the expected types, no ERROR trace)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple

from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, AirbyteStreamStatus, TraceType, Type

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "tools" / "docker" / "build-image.sh"
IMAGE = os.environ.get("SOURCE_MARKETO_IMAGE", "source-marketo:dev")
ENGINE_DIR = Path(os.environ.get("SOURCE_MARKETO_DOCKER_DIR", "/var/lib/source-marketo-docker"))
PRIVATE_ENGINE_HOST = f"unix://{ENGINE_DIR / 'docker.sock'}"

# Streams every discover lists; beside them, one per activity type (and custom object) of the instance.
EXPECTED_STREAMS = {
    "campaigns",
    "email",
    "landing_pages",
    "lists",
    "list_members",
    "programs",
    "segmentation",
    "segments",
    "forms",
    "email_templates",
    "snippets",
    "smart_lists",
    "smart_campaigns",
    "program_tokens",
    "channels",
    "channel_progression_statuses",
    "tags",
    "folders",
    "lead_activity_types",
    "lead_activity_type_attributes",
    "leads",
    "lead_activities",
    "lead_activity_attributes",
    "program_members",
}
DYNAMIC_PREFIXES = ("activities_", "custom_objects_")
# Streams the emulator always fills, whatever its random seed: REST assets, the bulk exports, a type stream.
STREAMS_WITH_RECORDS = {"campaigns", "email", "programs", "lead_activity_types", "leads", "lead_activities", "program_members", "activities_new_lead"}


def assert_discovered(names: List[str]) -> None:
    """Every fixed stream once, and the rest one per activity type (or custom object) of the instance."""
    assert len(names) == len(set(names)), names
    assert EXPECTED_STREAMS <= set(names), sorted(EXPECTED_STREAMS - set(names))
    dynamic = set(names) - EXPECTED_STREAMS
    assert all(name.startswith(DYNAMIC_PREFIXES) for name in dynamic), sorted(dynamic)
    assert {"activities_new_lead", "activities_delete_lead"} <= dynamic, sorted(dynamic)


READ_TYPES = {Type.RECORD, Type.STATE, Type.TRACE, Type.LOG}


@dataclass
class Run:
    """One `docker run` of the image: its exit code, parsed stdout messages and raw stderr."""

    args: List[str]
    returncode: int
    messages: List[AirbyteMessage]
    stderr: str
    bad_lines: List[str] = field(default_factory=list)

    @classmethod
    def of(cls, args: List[str], returncode: int, stdout: str, stderr: str) -> "Run":
        messages, bad_lines = parse_messages(stdout)
        return cls(args=list(args), returncode=returncode, messages=messages, stderr=stderr, bad_lines=bad_lines)

    def of_type(self, message_type: Type) -> List[AirbyteMessage]:
        return [message for message in self.messages if message.type == message_type]

    def types(self) -> Counter:
        return Counter(message.type for message in self.messages)

    def describe(self) -> str:
        return f"`{' '.join(self.args)}` exited {self.returncode}; types {dict(self.types())}; stderr tail:\n{self.stderr[-3000:]}"


def parse_messages(stdout: str) -> Tuple[List[AirbyteMessage], List[str]]:
    """The Airbyte messages of a container's stdout, and the lines that are not one."""
    messages: List[AirbyteMessage] = []
    bad_lines: List[str] = []
    # Messages are separated by "\n" alone: str.splitlines() would also cut at U+2028, U+2029,
    # U+0085 and the like, which record values may carry unescaped.
    for line in stdout.split("\n"):
        if not line.strip():
            continue
        try:
            messages.append(AirbyteMessageSerializer.load(json.loads(line)))
        except Exception as error:  # noqa: BLE001 - any line that is not a message is the finding
            bad_lines.append(f"{line[:300]} ({type(error).__name__}: {error})")
    return messages, bad_lines


def assert_protocol(run: Run, allowed: set, errors_allowed: bool = False) -> None:
    """Every stdout line an Airbyte message of the ``allowed`` types, and (unless allowed) no ERROR trace."""
    assert not run.bad_lines, "stdout lines that are not Airbyte messages:\n" + "\n".join(run.bad_lines[:10])
    assert run.messages, run.describe()
    unexpected = set(run.types()) - allowed
    assert not unexpected, f"unexpected message types {unexpected}: {run.describe()}"
    errors = [m.trace.error.message for m in run.of_type(Type.TRACE) if m.trace.type == TraceType.ERROR]
    assert errors_allowed or not errors, f"ERROR traces: {errors}"


def check_read(run: Run, streams: Set[str]) -> Counter:
    """A successful read of every stream of the catalog (``streams``): records per stream (each
    stream's last status COMPLETE)."""
    assert run.returncode == 0, run.describe()
    assert_protocol(run, READ_TYPES)
    records = Counter(message.record.stream for message in run.of_type(Type.RECORD))
    assert set(records) <= streams, records
    final_status = {}
    for message in run.of_type(Type.TRACE):
        if message.trace.type == TraceType.STREAM_STATUS:
            status = message.trace.stream_status
            final_status[status.stream_descriptor.name] = status.status
    assert final_status == {name: AirbyteStreamStatus.COMPLETE for name in streams}, final_status
    return records


def write_json(path: Path, content: Any) -> None:
    """A file the container's user (uid 1000) can read."""
    path.write_text(json.dumps(content))
    path.chmod(0o644)


def engine_candidates() -> List[str]:
    """DOCKER_HOST if set, then the private engine's socket (tools/docker/start-engine.sh)."""
    candidates = [os.environ["DOCKER_HOST"]] if os.environ.get("DOCKER_HOST") else []
    candidates.append(PRIVATE_ENGINE_HOST)
    return candidates


def engine_answers(host: str) -> bool:
    try:
        answer = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], env=dict(os.environ, DOCKER_HOST=host),
                                capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return False
    return answer.returncode == 0 and bool(answer.stdout.strip())


def engine_env() -> Optional[Dict[str, str]]:
    """Environment for the docker client pointing at an engine that answers, or None."""
    if shutil.which("docker") is None:
        return None
    for host in engine_candidates():
        if engine_answers(host):
            return dict(os.environ, DOCKER_HOST=host)
    return None


def image_exists(env: Dict[str, str], image: str = IMAGE) -> bool:
    return subprocess.run(["docker", "image", "inspect", image], env=env, capture_output=True).returncode == 0
