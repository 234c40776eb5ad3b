"""`/identity/oauth/token`: client_credentials via GET or POST, query string or form body.

Not a Marketo envelope: Spring-OAuth style bodies, 401 for bad credentials (marketo-api.md §1).
"""
from __future__ import annotations

from ..envelope import Reply
from . import Ctx

NO_CACHE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def token(ctx: Ctx) -> Reply:
    params = ctx.params
    grant = params.get("grant_type")
    if not grant:
        return Reply(status=400, body={"error": "invalid_request", "error_description": "Missing grant type"},
                     headers=dict(NO_CACHE))
    if grant != "client_credentials":
        return Reply(status=400, body={"error": "unsupported_grant_type",
                                       "error_description": f"Unsupported grant type: {grant}"}, headers=dict(NO_CACHE))
    state = ctx.state
    with state.lock:
        status, body = state.tokens.issue(params.get("client_id", ""), params.get("client_secret", ""), state.now_ms())
    return Reply(status=status, body=body, headers=dict(NO_CACHE))
