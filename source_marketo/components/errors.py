"""The ONE place that maps a Marketo reply (HTTP status, body code, identity reply, transport error)
to a decision, and the one base of the errors this connector raises on purpose.

Marketo answers most errors as HTTP 200 with ``success: false`` (marketo-api.md sections 2-3), so
the decision is taken from the body, never from the status alone. A Decision carries everything a
caller needs (what to do, which daily limit, whether a smaller request may succeed, what the user
should look at), so no other module compares Marketo codes. Every rule carries its reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Optional

import requests

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_marketo.components.envelope import Envelope


class Action(enum.Enum):
    OK = "ok"
    REFRESH_TOKEN = "refresh_token"  # get a new access token, then retry
    RETRY = "retry"  # transient: back off (jittered, exponential) and retry, bounded
    RATE_LIMITED = "rate_limited"  # 606: wait out Marketo's 20-second rate window, then retry
    BUSY = "busy"  # 615: 10 calls in flight; one returns within moments, so a short wait, then retry
    STOP = "stop"  # a daily limit (Decision.limit): stop cleanly with state, Airbyte retries later
    QUEUE_FULL = "queue_full"  # bulk queue at 10 jobs: wait for a slot, then enqueue again
    ALREADY_QUEUED = "already_queued"  # enqueue of a job that is already queued: nothing to do
    UNSUPPORTED_FILTER = "unsupported_filter"  # 1035: the subscription lacks this bulk filter
    NOT_FOUND = "not_found"  # bulk file/status 404: not ready yet, or gone (retention)
    MISSING = "missing"  # 1013 / 702: nothing to read at that address (a list deleted after it was listed)
    CONFIG_ERROR = "config_error"  # the user must fix something (credentials, permissions)
    FAIL = "fail"  # not retryable and not the user's to fix


class Limit(enum.Enum):
    """Which daily limit a STOP is about."""

    CALLS = "calls"  # nothing more can be asked today
    EXPORTS = "exports"  # no new bulk export today; running ones may finish


class Problem(enum.Enum):
    """What a user should look at when a connection cannot work (the check's message picks its words by it)."""

    UNKNOWN_HOST = "unknown_host"
    UNREACHABLE = "unreachable"
    BAD_CREDENTIALS = "bad_credentials"
    ACCESS_DENIED = "access_denied"
    INVALID_SUBSCRIPTION = "invalid_subscription"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str  # plain words, no secrets
    code: Optional[str] = None  # Marketo's code or the HTTP status, for messages and counters
    detail: Optional[str] = None  # what Marketo said, where: "Marketo 607 'Daily quota reached' on /rest/v1/x.json"
    limit: Optional[Limit] = None  # with STOP
    ask_for_less: bool = False  # a refusal that a smaller request (a shorter type list) may avoid
    problem: Optional[Problem] = None

    @property
    def failure_type(self) -> FailureType:
        if self.action is Action.CONFIG_ERROR:
            return FailureType.config_error
        if self.action in (Action.STOP, Action.RETRY, Action.RATE_LIMITED, Action.BUSY):
            return FailureType.transient_error
        return FailureType.system_error


# --- the exceptions this connector raises on purpose -----------------------------------------


class MarketoFailure(AirbyteTracedException):
    """Base of every deliberate error: the message a user sees (no secrets) and the failure type."""

    def __init__(self, message: str, failure_type: FailureType = FailureType.system_error) -> None:
        super().__init__(message=message, internal_message=message, failure_type=failure_type)


def user_message(error: BaseException) -> str:
    """What to tell a user about ``error``: its own message when it has one, else its type and text."""
    if isinstance(error, AirbyteTracedException) and error.message:
        return error.message
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


class ConfigError(MarketoFailure):
    """A setting the user must fix; the message names the setting and the fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FailureType.config_error)


class MarketoRequestError(MarketoFailure):
    """A call that failed for good: names the endpoint, Marketo's code and the attempts made."""

    def __init__(self, decision: Decision, attempts: int) -> None:
        tries = f"after {attempts} attempt{'s' if attempts != 1 else ''}"
        super().__init__(f"Marketo request failed {tries}: {decision.reason}.", decision.failure_type)
        self.decision = decision
        self.attempts = attempts


class ExportFailed(MarketoFailure):
    """A bulk lane stopped: a window could not be exported or read; the message names the job and window."""


# --- response-level codes (marketo-api.md 3.2, 3.3); the asterisked ones are not counted by Marketo --

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
    # 615 counts calls in flight, not calls per window: waiting for one to return is enough.
    "615": (Action.BUSY, "Marketo's limit of 10 concurrent calls was reached"),
    "713": (Action.RETRY, "Marketo reported a transient error"),
    # Both say "nothing to read here": 1013 for an id Marketo does not know (a static list deleted
    # between the listing and the read of its members), 702 for a search that found nothing. A
    # substream that opts in skips that parent; everywhere else they fail the request as before.
    "702": (Action.MISSING, "Marketo found no data for the request"),
    "1013": (Action.MISSING, "the object asked for does not exist (any more): it may have been deleted after it was listed"),
    "1035": (Action.UNSUPPORTED_FILTER, "this subscription does not support that bulk export filter"),
}
_PROBLEMS = {"603": Problem.ACCESS_DENIED, "614": Problem.INVALID_SUBSCRIPTION}
_LIMITS = {"607": Limit.CALLS}
# Invalid data (1003): also Marketo's answer to a request it finds too big (e.g. a list it finds too
# long); a shorter type list may succeed. Its real answer to long type lists is unconfirmed.
_ASK_FOR_LESS = frozenset({"1003"})


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
    return Decision(action, f"{reason} ({detail})", error.code, detail, limit=_LIMITS.get(error.code),
                    ask_for_less=error.code in _ASK_FOR_LESS, problem=_PROBLEMS.get(error.code))


