"""The ONE place that maps a Marketo reply (HTTP status, body code, transport error) to an action.

Marketo answers most errors as HTTP 200 with ``success: false`` (marketo-api.md sections 2-3), so
the decision is taken from the body, never from the status alone. Every rule carries its reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional

import requests

from airbyte_cdk.models import FailureType

from source_marketo.components.envelope import Envelope


class Action(enum.Enum):
    OK = "ok"
    REFRESH_TOKEN = "refresh_token"  # get a new access token, then retry
    RETRY = "retry"  # transient: back off (jittered, exponential) and retry, bounded
    RATE_LIMITED = "rate_limited"  # 606/615: back off at least one rate window, then retry
    STOP = "stop"  # a daily limit: stop cleanly with state, Airbyte retries later
    QUEUE_FULL = "queue_full"  # bulk queue at 10 jobs: wait for a slot, then enqueue again
    ALREADY_QUEUED = "already_queued"  # enqueue of a job that is already queued: nothing to do
    UNSUPPORTED_FILTER = "unsupported_filter"  # 1035: the subscription lacks this bulk filter
    NOT_FOUND = "not_found"  # bulk file/status 404: not ready yet, or gone (retention)
    CONFIG_ERROR = "config_error"  # the user must fix something (credentials, permissions)
    FAIL = "fail"  # not retryable and not the user's to fix


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str  # plain words, no secrets
    code: Optional[str] = None  # Marketo's code or the HTTP status, for messages and counters
    detail: Optional[str] = None  # what Marketo said, where: "Marketo 607 'Daily quota reached' on /rest/v1/x.json"

    @property
    def failure_type(self) -> FailureType:
        if self.action is Action.CONFIG_ERROR:
            return FailureType.config_error
        if self.action in (Action.STOP, Action.RETRY, Action.RATE_LIMITED):
            return FailureType.transient_error
        return FailureType.system_error


# Response-level codes (marketo-api.md 3.2). The asterisked ones are not counted by Marketo.
_BODY_RULES = {
    "601": (Action.REFRESH_TOKEN, "the access token is invalid"),
    "602": (Action.REFRESH_TOKEN, "the access token expired"),
    "603": (Action.CONFIG_ERROR, "access denied: the API user's role lacks a read permission (Read-Only Lead, Activity, Assets or Campaign), or an IP allow-list blocks this host"),
    "604": (Action.RETRY, "Marketo timed out on the request"),
    "606": (Action.RATE_LIMITED, "Marketo's limit of 100 calls per 20 seconds was exceeded"),
    "607": (Action.STOP, "Marketo's daily API call quota is used up"),
    "608": (Action.RETRY, "the API is temporarily unavailable"),
    "611": (Action.RETRY, "Marketo had a system error"),
    "613": (Action.FAIL, "Marketo rejected the request as an invalid multipart request"),
    "614": (Action.CONFIG_ERROR, "the subscription is invalid or unreachable: check the Munchkin account ID"),
    "615": (Action.RATE_LIMITED, "Marketo's limit of 10 concurrent calls was reached"),
    "713": (Action.RETRY, "Marketo reported a transient error"),
    "1035": (Action.UNSUPPORTED_FILTER, "this subscription does not support that bulk export filter"),
}


def classify_body(envelope: Envelope, endpoint: str) -> Decision:
    """Decide from a parsed Marketo envelope."""
    if envelope.success:
        return Decision(Action.OK, "ok")
    error = envelope.first_error
    if error is None:
        return Decision(Action.FAIL, f"Marketo answered success=false with no error on {endpoint}")
    if error.code == "1029":
        return _classify_1029(error.message, endpoint)
    action, reason = _BODY_RULES.get(error.code, (Action.FAIL, "Marketo refused the request"))
    detail = f"Marketo {error.code} '{error.message}' on {endpoint}"
    return Decision(action, f"{reason} ({detail})", error.code, detail)


def _classify_1029(message: str, endpoint: str) -> Decision:
    """1029 has three meanings, told apart only by the message (marketo-api.md 3.3, 6.3)."""
    text = message.lower()
    detail = f"Marketo 1029 '{message}' on {endpoint}"
    if "quota" in text:
        return Decision(Action.STOP, f"Marketo's daily bulk export allocation is used up ({detail})", "1029", detail)
    if "already queued" in text:
        return Decision(Action.ALREADY_QUEUED, f"the export job is already queued ({detail})", "1029", detail)
    if "queue" in text:
        return Decision(Action.QUEUE_FULL, f"Marketo's bulk export queue is full ({detail})", "1029", detail)
    return Decision(Action.FAIL, f"Marketo refused the bulk request ({detail})", "1029", detail)


def classify_status(status: int, endpoint: str, is_identity: bool = False) -> Optional[Decision]:
    """Decide from an HTTP status alone; None when the body must be read to decide."""
    if is_identity and status in (400, 401, 403):
        return Decision(Action.CONFIG_ERROR, "Marketo rejected the client ID or client secret", str(status))
    if status == 404 and endpoint.startswith("/bulk/"):
        return Decision(Action.NOT_FOUND, f"Marketo has no file for this export (HTTP 404 on {endpoint})", "404")
    if status in (413, 414):
        return Decision(Action.FAIL, f"the request was too large for Marketo (HTTP {status} on {endpoint})", str(status))
    if status == 429 or status >= 500:
        return Decision(Action.RETRY, f"Marketo or a proxy answered HTTP {status} on {endpoint}", str(status))
    if status >= 400:
        return Decision(Action.FAIL, f"Marketo answered HTTP {status} on {endpoint}", str(status))
    return None


def classify_exception(error: BaseException, endpoint: str) -> Decision:
    """Transport failures: timeouts and dropped connections are transient; DNS failures name the host."""
    if _is_name_resolution_error(error):
        return Decision(
            Action.RETRY,
            f"the Marketo host name does not resolve (on {endpoint}): check the Munchkin account ID or REST base URL",
            "dns",
        )
    if isinstance(error, requests.exceptions.SSLError):
        return Decision(Action.FAIL, f"the TLS certificate of the Marketo host could not be verified (on {endpoint})", "tls")
    if isinstance(error, (requests.exceptions.Timeout, requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return Decision(Action.RETRY, f"the connection to Marketo failed or timed out on {endpoint} ({type(error).__name__})", "network")
    return Decision(Action.FAIL, f"the request to {endpoint} failed ({type(error).__name__})", "client")


def classify_unreadable_body(status: int, content_type: str, endpoint: str) -> Decision:
    """A body that is not a Marketo envelope: an HTML page from a proxy, truncated or malformed JSON.

    Such replies come from something between us and Marketo having a bad moment, so they are retried
    (bounded); the final error says what came back.
    """
    kind = "an HTML page" if "html" in content_type.lower() else "a body that is not a Marketo JSON reply"
    return Decision(Action.RETRY, f"Marketo or a proxy answered HTTP {status} with {kind} on {endpoint}", "bad_body")


def is_unknown_host(decision: Decision) -> bool:
    return decision.code == "dns"


def _is_name_resolution_error(error: BaseException) -> bool:
    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = f"{type(current).__name__} {current}"
        if "NameResolutionError" in text or "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo failed" in text or "Temporary failure in name resolution" in text:
            return True
        current = current.__cause__ or current.__context__ or (current.args[0] if current.args and isinstance(current.args[0], BaseException) else None)
    return False
