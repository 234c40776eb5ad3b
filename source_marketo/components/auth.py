"""Marketo access tokens: one per run, shared by every stream and thread, refreshed before it expires.

Identity (marketo-api.md section 1): ``/identity/oauth/token`` with ``grant_type=client_credentials``;
a token lives 3600 s and asking again while it is valid returns the same token with a smaller
``expires_in``; bad credentials give HTTP 401 ``invalid_client``; identity calls are not counted.
We POST the credentials as a form body so the secret never sits in a URL (Airbyte's production
connector does the same); if that form is refused with anything but a credentials error, we fall
back once to the documented query-string form.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Optional

import requests

from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets

from source_marketo.components.clock import Clock
from source_marketo.components.errors import Action, Decision, classify_exception, classify_identity, is_identity_reply

IDENTITY_PATH = "/identity/oauth/token"


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # clock.monotonic() seconds
    lifetime: float
    scope: str  # the e-mail of the API-only user; stats/usage.json reports calls under it


class IdentityError(Exception):
    """Raised with a Decision saying why no token could be had."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


class MarketoTokenProvider:
    """Gets, caches and refreshes the access token; thread-safe."""

    def __init__(self, base_url: str, client_id: str, client_secret: str, session: requests.Session, clock: Clock, timeout: float = 30.0) -> None:
        self._url = base_url + IDENTITY_PATH
        self._client_id = client_id
        self._client_secret = client_secret
        self._session = session
        self._clock = clock
        self._timeout = timeout
        self._token: Optional[AccessToken] = None
        self._lock = threading.Lock()
        self.identity_calls = 0

    @property
    def scope(self) -> Optional[str]:
        return self._token.scope if self._token else None

    def token(self) -> str:
        """A token valid for a while yet: refreshed when less than a fifth of its life (at most 60 s) is left."""
        with self._lock:
            current = self._token
            if current is None or self._expiring(current):
                self._token = current = self._fetch()
            return current.value

    def invalidate(self, token_value: str) -> None:
        """Marketo said 601/602 for this token: forget it (unless another thread already replaced it)."""
        with self._lock:
            if self._token is not None and self._token.value == token_value:
                self._token = None

    def _expiring(self, token: AccessToken) -> bool:
        margin = min(60.0, token.lifetime * 0.2)
        return self._clock.monotonic() >= token.expires_at - margin

    def _fetch(self) -> AccessToken:
        form = {"grant_type": "client_credentials", "client_id": self._client_id, "client_secret": self._client_secret}
        response = self._send(data=form)
        if response.status_code not in (200, 401) and not is_identity_reply(_json_or_none(response)):
            response = self._send(params=form)
        return self._read(response)

    def _send(self, **kwargs) -> requests.Response:
        self.identity_calls += 1
        try:
            return self._session.post(self._url, timeout=self._timeout, **kwargs)
        except requests.RequestException as error:
            raise IdentityError(classify_exception(error, IDENTITY_PATH)) from None

    def _read(self, response: requests.Response) -> AccessToken:
        body = _json_or_none(response)
        decision = classify_identity(response.status_code, body)
        if decision.action is not Action.OK:
            raise IdentityError(decision)
        value = str(body["access_token"])
        add_to_secrets(value)
        lifetime = float(body.get("expires_in") or 3600)
        return AccessToken(value, self._clock.monotonic() + lifetime, lifetime, str(body.get("scope") or ""))


def _json_or_none(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return None
