"""The per-run objects every component shares: settings, the one MarketoClient, the export budget, counters.

The declarative framework builds our custom components from the manifest and hands each the
config mapping of the source that built it; the source registers its runtime under that mapping,
so every requester of a run reaches the same client (one token, one rate limiter, one budget).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

import requests
from requests.adapters import HTTPAdapter

from source_marketo.components.auth import MarketoTokenProvider
from source_marketo.components.budget import CallRateLimiter, DailyCallBudget, ExportBudget
from source_marketo.components import client as client_module
from source_marketo.components.client import MarketoClient, RetryPolicy
from source_marketo.components.clock import Clock, MarketoClock, SystemClock
from source_marketo.components.settings import MarketoSettings

USER_AGENT = "source-marketo (Airbyte source connector)"


@dataclass
class MarketoRuntime:
    settings: MarketoSettings
    client: MarketoClient
    exports: ExportBudget
    clock: Clock
    logger: logging.Logger
    records: Counter = field(default_factory=Counter)  # per stream, for the run summary
    jobs_created: int = 0
    jobs_reused: int = 0
    replies: Dict[Any, Any] = field(default_factory=dict)  # per-run cache of replies that do not change
    cache_lock: threading.Lock = field(default_factory=threading.Lock)


    def cached_get(self, path: str, params: Optional[Mapping[str, Any]] = None):
        """A GET whose answer does not change within a run (activity types, the segmentation list),
        asked once however many streams need it."""
        key = (path, tuple(sorted((params or {}).items())))
        with self.cache_lock:  # held through the call: a second stream asking at once waits for the first's answer
            if key not in self.replies:
                self.replies[key] = self.client.get(path, params=params)
            return self.replies[key]


def build_runtime(settings: MarketoSettings, logger: logging.Logger, clock: Optional[Clock] = None, policy: Optional[RetryPolicy] = None) -> MarketoRuntime:
    clock = clock or SystemClock()
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=settings.max_concurrent_calls)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    tokens = MarketoTokenProvider(settings.base_url, settings.client_id, settings.client_secret, session, clock)
    limiter = CallRateLimiter(clock, calls=settings.max_calls_per_20_seconds, period=20.0, concurrent=settings.max_concurrent_calls)
    marketo_clock = MarketoClock(clock)
    calls = DailyCallBudget(marketo_clock, settings.daily_api_call_limit)  # "today" is Marketo's day
    client = MarketoClient(settings.base_url, tokens, session, limiter, calls, clock, logger, policy or client_module.DEFAULT_POLICY, marketo_clock=marketo_clock)
    return MarketoRuntime(settings, client, ExportBudget(marketo_clock, settings.daily_bulk_export_limit_mb), clock, logger)


_REGISTRY: Dict[int, Tuple[Mapping[str, Any], MarketoRuntime]] = {}
_REGISTRY_LOCK = threading.Lock()


def register(config: Mapping[str, Any], runtime: MarketoRuntime) -> None:
    """Make ``runtime`` the one that components built from ``config`` use (the entry keeps ``config`` alive)."""
    with _REGISTRY_LOCK:
        _REGISTRY[id(config)] = (config, runtime)


def lookup(config: Mapping[str, Any]) -> MarketoRuntime:
    with _REGISTRY_LOCK:
        entry = _REGISTRY.get(id(config))
    if entry is None or entry[0] is not config:
        raise RuntimeError("No Marketo runtime is registered for this config: build the streams through SourceMarketo.")
    return entry[1]


def unregister(config: Mapping[str, Any]) -> None:
    with _REGISTRY_LOCK:
        _REGISTRY.pop(id(config), None)
