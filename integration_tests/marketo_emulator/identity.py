"""OAuth client_credentials tokens (marketo-api.md §1).

One token per client at a time: asking again while it is valid returns the same token with the
remaining lifetime; an expired token gives 602, an unknown one 601.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Token:
    value: str
    client_id: str
    expires_ms: int


class TokenStore:
    def __init__(self, clients: dict[str, tuple[str, str]], ttl_seconds: int, rng) -> None:
        self._clients = clients  # client_id -> (secret, api user email)
        self._ttl_ms = int(ttl_seconds * 1000)
        self._rng = rng
        self._by_client: dict[str, Token] = {}
        self._by_value: dict[str, Token] = {}

    def add_client(self, client_id: str, secret: str, user: str) -> None:
        self._clients[client_id] = (secret, user)

    def user_of(self, client_id: str) -> str:
        return self._clients.get(client_id, ("", client_id))[1]

    def issue(self, client_id: str, secret: str, now_ms: int) -> tuple[int, dict]:
        """(HTTP status, body) of an identity call."""
        if client_id not in self._clients:
            return 401, {"error": "unauthorized", "error_description": f"No client with requested id: {client_id}"}
        if self._clients[client_id][0] != secret:
            return 401, {"error": "invalid_client", "error_description": "Bad client credentials"}
        token = self._by_client.get(client_id)
        if token is None or token.expires_ms <= now_ms:
            token = Token(self._new_value(), client_id, now_ms + self._ttl_ms)
            self._by_client[client_id] = token
            self._by_value[token.value] = token
        # Whole seconds left, strictly: a brand-new token says 3599, as in Marketo's own example.
        remaining = max(0, (token.expires_ms - now_ms - 1) // 1000)
        return 200, {"access_token": token.value, "token_type": "bearer", "expires_in": int(remaining),
                     "scope": self._clients[client_id][1]}

    def check(self, value: str | None, now_ms: int) -> tuple[str | None, str | None]:
        """(client_id, None) when valid, else (None, "601"|"602")."""
        if not value:
            return None, "601"
        token = self._by_value.get(value)
        if token is None:
            return None, "601"
        if token.expires_ms <= now_ms:
            return None, "602"
        return token.client_id, None

    def _new_value(self) -> str:
        hexes = "%032x" % self._rng.getrandbits(128)
        return f"{hexes[:8]}-{hexes[8:12]}-{hexes[12:16]}-{hexes[16:20]}-{hexes[20:]}:ab"
