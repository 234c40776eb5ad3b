"""The README's main command, end to end: scripts/demo.sh syncs every stream from the emulator and reports it."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_given_a_checkout_when_the_demo_command_runs_then_every_stream_is_synced_and_summarised(tmp_path):
    env = {**os.environ, "SOURCE_MARKETO_VENV": sys.prefix, "SOURCE_MARKETO_EXTRAS": os.environ.get("SOURCE_MARKETO_EXTRAS", "tests")}
    result = subprocess.run(
        [os.path.join(ROOT, "scripts", "demo.sh"), "--leads", "300", "--activities", "3000", "--job-progression", "immediate", "--keep", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check: SUCCEEDED" in result.stdout
    assert "Sync summary: records" in result.stdout
    for stream in ("leads", "lead_activities", "lead_activity_attributes", "email", "programs", "campaigns"):
        assert f"  {stream} " in result.stdout
    with open(tmp_path / "read.jsonl") as handle:
        messages = [json.loads(line) for line in handle if line.strip()]
    assert not [m for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    assert {m["record"]["stream"] for m in messages if m["type"] == "RECORD"} >= {"leads", "lead_activities", "programs"}
