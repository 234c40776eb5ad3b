"""The Marketo the acceptance tests run against, and how their config files are made to point at it.

One bundled emulator with fixed seed, sizes and anchor, so its data (and therefore
``expected_records.jsonl``) is the same on every machine and every day:

* its history ends at ``ANCHOR`` and its clock stands still there (a FakeClock, like the
  ``marketo_emulator`` fixture's, but pinned instead of three days before the real now);
* the connector runs with a clock set to the same instant (``AnchoredClock``). It trusts Marketo's
  clock (the ``requestId`` time) only within 366 days of its own, so with its real clock it would
  plan export windows up to today, one empty window per month since the anchor.

Config files carry ``PLACEHOLDER`` where the emulator's base URL goes (it listens on a free port);
``load_config`` replaces it. See README.md beside this file.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Union

import yaml

from integration_tests.marketo_emulator import EmulatorOptions, FakeClock, MarketoEmulator

ROOT = Path(__file__).resolve().parents[2]
ACCEPTANCE_TEST_CONFIG = ROOT / "acceptance-test-config.yml"

PLACEHOLDER = "${MARKETO_EMULATOR_URL}"
"""Stands for the running emulator's base URL (``http://127.0.0.1:PORT``) in config files."""

ANCHOR = datetime(2025, 6, 2, 15, 0, 0, tzinfo=timezone.utc)
"""Where the emulator's generated history ends, and the time of both clocks."""

SEED, LEADS, ACTIVITIES = 42, 200, 2000

EMITTED_AT = int(ANCHOR.timestamp() * 1000)
"""``emitted_at`` of the expected records (the comparison ignores it, as Airbyte's did)."""


def emulator_options() -> EmulatorOptions:
    """The data options are what ``expected_records.jsonl`` was generated from: change one, regenerate it.

    Export jobs complete at once and job status is always fresh (as in every test here). The
    instance-wide limit of 100 calls per 20 s is off: the suite runs about twenty syncs back to back
    on this one instance, and each run's own client-side limiter (100 per 20 s) only knows its own calls.
    """
    return EmulatorOptions(
        seed=SEED, leads=LEADS, activities=ACTIVITIES, anchor=ANCHOR, clock=FakeClock(ANCHOR),
        job_progression="immediate", status_refresh_seconds=0, rate_limit_calls=0,
    )


def start_emulator() -> MarketoEmulator:
    return MarketoEmulator(emulator_options()).start()


class AnchoredClock:
    """The connector's clock for these tests: real time running from ``ANCHOR`` (sleeps and intervals stay real)."""

    def __init__(self, start: datetime = ANCHOR) -> None:
        self._start = start
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def path_of(relative: Union[str, Path]) -> Path:
    """A path of acceptance-test-config.yml, which are relative to the connector's root."""
    path = Path(relative)
    return path if path.is_absolute() else ROOT / path


def load_acceptance_test_config() -> Dict[str, Any]:
    with open(ACCEPTANCE_TEST_CONFIG, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def read_json(relative: Union[str, Path]) -> Any:
    with open(path_of(relative), encoding="utf-8") as handle:
        return json.load(handle)


def render(value: Any, base_url: str) -> Any:
    """``value`` with every ``PLACEHOLDER`` in its strings replaced by ``base_url``."""
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, base_url)
    if isinstance(value, dict):
        return {key: render(item, base_url) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, base_url) for item in value]
    return value


def load_config(relative: Union[str, Path], base_url: str) -> Dict[str, Any]:
    """A config file of acceptance-test-config.yml, pointed at the emulator listening on ``base_url``."""
    return render(read_json(relative), base_url)
