"""The hot path: CSV rows -> typed records -> Airbyte RECORD lines, with per-column work done once per file.

A converter for a file is generated once from its header and the stream's schema (one Python
function with one expression per column), so each row costs one call, not one per value. The
common shapes are handled inline (``null`` literal -> None, ``...Z`` datetimes as they are); any
other value takes the general converter of types.py, and a value that fits no converter raises
an error naming the column. RECORD lines are serialized with orjson around a prefix and suffix
prepared once per stream.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import orjson

from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, Type

from source_marketo.components.types import CONVERTERS, NULL_LITERAL, rfc3339, to_boolean, to_number

Row = List[str]
Converter = Callable[[Row], Dict[str, Any]]

_INLINE = {
    "string": "(None if (v := row[{i}]) == 'null' else v)",
    "integer": "(None if (v := row[{i}]) == 'null' or v == '' else int(v))",
    "date": "(None if (v := row[{i}]) == 'null' or v == '' else v)",
    "number": "_number(row[{i}])",
    # true/false in lead exports, 1/0 in program member exports (marketo-api.md 7.3)
    "boolean": "(True if (v := row[{i}]) == 'true' else False if v == 'false' else True if v == '1' else False if v == '0' else _boolean(v))",
    # the common shape as it is, the null literal (as rfc3339 gives it) without the call
    "datetime": "(v if len(v := row[{i}]) == 20 and v[19] == 'Z' else None if v == 'null' else _datetime(v))",
}
_HELPERS = {"_number": to_number, "_boolean": to_boolean, "_datetime": rfc3339}


class RowError(ValueError):
    """A value that does not fit its column's type; names the column."""


@dataclass(frozen=True)
class ColumnPlan:
    """Where each output column comes from: (column, row index or None for a constant None, kind)."""

    columns: Tuple[Tuple[str, Optional[int], str], ...]

    def compile(self) -> Converter:
        """One generated function for the whole row; falls back to the checked path on any surprise."""
        fast, checked = self.compile_fast(), self.checked

        def convert(row: Row) -> Dict[str, Any]:
            try:
                return fast(row)
            except (ValueError, TypeError, IndexError):
                return checked(row)

        return convert

    def compile_fast(self) -> Converter:
        """The generated function alone: for hot loops that catch its errors inline and call ``checked``."""
        body = []
        for name, index, kind in self.columns:
            expression = "None" if index is None else _INLINE[kind].format(i=index)
            body.append(f"        {name!r}: {expression},")
        source = "def convert(row):\n    return {\n" + "\n".join(body) + "\n    }\n"
        namespace: Dict[str, Any] = dict(_HELPERS)
        exec(compile(source, "<marketo row converter>", "exec"), namespace)
        return namespace["convert"]

    def checked(self, row: Row) -> Dict[str, Any]:
        """Column by column, with the general converters; raises RowError naming the column."""
        record = {}
        for name, index, kind in self.columns:
            if index is None:
                record[name] = None
                continue
            value = row[index]
            try:
                record[name] = None if value == NULL_LITERAL else CONVERTERS[kind](value)
            except (ValueError, TypeError) as error:
                raise RowError(f"column '{name}' has {value[:80]!r}, which is not {_article(kind)} {kind} ({error})") from None
        return record


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def plan_columns(header: Sequence[str], wanted: Sequence[Tuple[str, str, str]]) -> ColumnPlan:
    """``wanted``: (output column, source header name or "" for a constant None, kind)."""
    position = {name: index for index, name in enumerate(header)}
    columns = []
    for column, source, kind in wanted:
        if source and source not in position:
            raise RowError(f"the export has no column '{source}' (its header is {list(header)[:20]})")
        columns.append((column, position[source] if source else None, kind))
    return ColumnPlan(tuple(columns))


NO_INSTANT = "\x00"  # no export value: the reader removes NULs


@dataclass
class Edge:
    """A window's two instants, as its export writes them: a row at ``start`` whose record is in ``seen``
    (the window before emitted it at its end) is left out; the records of rows at ``end`` are noted in
    ``at_end`` for the window after. So a record on a boundary comes out once per sync whether Marketo's
    date filters include the end or not."""

    start: Optional[str]  # None: nothing at the start to leave out
    seen: frozenset
    end: str
    at_end: set = field(default_factory=set)


