"""Fixtures shared by the end-to-end tests."""

import pytest

from source_marketo.components import client as client_module
from source_marketo.components.client import RetryPolicy


@pytest.fixture
def quick_retries(monkeypatch):
    """Backoff in milliseconds instead of seconds: the schedule is the same, the test is quick."""
    monkeypatch.setattr(client_module, "DEFAULT_POLICY", RetryPolicy(base_delay=0.01, max_delay=0.05, rate_limit_delay=0.05))
