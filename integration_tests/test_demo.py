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
    lines = result.stdout.splitlines()
    assert "check: SUCCEEDED" in lines  # the whole line: no trailing space
    assert "Sync summary: records" in result.stdout
    for stream in ("leads", "lead_activities", "lead_activity_attributes", "email", "programs", "campaigns"):
        assert f"  {stream} " in result.stdout
    rows = {line.split()[0]: line.split()[2:] for line in lines if line.startswith("  ")}
    with open(tmp_path / "catalog.json") as handle:
        catalog = json.load(handle)
    for configured in catalog["streams"]:  # every incremental stream shows its cursor, segments' too
        name = configured["stream"]["name"]
        if configured["sync_mode"] == "incremental":
            assert rows[name][0] == "cursor" and rows[name][1][:2] == "20", (name, rows[name])
        else:
            assert rows[name] == ["full", "refresh"], name
    assert any(line.startswith("peak memory: connector ") for line in lines)
    with open(tmp_path / "read.jsonl") as handle:
        messages = [json.loads(line) for line in handle if line.strip()]
    assert not [m for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    assert {m["record"]["stream"] for m in messages if m["type"] == "RECORD"} >= {"leads", "lead_activities", "programs"}


EMIT = """import json, sys
record = json.dumps({"type": "RECORD", "record": {"stream": "lead_activities", "data": {"id": "%d", "value": "v" * 200}, "emitted_at": 1}}, separators=(",", ":"))
for i in range(int(sys.argv[1])):
    sys.stdout.write(record.replace('"%d"', '"%d"' % i) + "\\n")
state = {"stream_descriptor": {"name": "lead_activities"}, "stream_state": {"activity_date": "2024-01-01T00:00:00Z"}}
print(json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": state}}))
"""

PROBE = """import sys
sys.path.insert(0, "tools")
import demo
read = demo.ReadOutput()
read.run([sys.executable, sys.argv[1], sys.argv[2]], None)
print(read.records["lead_activities"], read.states["lead_activities"]["activity_date"], demo.own_peak() // 1_000_000)
"""


def test_given_a_large_read_when_the_demo_reads_it_then_its_memory_stays_flat(tmp_path):
    """The demo reads the sync's output as it streams: a million records cost it no more memory than a thousand."""
    (tmp_path / "emit.py").write_text(EMIT)
    (tmp_path / "probe.py").write_text(PROBE)
    peaks = {}
    for count in (1_000, 1_000_000):
        result = subprocess.run([sys.executable, str(tmp_path / "probe.py"), str(tmp_path / "emit.py"), str(count)],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        records, cursor, peak_mb = result.stdout.split()
        assert int(records) == count and cursor == "2024-01-01T00:00:00Z"
        peaks[count] = int(peak_mb)
    assert peaks[1_000_000] < peaks[1_000] + 20 < 300, peaks  # flat (the old demo kept every line: ~14 GB at the big demo's size)
