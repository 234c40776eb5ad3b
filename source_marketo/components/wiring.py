"""Wiring: the objects of one run built from its settings (session, token, limiter, budgets, client).

Kept apart from the container (runtime.py) so that tests can build a runtime from fakes and the
container has no knowledge of HTTP sessions.
"""

from __future__ import annotations

import logging
from typing import Optional

import requests
from requests.adapters import HTTPAdapter

from source_marketo.components import client as client_module
from source_marketo.components.auth import MarketoTokenProvider
from source_marketo.components.budget import CallRateLimiter, DailyCallBudget, ExportBudget
from source_marketo.components.client import MarketoClient, RetryPolicy
from source_marketo.components.clock import Clock, MarketoClock, SystemClock
from source_marketo.components.runtime import MarketoRuntime
from source_marketo.components.settings import MarketoSettings

USER_AGENT = "source-marketo (Airbyte source connector)"


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