def _classify_1029(message: str, endpoint: str) -> Decision:
    """1029 has three meanings, told apart only by the message (marketo-api.md 3.3, 6.3)."""
    text = message.lower()
    detail = f"Marketo 1029 '{message}' on {endpoint}"
    if "quota" in text:
        return Decision(Action.STOP, f"Marketo's daily bulk export allocation is used up ({detail})", "1029", detail, limit=Limit.EXPORTS)
    if "already queued" in text:
        return Decision(Action.ALREADY_QUEUED, f"the export job is already queued ({detail})", "1029", detail)
    if "queue" in text:
        return Decision(Action.QUEUE_FULL, f"Marketo's bulk export queue is full ({detail})", "1029", detail)
    return Decision(Action.FAIL, f"Marketo refused the bulk request ({detail})", "1029", detail)


def classify_status(status: int, endpoint: str) -> Optional[Decision]:
    """Decide from an HTTP status alone; None when the body must be read to decide."""
    if status == 404 and endpoint.startswith("/bulk/"):
        return Decision(Action.NOT_FOUND, f"Marketo has no file for this export (HTTP 404 on {endpoint})", "404")
    if status in (413, 414):  # a body over 1 MB or a URI over 8 KB: a smaller request may pass
        return Decision(Action.FAIL, f"the request was too large for Marketo (HTTP {status} on {endpoint})", str(status), ask_for_less=True)
    if status == 429 or status >= 500:
        return Decision(Action.RETRY, f"Marketo or a proxy answered HTTP {status} on {endpoint}", str(status))
    if status >= 400:
        return Decision(Action.FAIL, f"Marketo answered HTTP {status} on {endpoint}", str(status))
    return None


def classify_identity(status: int, body: Any) -> Decision:
    """The identity endpoint's reply (marketo-api.md 1.1-1.2): a token, a credentials error (HTTP 401
    ``invalid_client``/``unauthorized``, not the Marketo envelope), or something transient."""
    if status == 200 and isinstance(body, dict) and body.get("access_token"):
        return Decision(Action.OK, "ok")
    if status in (400, 401, 403) or (isinstance(body, dict) and body.get("error")):
        described = (body.get("error_description") or body.get("error")) if isinstance(body, dict) else None
        detail = f": {described}" if described else ""
        return Decision(Action.CONFIG_ERROR, f"Marketo rejected the client ID or client secret (HTTP {status}{detail}); check both in Admin > LaunchPoint",
                        str(status), problem=Problem.BAD_CREDENTIALS)
    if status >= 500 or status == 429:
        return Decision(Action.RETRY, f"the identity service answered HTTP {status}", str(status))
    return Decision(Action.RETRY, f"the identity service answered HTTP {status} without a token", "bad_body")


def is_identity_reply(body: Any) -> bool:
    """A body the identity service wrote (a token or an OAuth error), as opposed to a proxy's page."""
    return isinstance(body, dict) and ("access_token" in body or "error" in body)


def classify_exception(error: BaseException, endpoint: str) -> Decision:
    """Transport failures: timeouts and dropped connections are transient; DNS failures name the host."""
    if _is_name_resolution_error(error):
        return Decision(
            Action.RETRY,
            f"the Marketo host name does not resolve (on {endpoint}): check the Munchkin account ID or REST base URL",
            "dns",
            problem=Problem.UNKNOWN_HOST,
        )
    if isinstance(error, requests.exceptions.SSLError):
        return Decision(Action.FAIL, f"the TLS certificate of the Marketo host could not be verified (on {endpoint})", "tls")
    if isinstance(error, (requests.exceptions.Timeout, requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        return Decision(Action.RETRY, f"the connection to Marketo failed or timed out on {endpoint} ({type(error).__name__})", "network", problem=Problem.UNREACHABLE)
    return Decision(Action.FAIL, f"the request to {endpoint} failed ({type(error).__name__})", "client")


def classify_unreadable_body(status: int, content_type: str, endpoint: str) -> Decision:
    """A body that is not a Marketo envelope: an HTML page from a proxy, truncated or malformed JSON.

    Such replies come from something between us and Marketo having a bad moment, so they are retried
    (bounded); the final error says what came back.
    """
    kind = "an HTML page" if "html" in content_type.lower() else "a body that is not a Marketo JSON reply"
    return Decision(Action.RETRY, f"Marketo or a proxy answered HTTP {status} with {kind} on {endpoint}", "bad_body")


def classify_export_body(status: int, content_type: str, first_bytes: bytes, endpoint: str) -> Optional[Decision]:
    """An export file must be the CSV itself (marketo-api.md 6.4): a JSON envelope or an HTML page in
    its place (a proxy's error page, even with HTTP 200) is retried, never read as rows. None: CSV."""
    kind = content_type.lower()
    head = first_bytes.removeprefix(b"\xef\xbb\xbf").lstrip()[:15].lower()
    if "html" in kind or head.startswith((b"<!doctype", b"<html", b"<?xml")):
        return Decision(Action.RETRY, f"Marketo or a proxy answered HTTP {status} with an HTML page instead of the export file on {endpoint}", "bad_body")
    if head.startswith(b'{"'):  # a CSV header is field names; this is a JSON reply (an error envelope) in the file's place
        return Decision(Action.RETRY, f"Marketo answered HTTP {status} with a JSON reply instead of the export file on {endpoint}", "bad_body")
    return None


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
