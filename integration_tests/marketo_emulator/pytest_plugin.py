"""pytest fixtures: `marketo_emulator` (small data, fake clock, immediate jobs) and
`marketo_emulator_factory` (build emulators with any options; all stopped at teardown).

The default clock is a FakeClock starting three days before the real wall clock, and the data is
anchored there: everything the emulator holds happened in the past for a connector that uses the
real time as its "now", ticks stay in the past (up to three days of advancing), and a Chicago
midnight can be crossed by advancing the clock.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from .clock import FakeClock
from .emulator import MarketoEmulator
from .options import EmulatorOptions

TEST_DEFAULTS = {"seed": 42, "leads": 200, "activities": 2000, "job_progression": "immediate",
                 "status_refresh_seconds": 0}


def default_test_clock() -> FakeClock:
    start = (datetime.now(timezone.utc) - timedelta(days=3)).replace(microsecond=0)
    return FakeClock(start)


def build_emulator(options: EmulatorOptions | None = None, **overrides) -> MarketoEmulator:
    """An emulator with the test defaults, `options` and `overrides` applied on top, started."""
    base = dict(TEST_DEFAULTS)
    if options is not None:
        chosen = options
    else:
        chosen = EmulatorOptions(**{**base, **{k: v for k, v in overrides.items() if k in base}})
    chosen = chosen.with_changes(**overrides) if overrides else chosen
    if chosen.clock is None:
        chosen = chosen.with_changes(clock=default_test_clock())
    return MarketoEmulator(chosen).start()


@pytest.fixture
def marketo_emulator():
    emulator = build_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def marketo_emulator_factory():
    started: list[MarketoEmulator] = []

    def factory(options: EmulatorOptions | None = None, **overrides) -> MarketoEmulator:
        emulator = build_emulator(options, **overrides)
        started.append(emulator)
        return emulator

    try:
        yield factory
    finally:
        for emulator in started:
            emulator.stop()
