"""Handlers: parse a request, ask the models, return a `Reply` value (or raise `MarketoError`)."""
from __future__ import annotations

from dataclasses import dataclass

from ..faults import FaultRule
from ..request import Request


@dataclass
class Ctx:
    """Everything a handler may use for one call."""

    state: object
    request: Request
    rid: str
    path_params: dict
    client_id: str | None = None
    fault: FaultRule | None = None

    @property
    def params(self) -> dict:
        return self.request.params