def emit_rows(sink: "RecordSink", rows: Any, wanted: Sequence[Tuple[str, str, str]], edge_column: str = "", edge: Optional[Edge] = None,
              key_column: str = "") -> Iterator[Any]:
    """Each row of an export file (``rows``: its header, then lists of values) as a record of the
    ``wanted`` columns, out in batches. With an ``edge``, ``edge_column`` is the window's date and
    ``key_column`` the record's id (see Edge). The hot path: one generated call per row, the checked
    path only on a surprise. A file without a header (nothing in it) emits nothing."""
    header = rows.header
    if not header:
        return
    plan = plan_columns(header, wanted)
    convert, checked = plan.compile_fast(), plan.checked
    append, line_of, pending, batch = sink.append, sink.line_of, sink.pending, sink.BATCH
    at = key_at = 0
    start, seen, end, at_end = NO_INSTANT, frozenset(), NO_INSTANT, set()  # no edge: no value is either instant
    if edge is not None and edge_column in header and key_column in header:
        at, key_at = header.index(edge_column), header.index(key_column)
        start, seen, end, at_end = edge.start or NO_INSTANT, edge.seen, edge.end, edge.at_end
    framing = getattr(sink, "framing", None)
    if framing is not None:  # raw output: the RECORD line built here, without a call per row
        prefix, suffix = framing
        dumps = orjson.dumps
        for row in rows:
            moment = row[at]
            if moment == end:
                at_end.add(row[key_at])
            elif moment == start and row[key_at] in seen:
                continue
            try:
                record = convert(row)
            except (ValueError, TypeError, IndexError):
                record = checked(row)
            append(prefix + dumps(record) + suffix)
            if len(pending) >= batch:
                yield from sink.drain()
    else:
        for row in rows:
            moment = row[at]
            if moment == end:
                at_end.add(row[key_at])
            elif moment == start and row[key_at] in seen:
                continue
            try:
                record = convert(row)
            except (ValueError, TypeError, IndexError):
                record = checked(row)
            append(line_of(record))
            if len(pending) >= batch:
                yield from sink.drain()
    yield from sink.drain()


@dataclass
class RawRecords:
    """Already-serialized RECORD lines of one stream, each ending in a newline, passed straight to stdout
    as bytes (no decode, no text layer: the entrypoint writes them to the stdout file itself)."""

    stream: str
    data: bytes
    count: int


class RecordSink:
    """Collects one stream's records as output: RawRecords batches, or AirbyteMessages.

    Raw output is only enabled by our own entrypoint (run.py), which writes the lines itself; the
    CDK's in-process test harness gets ordinary AirbyteMessages from the same code path. Hot loops
    call ``append(line_of(record))`` and hand ``drain()`` to the output when ``full``.
    """

    BATCH = 2000

    def __init__(self, stream: str, raw: bool, emitted_at: Optional[int] = None) -> None:
        self.stream = stream
        self.raw = raw
        self.count = 0
        self.pending: List[Any] = []
        self.append = self.pending.append
        self.framing: Optional[Tuple[bytes, bytes]] = None
        stamp = int(time.time() * 1000) if emitted_at is None else emitted_at
        if raw:
            prefix = b'{"type":"RECORD","record":{"stream":' + orjson.dumps(stream) + b',"data":'
            suffix = b',"emitted_at":' + str(stamp).encode() + b"}}"
            dumps = orjson.dumps
            self.framing = (prefix, suffix)  # a RECORD line is prefix + dumps(record) + suffix (hot loops build it inline)
            self.line_of: Callable[[Dict[str, Any]], Any] = lambda record: prefix + dumps(record) + suffix
        else:
            self.line_of = lambda record: AirbyteMessage(
                type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data=record, emitted_at=stamp)
            )

    @property
    def full(self) -> bool:  # hot loops inline `len(sink.pending) >= sink.BATCH`
        return len(self.pending) >= self.BATCH

    def drain(self) -> List[Union[RawRecords, AirbyteMessage]]:
        if not self.pending:
            return []
        lines = self.pending[:]
        self.pending.clear()
        self.count += len(lines)
        if self.raw:
            lines.append(b"")
            return [RawRecords(self.stream, b"\n".join(lines), len(lines) - 1)]
        return lines
