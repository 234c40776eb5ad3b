"""Per-stream state of the bulk streams, in and out, and the messages that carry it.

A bulk stream's state: its cursor (the end of the last window fully emitted), the exports created
but not yet emitted (ids, so an interrupted run reuses them instead of paying the megabytes again;
files live 7 days), and the bytes a day of data took (for window sizing).
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    StreamDescriptor,
    Type,
)


def stream_states(state: Optional[List[Any]]) -> Dict[str, Dict[str, Any]]:
    """Input state (a list of STREAM state messages, as objects or dicts) -> {stream name: state dict}."""
    found: Dict[str, Dict[str, Any]] = {}
    for message in state or []:
        name, blob = _stream_entry(message)
        if name and isinstance(blob, Mapping):
            found[name] = dict(blob)
    return found


def state_message(stream: str, value: Mapping[str, Any]) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(stream_descriptor=StreamDescriptor(name=stream), stream_state=AirbyteStateBlob(**dict(value))),
        ),
    )


def _stream_entry(message: Any):
    if isinstance(message, Mapping):
        stream = message.get("stream") or {}
        descriptor = stream.get("stream_descriptor") or {}
        return descriptor.get("name"), stream.get("stream_state")
    stream = getattr(message, "stream", None)
    if stream is None or stream.stream_descriptor is None:
        return None, None
    blob = stream.stream_state
    if blob is not None and not isinstance(blob, Mapping):
        blob = blob.__dict__
    return stream.stream_descriptor.name, blob
