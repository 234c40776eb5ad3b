"""The request pipeline of one API call: faults, identity, token, quota, rate and concurrency
limits, routing to a handler, and the accounting (usage and journal) — in Marketo's order.

Accounting rules: identity calls are never counted; calls answered with 601/602/604/605/608/611
are not counted (EL:error-codes); a call refused by the daily quota (607) is not counted; 606/615
count against the day but do not enter the 20-second window; HTTP-level faults (a proxy's 502, a
dropped connection before Marketo) are not counted.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from . import routes
from .envelope import UNCOUNTED_CODES, MarketoError, Reply, failure, request_id
from .handlers import Ctx
from .journal import JournalEntry, redact
from .request import Request
from .timefmt import rest_datetime


@dataclass
class Outcome:
    """A reply plus what the server needs to finish the call (body faults, accounting)."""

    reply: Reply
    entry: JournalEntry
    fault: object = None
    entered: bool = False  # holds an in-flight slot until the response is written


class Application:
    def __init__(self, emulator) -> None:
        self.emulator = emulator

    @property
    def state(self):
        return self.emulator.state

    def handle(self, request: Request) -> Outcome:
        state = self.state
        route, path_params = routes.match(request.path, request.method)
        template = route.template if route else request.path
        rid = request_id(state.next_request_id(), state.now_ms())
        entry = JournalEntry(seq=state.journal.next_seq(), time=rest_datetime(state.now_ms()), method=request.raw_method,
                             path=request.path, endpoint=template, params=redact(request.params))
        fault = state.faults.pick(request.raw_method, request.path, template)
        if fault is not None:
            entry.fault = fault.label()
            if fault.latency:
                time.sleep(fault.latency)
        outcome = Outcome(Reply(), entry, fault)
        asset = (route.group if route else routes.group_of(request.path)) == "asset"
        if route is not None and route.group == "identity":
            outcome.reply = self._faulted(fault, rid, asset) or route.handler(Ctx(state, request, rid, path_params))
            return outcome
        outcome.reply = self._admit_and_run(request, route, path_params, rid, fault, outcome, asset)
        code = outcome.reply.error_code
        entry.error_code = code
        if entry.counted:
            state.usage.count_call(state.tokens.user_of(entry.client_id), code)
        return outcome

    def _admit_and_run(self, request, route, path_params, rid, fault, outcome: Outcome, asset: bool) -> Reply:
        state = self.state
        entry = outcome.entry
        faulted = self._faulted(fault, rid, asset)
        if faulted is not None:
            entry.counted = fault.http_status is None and faulted.error_code not in UNCOUNTED_CODES | {"607"}
            return faulted
        client_id, token_error = state.tokens.check(request.token(), state.now_ms())
        if request.params.get("access_token") and not state.options.accept_query_token and \
                not request.headers.get("authorization"):
            client_id, token_error = None, "601"
        if token_error:
            return failure(rid, MarketoError(token_error), asset=asset)
        entry.client_id = client_id
        if route is None:
            entry.counted = True
            return failure(rid, MarketoError("610"), asset=asset)
        if request.method not in route.methods:
            return failure(rid, MarketoError("605"), asset=asset)
        if state.usage.quota_left() <= 0:
            return failure(rid, MarketoError("607"), asset=asset)
        entry.counted = True
        if not state.rate.admit():
            limit = state.options
            return failure(rid, MarketoError("606", f"Max rate limit '{limit.rate_limit_calls}' exceeded with in "
                                                    f"'{int(limit.rate_limit_window_seconds)}' secs"), asset=asset)
        if not state.inflight.enter():
            return failure(rid, MarketoError("615", f"Concurrent access limit '{state.options.max_concurrent_calls}' "
                                                    "reached"), asset=asset)
        outcome.entered = True
        try:
            return route.handler(Ctx(state, request, rid, path_params, client_id, fault))
        except MarketoError as error:
            return failure(rid, error, asset=asset)
        except Exception as error:  # an emulator bug must look like Marketo's 611, and be visible
            self.emulator.log(f"handler error on {request.path}: {error!r}")
            return failure(rid, MarketoError("611", f"System error: {error!r}"), asset=asset)

    @staticmethod
    def _faulted(fault, rid: str, asset: bool) -> Reply | None:
        if fault is None:
            return None
        if fault.http_status is not None:
            body = fault.body if fault.body is not None else ""
            body = body.encode("utf-8") if isinstance(body, str) else body
            return Reply(status=fault.http_status, body=body, content_type=fault.content_type or "text/html",
                         headers=dict(fault.headers), allow_gzip=False)
        if fault.error_code is not None:
            reply = failure(rid, MarketoError(fault.error_code, fault.error_message), asset=asset)
            reply.headers.update(fault.headers)
            return reply
        return None
