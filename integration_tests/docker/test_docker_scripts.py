"""The Docker scripts on this machine: the base image builds with TMPDIR set, a failing build step
shows its output, and scripts/test.sh stops the engine it started (and only that one).

They start engines and build images for real, so they need root and a Docker engine (the one
scripts/test.sh started); elsewhere they are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict

import pytest

from integration_tests.docker.support import REPO, engine_answers

BUILD_BASE = REPO / "tools" / "docker" / "build-base.sh"
STOP_ENGINE = REPO / "tools" / "docker" / "stop-engine.sh"
TEST_SH = REPO / "scripts" / "test.sh"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="starts engines and runs debootstrap: needs root")


def run_script(args, env: Dict[str, str], timeout: int = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([str(arg) for arg in args], cwd=REPO, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


def base_build_env(docker_env: Dict[str, str], tmp_path: Path, **changes: str) -> Dict[str, str]:
    """build-base.sh made to build from scratch: a tag and a cache of this test's own (its own
    repository name, so that removing stale tags touches nothing else)."""
    return {**docker_env, "SOURCE_MARKETO_BASE_TAG": f"source-marketo-base-test-{tmp_path.name.lower()}:1",
            "SOURCE_MARKETO_CACHE_DIR": str(tmp_path / "cache"), **changes}


@needs_root
def test_given_tmpdir_set_when_the_base_image_is_built_then_it_builds(docker_env: Dict[str, str], tmp_path: Path):
    host_tmp = tmp_path / "host-tmp"  # a folder of the host only: inside the rootfs it does not exist
    host_tmp.mkdir()
    env = base_build_env(docker_env, tmp_path, TMPDIR=str(host_tmp))
    tag = env["SOURCE_MARKETO_BASE_TAG"]
    try:
        result = run_script(["bash", BUILD_BASE], env)
        assert result.returncode == 0, result.stderr[-4000:]
        assert result.stdout.strip() == tag
        assert run_script(["docker", "image", "inspect", tag], docker_env).returncode == 0
    finally:
        run_script(["docker", "image", "rm", "--force", tag], docker_env)


@needs_root
def test_given_a_failing_build_step_when_the_base_is_built_then_its_output_is_shown(docker_env: Dict[str, str], tmp_path: Path):
    env = base_build_env(docker_env, tmp_path, SOURCE_MARKETO_DEBIAN_MIRROR="http://127.0.0.1:9/debian")  # nothing listens there
    result = run_script(["bash", BUILD_BASE], env, timeout=600)
    assert result.returncode != 0 and result.stdout == ""
    assert "[build-base] debootstrap failed (exit" in result.stderr, result.stderr
    assert "127.0.0.1:9" in result.stderr and "Failed getting release file" in result.stderr, result.stderr  # debootstrap's own words


def test_given_a_failing_step_when_run_quietly_then_its_output_and_status_are_shown_and_nothing_on_success():
    helper = f'. "{REPO}/tools/docker/lib.sh"; quietly "the step" sh -c "$1"'
    failed = subprocess.run(["bash", "-c", helper, "quietly", "echo to-stdout; echo to-stderr >&2; exit 3"], capture_output=True, text=True)
    assert failed.returncode == 3 and failed.stdout == ""
    assert "the step failed (exit 3)" in failed.stderr and "    to-stdout" in failed.stderr and "    to-stderr" in failed.stderr
    quiet = subprocess.run(["bash", "-c", helper, "quietly", "echo fine; echo fine >&2"], capture_output=True, text=True)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def script_env(**changes: str) -> Dict[str, str]:
    """scripts/test.sh on this virtual environment, running one quick unit test file."""
    env = {**os.environ, "SOURCE_MARKETO_VENV": sys.prefix, **changes}
    for key in ("SOURCE_MARKETO_DOCKER_NO_BUILD", "SOURCE_MARKETO_DOCKER_REQUIRED", "PYTEST_CURRENT_TEST"):
        env.pop(key, None)
    return env


@needs_root
def test_given_no_engine_running_when_test_sh_ends_then_it_stops_the_engine_it_started():
    engine_dir = Path(tempfile.mkdtemp(prefix="smd-", dir="/tmp"))  # short: unix socket paths are limited
    env = script_env(SOURCE_MARKETO_DOCKER_DIR=str(engine_dir))
    env.pop("DOCKER_HOST", None)
    socket = f"unix://{engine_dir / 'docker.sock'}"
    try:
        result = run_script([TEST_SH, "unit_tests/test_naming.py"], env)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
        assert "[start-engine] engine" in result.stderr  # it did start one
        assert "[test.sh] stopping the Docker engine this run started" in result.stderr
        assert not engine_answers(socket) and not (engine_dir / "dockerd.pid").exists()
    finally:
        run_script(["bash", STOP_ENGINE, "--purge"], {**os.environ, "SOURCE_MARKETO_DOCKER_DIR": str(engine_dir)})
        shutil.rmtree(engine_dir, ignore_errors=True)


@needs_root
def test_given_an_engine_running_when_test_sh_ends_then_it_is_left_running(docker_env: Dict[str, str]):
    env = script_env(DOCKER_HOST=docker_env["DOCKER_HOST"])
    result = run_script([TEST_SH, "unit_tests/test_naming.py"], env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "[test.sh] using the Docker engine that was already running" in result.stderr
    assert "stopping the Docker engine" not in result.stderr
    assert engine_answers(docker_env["DOCKER_HOST"])
