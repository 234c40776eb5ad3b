"""`MarketoEmulator`: the public face of the package (see README.md for the whole API).

It owns the state (rebuilt by `reset()`), the HTTP server thread, the clock, and the helpers
tests use to shape the world: ticks, faults, other tools consuming quota or queue slots.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile

from .app import Application
from .clock import RealClock
from .envelope import MarketoError
from .exporter import remove_quietly
from .hashing import seeded_rng
from .occupancy import occupancy
from .options import EmulatorOptions
from .server import ServerThread
from .state import OTHER_CLIENT, State
from .ticker import LATER_DEFAULTS, Ticker
from .timefmt import rest_datetime, to_ms
from .truth import Truth


class MarketoEmulator:
    """A stateful Marketo (REST, Asset, Bulk Extract) emulator. Use `start()` or `with`."""

    def __init__(self, options: EmulatorOptions | None = None, **overrides) -> None:
        options = options or EmulatorOptions()
        if overrides:
            options = options.with_changes(**overrides)
        self.options = options
        self.clock = options.clock or RealClock()
        anchor = options.anchor or self.clock.now()
        self._anchor_ms = to_ms(anchor) // 1000 * 1000
        self._owns_dir = options.export_dir is None
        self._export_dir = options.export_dir or tempfile.mkdtemp(prefix="marketo-emulator-")
        self.verbose = False
        self.state = State(options, self.clock, self._anchor_ms, self._export_dir)
        self.app = Application(self)
        self.truth = Truth(self)
        self._server: ServerThread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "MarketoEmulator":
        if self._server is None:
            self._server = ServerThread(self, self.options.host, self.options.port)
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._owns_dir:
            shutil.rmtree(self._export_dir, ignore_errors=True)

    def __enter__(self) -> "MarketoEmulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to the initial state: same data, clock rewound, no jobs, faults, journal or usage."""
        if hasattr(self.clock, "rewind"):
            self.clock.rewind()
        for name in os.listdir(self._export_dir) if os.path.isdir(self._export_dir) else []:
            remove_quietly(os.path.join(self._export_dir, name))
        self.state = State(self.options, self.clock, self._anchor_ms, self._export_dir)

    # -- addresses and identity --------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._server.address
        return f"http://{host}:{port}"

    @property
    def client_id(self) -> str:
        return self.options.client_id

    @property
    def client_secret(self) -> str:
        return self.options.client_secret

    @property
    def faults(self):
        return self.state.faults

    @property
    def journal(self):
        return self.state.journal

    # -- introspection -----------------------------------------------------------------------
    @property
    def jobs(self) -> list[dict]:
        with self.state.jobs.lock:
            return [job.describe() for job in self.state.jobs.jobs.values()]

    @property
    def usage(self) -> dict:
        state = self.state
        out = state.usage.snapshot()
        out.update({"peak_processing_jobs": state.jobs.peak_processing, "peak_queued_jobs": state.jobs.peak_active,
                    "peak_concurrent_calls": state.inflight.peak})
        return out

    def occupancy(self, client_id: str | None = None) -> dict:
        """Processing-slot use of the export jobs so far, on the emulator clock (occupancy.py)."""
        return occupancy(self.jobs, self.state.now_ms(), self.options.max_processing_jobs, client_id)

    def info(self) -> dict:
        return {"base_url": self.base_url if self._server else None, "client_id": self.client_id,
                "client_secret": self.client_secret, "now": self.clock.now().isoformat(),
                "anchor": _iso(self._anchor_ms), "options": self.options.public_dict()}

    # -- shaping the world -------------------------------------------------------------------
    def tick(self, seconds: float = 3600, new_leads=None, updated_leads=None, deleted_leads=None, merged_leads=None,
             new_activities=None, asset_updates=None, **later) -> dict:
        """Move the clock forward and change the data in between (see ticker.py). Returns a summary.

        `later`: counts of the kinds added later (ticker.LATER_DEFAULTS), e.g. other_asset_updates=2."""
        unknown = set(later) - set(LATER_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown tick counts: {', '.join(sorted(unknown))}")
        state = self.state
        with state.lock:
            start = max(state.last_event_ms, state.now_ms())
            self.clock.advance(seconds)
            end = max(start, state.now_ms())
            state.ticks += 1
            counts = {"new_leads": new_leads, "updated_leads": updated_leads, "deleted_leads": deleted_leads,
                      "merged_leads": merged_leads, "new_activities": new_activities, "asset_updates": asset_updates,
                      **later}
            summary = Ticker(state).tick(start, end, counts, seeded_rng(self.options.seed, "tick", state.ticks),
                                         seeded_rng(self.options.seed, "tick-later", state.ticks))
            state.last_event_ms = end
            return summary

    def consume_calls(self, count: int) -> None:
        """Another tool spends `count` of today's API calls."""
        self.state.usage.add_calls("other.tool@emulator.example", int(count))

    def consume_export_mb(self, megabytes: float) -> None:
        """Another tool spends bulk-export megabytes today."""
        self.state.usage.add_export_bytes(int(megabytes * 1024 * 1024))

    def occupy_queue(self, slots: int) -> int:
        """Another user enqueues `slots` export jobs that stay Queued/Processing until released."""
        manager, placed = self.state.jobs, 0
        for _ in range(int(slots)):
            try:
                job = manager.create(OTHER_CLIENT, "leads", "CSV", {"fields": ["id"], "filter": {}})
                job.hold = True
                manager.enqueue(OTHER_CLIENT, "leads", job.export_id)
                placed += 1
            except MarketoError:
                break
        return placed

    def release_queue(self) -> int:
        """Cancel the other user's jobs placed by `occupy_queue`."""
        return self.state.jobs.release_held()

    def log(self, message: str) -> None:
        if self.verbose:
            print(f"[marketo-emulator] {message}", file=sys.stderr, flush=True)


def _iso(ms: int) -> str:
    return rest_datetime(ms)
