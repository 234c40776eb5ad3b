"""The per-run container every component shares: settings, the one MarketoClient, the export budget, counters.

The declarative framework builds our custom components from the manifest and hands each the
config mapping of the source that built it (the same object, every time). That mapping is a
RunConfig, which carries the run's container, so every requester of a run reaches the same client
(one token, one rate limiter, one budget) without any module-level registry.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional

from source_marketo.components.budget import ExportBudget
from source_marketo.components.client import MarketoClient
from source_marketo.components.clock import Clock
from source_marketo.components.errors import MarketoFailure
from source_marketo.components.settings import MarketoSettings


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


class RunConfig(dict):
    """The user's config (as a plain mapping for the framework) with this run's container attached."""

    runtime: Optional[MarketoRuntime] = None


def runtime_of(config: Mapping[str, Any]) -> MarketoRuntime:
    """The container of the run whose source built the component holding ``config``."""
    runtime = getattr(config, "runtime", None)
    if runtime is None:
        raise MarketoFailure("No Marketo run is attached to this config: build the streams through SourceMarketo.")
    return runtime
