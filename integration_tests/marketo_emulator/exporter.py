"""Writes bulk-extract files to disk, streaming, and checksums them (marketo-api.md §6, §7.3).

Files are written once, when the job has finished processing; a download then streams the file
from disk. Rows are rendered in batches and hashed as they are written, so a million-row file
never sits in memory.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Iterable, Iterator

from . import csvfmt
from .activities import ActivityView, Query
from .leads import LeadView

BATCH_ROWS = 4000


@dataclass
class ExportFile:
    path: str
    records: int
    size: int
    sha256: str


class _Sink:
    def __init__(self, path: str) -> None:
        self.path = path
        self._file = open(path, "wb", buffering=1 << 20)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self._hash.update(data)
        self._file.write(data)
        self.size += len(data)

    def close(self, records: int) -> ExportFile:
        self._file.close()
        return ExportFile(self.path, records, self.size, self._hash.hexdigest())


def write_rows(path: str, names: list[str], headers: dict[str, str], delimiter: str, rows: Iterable[str]) -> ExportFile:
    """The header of ``names``, then the rendered rows in batches, hashed and counted as they are written."""
    sink = _Sink(path)
    sink.write(csvfmt.header([headers.get(name, name) for name in names], delimiter))
    batch: list[str] = []
    count = 0
    for row in rows:
        batch.append(row)
        count += 1
        if len(batch) >= BATCH_ROWS:
            sink.write("\n".join(batch) + "\n")
            batch.clear()
    if batch:
        sink.write("\n".join(batch) + "\n")
    return sink.close(count)


def export_leads(path: str, leads: LeadView, ids: list[int], fields: list[str], headers: dict[str, str],
                 delimiter: str) -> ExportFile:
    plan = leads.factory.csv_plan(fields, delimiter)

    def rows() -> Iterator[str]:
        for lead_id in ids:
            if leads.is_plain(lead_id):
                yield delimiter.join(leads.factory.csv_cells(lead_id, plan, delimiter))
            else:
                record = leads.record(lead_id)
                yield delimiter.join(csvfmt.cell(record.get(name), delimiter) for name in fields)

    return write_rows(path, fields, headers, delimiter, rows())


def export_activities(path: str, activities: ActivityView, start_ms: int, end_ms: int, query: Query,
                      fields: list[str], headers: dict[str, str], delimiter: str) -> ExportFile:
    cell = csvfmt.cell

    def rows() -> Iterator[str]:
        for record in activities.between(start_ms, end_ms, query):
            values = []
            for name in fields:
                if name == "attributes":
                    values.append(cell({a["name"]: a["value"] for a in record.get("attributes", [])}, delimiter))
                elif name == "actionResult":
                    values.append("succeeded")
                else:
                    values.append(cell(record.get(name), delimiter))
            yield delimiter.join(values)

    return write_rows(path, fields, headers, delimiter, rows())


PLAIN_TYPES = {"integer", "float", "currency", "percent", "score", "date", "datetime"}  # never quoted


def export_records(path: str, records, fields: list[str], headers: dict[str, str], delimiter: str,
                   types: dict[str, str] | None = None) -> ExportFile:
    """Typed REST records (custom objects) as rows of the requested fields. `types` (field -> Marketo
    dataType) lets numbers and dates skip the quoting checks of text."""
    cell = csvfmt.cell
    renderers = [_plain if (types or {}).get(name) in PLAIN_TYPES else (lambda v: cell(v, delimiter)) for name in fields]
    pairs = list(zip(fields, renderers))
    rows = (delimiter.join([render(record.get(name)) for name, render in pairs]) for record in records)
    return write_rows(path, fields, headers, delimiter, rows)


def _plain(value) -> str:
    return "null" if value is None else str(value)


def remove_quietly(path: str | None) -> None:
    if path:
        try:
            os.remove(path)
        except OSError:
            pass
