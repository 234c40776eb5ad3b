"""Fixtures of the Docker tests: an engine that answers (or a skip, or a failure under scripts/test.sh),
the connector image (built through tools/docker/build-image.sh unless SOURCE_MARKETO_DOCKER_NO_BUILD=1),
and a Marketo emulator on a free port of 127.0.0.1 for containers on the host network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from typing import Dict

import pytest

from integration_tests.docker.support import BUILD_SCRIPT, IMAGE, REPO, engine_candidates, engine_env, image_exists

BUILD_TIMEOUT_SECONDS = 1800


@pytest.fixture(scope="session")
def docker_env() -> Dict[str, str]:
    env = engine_env()
    if env is None:
        client = "found" if shutil.which("docker") else "not on PATH"
        # scripts/test.sh sets SOURCE_MARKETO_DOCKER_REQUIRED after it started an engine: fail, never skip.
        give_up = pytest.fail if os.environ.get("SOURCE_MARKETO_DOCKER_REQUIRED") == "1" else pytest.skip
        give_up(
            f"no Docker engine answers (docker client {client}; tried {', '.join(engine_candidates())}): "
            "start one with `eval \"$(tools/docker/start-engine.sh)\"`, or prepare engine and image with "
            "tools/docker/build-image.sh"
        )
    return env


@pytest.fixture(scope="session")
def image(docker_env: Dict[str, str]) -> str:
    if os.environ.get("SOURCE_MARKETO_DOCKER_NO_BUILD") == "1":
        if not image_exists(docker_env):
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
    if build.returncode != 0 or not image_exists(docker_env):
        pytest.fail(f"{BUILD_SCRIPT.relative_to(REPO)} failed (exit {build.returncode}):\n{build.stderr[-4000:]}")
    return IMAGE


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
