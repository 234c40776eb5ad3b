"""MarketoClient: the one HTTP path of a run. Every call (REST streams, describe, bulk jobs, downloads)
goes through it, so all share one session, one token, one rate limiter, one daily budget, one
error classifier (errors.py) and one bounded, jittered retry policy.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Collection, Iterator, Mapping, Optional
from urllib.parse import urlencode

import requests

from source_marketo.components.auth import IdentityError, MarketoTokenProvider
from source_marketo.components.budget import CallRateLimiter, DailyCallBudget, LimitReached, next_reset
from source_marketo.components.clock import Clock, MarketoClock
from source_marketo.components.envelope import Envelope, MalformedEnvelope, parse_envelope
from source_marketo.components.errors import (
    Action,
    Decision,
    Limit,
    MarketoRequestError,
    classify_body,
    classify_exception,
    classify_status,
    classify_unreadable_body,
)

MAX_URL_LENGTH = 7000  # Marketo answers 414 past 8 KB; long GETs become POST ?_method=GET (marketo-api.md 2.2)
USAGE_PATH = "/rest/v1/stats/usage.json"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    rate_limited_attempts: int = 12  # 606/615 say "wait", not "broken": they get more patience
    base_delay: float = 1.0
    max_delay: float = 60.0
    rate_limit_delay: float = 20.0  # 606: one Marketo rate window
    busy_delay: float = 0.1  # 615: a call in flight returns within moments; doubled per attempt, at most 2 s
    token_refreshes: int = 2
    connect_timeout: float = 15.0
    read_timeout: float = 150.0


DEFAULT_POLICY = RetryPolicy()


@dataclass
class Reply:
    response: requests.Response
    envelope: Optional[Envelope]
    decision: Decision


class MarketoClient:
    def __init__(
        self,
        base_url: str,
        tokens: MarketoTokenProvider,
        session: requests.Session,
        limiter: CallRateLimiter,
        calls: DailyCallBudget,
        clock: Clock,
        logger: logging.Logger,
        policy: RetryPolicy = RetryPolicy(),
        rng: Optional[random.Random] = None,
        marketo_clock: Optional[MarketoClock] = None,
    ) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self.session = session
        self.limiter = limiter
        self.calls = calls
        self.clock = clock
        self.logger = logger
        self.policy = policy
        self._rng = rng or random.Random()
        self.calls_by_endpoint: Counter = Counter()
        self.retries: Counter = Counter()
        self._refreshing_usage = False
        self.stopped_by: Optional[LimitReached] = None  # the daily limit that stopped this run, if any
        self.marketo_clock = marketo_clock or MarketoClock(clock)

    def server_now(self) -> datetime:
        """Marketo's current time, as its last reply told it (see MarketoClock)."""
        return self.marketo_clock.now()

    def get(self, path: str, params: Optional[Mapping[str, Any]] = None, accept: Collection[Action] = ()) -> Reply:
        return self.request("GET", path, params=params, accept=accept)

    def post_json(self, path: str, body: Mapping[str, Any], accept: Collection[Action] = ()) -> Reply:
        return self.request("POST", path, json=body, accept=accept)

    def request(self, method: str, path: str, *, params: Optional[Mapping[str, Any]] = None, json: Any = None, accept: Collection[Action] = ()) -> Reply:
        """Send with retries; return a Reply when the outcome is OK or in ``accept``, raise otherwise."""
        try:
            return self._request(method, path, params=params, json=json, accept=accept)
        except LimitReached as stop:
            self.stopped_by = self.stopped_by or stop
            raise

    def _request(self, method: str, path: str, *, params: Optional[Mapping[str, Any]], json: Any, accept: Collection[Action]) -> Reply:
        method, params, data = self._fit_url(method, path, params)
        attempt, refreshes = 0, 0
        while True:
            attempt += 1
            try:
                token = self._before_call(path)
            except IdentityError as error:
                self._raise_if_final(error.decision, attempt)
                self._back_off(error.decision, attempt, path)
                continue
            reply = self._send_once(method, path, token, params=params, json=json, data=data)
            decision = reply.decision
            if decision.action is Action.OK or decision.action in accept:
                return reply
            if decision.action is Action.REFRESH_TOKEN and refreshes < self.policy.token_refreshes:
                refreshes += 1
                self.tokens.invalidate(token)
                continue
            self._raise_if_final(decision, attempt)
            self._back_off(decision, attempt, path)

    @contextmanager
    def stream(self, path: str, headers: Mapping[str, str], read_timeout: float) -> Iterator[Reply]:
        """One streamed GET (a bulk file download), holding its in-flight slot until the body is closed.

        No retry here: the downloader resumes with ``Range`` and decides itself; the Reply's decision
        says what came back (OK, NOT_FOUND, RETRY...).
        """
        try:
            token = self._before_call(path)
        except IdentityError as error:
            yield Reply(None, None, error.decision)  # type: ignore[arg-type]
            return
        except LimitReached as stop:
            self.stopped_by = self.stopped_by or stop
            raise
        self.limiter.acquire()
        response = None
        try:
            try:
                response = self.session.get(
                    self.base_url + path,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                    stream=True,
                    timeout=(self.policy.connect_timeout, read_timeout),
                )
            except requests.RequestException as error:
                yield Reply(None, None, classify_exception(error, path))  # type: ignore[arg-type]
                return
            decision = self._decide_stream(response, path, token)
            yield Reply(response, None, decision)
        finally:
            if response is not None:
                response.close()
            self.limiter.release()

    def back_off(self, decision: Decision, attempt: int, path: str) -> None:
        """Public for callers with their own retry loop (downloads): the same jittered schedule."""
        try:
            self._raise_if_final(decision, attempt)
        except LimitReached as stop:
            self.stopped_by = self.stopped_by or stop
            raise
        self._back_off(decision, attempt, path)

    def _decide_stream(self, response: requests.Response, path: str, token: str) -> Decision:
        by_status = classify_status(response.status_code, path)
        if by_status is not None:
            return by_status
        if "json" in response.headers.get("Content-Type", ""):
            # The file endpoint can answer with a JSON error envelope instead of CSV (marketo-api.md 2.2).
            envelope = _parse(response)
            decision = classify_body(envelope, path) if envelope else classify_unreadable_body(response.status_code, "json", path)
            if decision.action is Action.REFRESH_TOKEN:
                self.tokens.invalidate(token)
                return Decision(Action.RETRY, decision.reason, decision.code)
            if decision.action is Action.OK:
                return Decision(Action.RETRY, f"a JSON reply instead of the export file on {path}", "bad_body")
            return decision
        return Decision(Action.OK, "ok")

    def _before_call(self, path: str) -> str:
        """Budget first (a refused call never reaches Marketo), then a valid token."""
        if not self._refreshing_usage and self.calls.refresh_due():
            self._refresh_usage()
        self.calls.spend(path)
        self.calls_by_endpoint[_endpoint_name(path)] += 1
        return self.tokens.token()

    def _send_once(self, method: str, path: str, token: str, **kwargs: Any) -> Reply:
        self.limiter.acquire()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                headers={"Authorization": f"Bearer {token}"},
                timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                **kwargs,
            )
            _ = response.content  # read the body while holding the in-flight slot
        except requests.RequestException as error:
            return Reply(None, None, classify_exception(error, path))  # type: ignore[arg-type]
        finally:
            self.limiter.release()
        return self._decide(response, path)

    def _decide(self, response: requests.Response, path: str) -> Reply:
        by_status = classify_status(response.status_code, path)
        if by_status is not None:
            return Reply(response, None, by_status)
        envelope = _parse(response)
        if envelope is None:
            return Reply(response, None, classify_unreadable_body(response.status_code, response.headers.get("Content-Type", ""), path))
        self._observe_server_time(envelope.request_id)
        return Reply(response, envelope, classify_body(envelope, path))

    def _observe_server_time(self, request_id: Optional[str]) -> None:
        moment = _request_id_time(request_id)
        local = self.clock.now()
        if moment is not None and abs((moment - local).total_seconds()) < 366 * 86400:  # a plausible clock, not an opaque id
            self.marketo_clock.observe(moment)

    def _raise_if_final(self, decision: Decision, attempt: int) -> None:
        if decision.action is Action.STOP:
            kind = decision.limit or Limit.CALLS
            limit = "Marketo's daily bulk export allocation" if kind is Limit.EXPORTS else "Marketo's daily API call quota"
            raise LimitReached(limit, decision.detail or decision.reason, next_reset(self.marketo_clock.now()), kind=kind)
        if decision.action in (Action.RATE_LIMITED, Action.BUSY) and attempt < self.policy.rate_limited_attempts:
            return
        if decision.action is not Action.RETRY or attempt >= self.policy.max_attempts:
            raise MarketoRequestError(decision, attempt)

    def _back_off(self, decision: Decision, attempt: int, path: str) -> None:
        self.retries[decision.code or decision.action.value] += 1
        if decision.action is Action.BUSY:  # calls in flight finish in moments: no rate window to wait out
            ceiling = min(2.0, self.policy.busy_delay * 2 ** (attempt - 1))
        else:
            ceiling = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
        delay = self._rng.uniform(ceiling / 2, ceiling)
        if decision.action is Action.RATE_LIMITED:
            delay += self.policy.rate_limit_delay
        patient = decision.action in (Action.RATE_LIMITED, Action.BUSY)
        limit = self.policy.rate_limited_attempts if patient else self.policy.max_attempts
        self.logger.warning(f"Retrying in {delay:.1f} s (attempt {attempt} of {limit}): {decision.reason}")
        self.clock.sleep(delay)

    def _fit_url(self, method: str, path: str, params: Optional[Mapping[str, Any]]):
        """Long GET query strings travel as a form body of ``POST ...?_method=GET``."""
        if method != "GET" or not params:
            return method, params, None
        if len(self.base_url) + len(path) + len(urlencode(params, doseq=True)) <= MAX_URL_LENGTH:
            return method, params, None
        return "POST", {"_method": "GET"}, dict(params)

    def _refresh_usage(self) -> None:
        self._refreshing_usage = True
        try:
            reply = self.get(USAGE_PATH)
            self.calls.observe_usage(_calls_by_user(reply.envelope, self.tokens.scope) if reply.envelope else 0)
        finally:
            self._refreshing_usage = False


def _parse(response: requests.Response) -> Optional[Envelope]:
    try:
        return parse_envelope(response.json())
    except (ValueError, MalformedEnvelope):
        return None


def _request_id_time(request_id: Optional[str]) -> Optional[datetime]:
    if not request_id or "#" not in request_id:
        return None
    try:
        milliseconds = int(request_id.rsplit("#", 1)[1], 16)
        return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def _calls_by_user(envelope: Envelope, user: Optional[str]) -> int:
    """Today's count for our API user from ``stats/usage.json`` (0 when it is not listed yet)."""
    for day in envelope.result[:1]:
        for entry in day.get("users") or []:
            if user and str(entry.get("userId", "")).lower() == user.lower():
                return int(entry.get("count") or 0)
    return 0


def _endpoint_name(path: str) -> str:
    """``/bulk/v1/leads/export/<uuid>/file.json`` -> ``/bulk/v1/leads/export/{id}/file.json`` for counters."""
    parts = [("{id}" if any(ch.isdigit() for ch in part) and "." not in part and part not in ("v1",) else part) for part in path.split("/")]
    return "/".join(parts)
