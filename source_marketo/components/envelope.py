"""Marketo's reply envelope: ``{requestId, success, errors, warnings, result, nextPageToken, moreResult}``.

Marketo reports most failures as HTTP 200 with ``success: false`` and ``errors: [{code, message}]``,
codes being strings (marketo-api.md section 2). The Asset API says "nothing (more) found" with a
warning and no ``result`` key (section 3.4). This module reads an envelope; what to *do* about an
error is decided in errors.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional, Tuple

NO_ASSETS_WARNING = "No assets found for the given search criteria."


@dataclass(frozen=True)
class MarketoError:
    """One entry of ``errors``: Marketo's code (a string, never a number) and its message."""

    code: str
    message: str


@dataclass(frozen=True)
class Envelope:
    """A parsed reply body."""

    success: bool
    result: List[Any] = field(default_factory=list)
    errors: Tuple[MarketoError, ...] = ()
    warnings: Tuple[str, ...] = ()
    next_page_token: Optional[str] = None
    more_result: Optional[bool] = None
    request_id: Optional[str] = None

    @property
    def first_error(self) -> Optional[MarketoError]:
        return self.errors[0] if self.errors else None

    @property
    def no_assets_found(self) -> bool:
        """True for the Asset API's "nothing found / past the end" reply."""
        return any(NO_ASSETS_WARNING in warning for warning in self.warnings)


class MalformedEnvelope(ValueError):
    """The body is JSON but not a Marketo envelope (no boolean ``success``)."""


def parse_envelope(body: Any) -> Envelope:
    """Read a decoded JSON body; raises MalformedEnvelope for anything that is not an envelope."""
    if not isinstance(body, Mapping) or not isinstance(body.get("success"), bool):
        raise MalformedEnvelope(f"expected a Marketo reply with a boolean 'success', got {_shape(body)}")
    result = body.get("result")
    return Envelope(
        success=body["success"],
        result=result if isinstance(result, list) else [],
        errors=tuple(_errors(body.get("errors"))),
        warnings=tuple(_warnings(body.get("warnings"))),
        next_page_token=body.get("nextPageToken") or None,
        more_result=body.get("moreResult"),
        request_id=str(body["requestId"]) if body.get("requestId") else None,
    )


def _errors(raw: Any) -> List[MarketoError]:
    errors = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, Mapping):
            errors.append(MarketoError(code=str(item.get("code", "")), message=str(item.get("message", ""))))
    return errors


def _warnings(raw: Any) -> List[str]:
    """Warnings are plain strings in real replies, ``{code, message}`` objects in the swagger."""
    warnings = []
    for item in raw if isinstance(raw, list) else []:
        warnings.append(str(item.get("message", "")) if isinstance(item, Mapping) else str(item))
    return warnings


def _shape(body: Any) -> str:
    if isinstance(body, Mapping):
        keys = sorted(str(key) for key in body)[:6]
        return f"an object with keys {keys}"
    return f"a {type(body).__name__}"
