"""``check``: authenticate and make one cheap call that needs read permissions.

``activities/types.json`` needs the API user's read permission (so 603 shows up), costs one call,
and lets us verify the configured activity type ids exist on the instance. A check retries little
and waits briefly: a user is waiting for its answer.
"""

from __future__ import annotations

from typing import Any, Mapping

from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_marketo.components.budget import LimitReached
from source_marketo.components.client import RetryPolicy
from source_marketo.components.errors import MarketoRequestError, Problem
from source_marketo.components.metadata import activity_types, lead_fields, validate_activity_type_ids, validate_custom_lead_fields
from source_marketo.components.runtime import MarketoRuntime

CHECK_POLICY = RetryPolicy(max_attempts=2, rate_limited_attempts=2, base_delay=0.5, max_delay=1.0, rate_limit_delay=2.0)  # a check answers quickly


def check_connection(runtime: MarketoRuntime) -> str:
    """Raise an AirbyteTracedException with a plain message when the connection cannot work."""
    runtime.client.policy = CHECK_POLICY
    types = activity_types(runtime)
    validate_activity_type_ids(runtime.settings, types)
    if runtime.settings.custom_lead_fields:
        validate_custom_lead_fields(runtime.settings, lead_fields(runtime))
    user = runtime.client.tokens.scope or "the API user"
    return f"Connected to Marketo at {runtime.settings.base_url} as {user}; {len(types)} activity types visible."


def failure_message(error: AirbyteTracedException, config: Mapping[str, Any]) -> str:
    """The check's answer in plain words, one per kind of problem (errors.py says which it is)."""
    where = str(config.get("munchkin_id") or "the configured instance")
    if isinstance(error, MarketoRequestError):
        advice = {
            Problem.UNKNOWN_HOST: f"The Marketo host for '{where}' does not resolve: check the Munchkin account ID or REST base URL.",
            Problem.UNREACHABLE: f"Cannot reach Marketo at '{where}': the connection failed or timed out. Check the URL and that this network may reach it.",
            Problem.BAD_CREDENTIALS: "Marketo rejected the client ID or client secret: copy both again from Admin > LaunchPoint > View Details.",
            Problem.ACCESS_DENIED: ("Marketo denied access (603): give the API user's role the read permissions (Read-Only Lead, Read-Only Activity, "
                                    "Read-Only Assets, Read-Only Campaign), and check the instance's IP allow-list."),
        }
        return advice.get(error.decision.problem) or error.message or str(error)
    if isinstance(error, LimitReached):
        resets = f"; it resets at {error.resets_at:%Y-%m-%d %H:%M} UTC (midnight US Central)" if error.resets_at else ""
        return f"No API calls are left today: {error.detail}{resets}."
    return error.message or str(error)
