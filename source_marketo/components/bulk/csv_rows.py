"""Rows of a bulk export CSV, read as the bytes arrive.

Marketo's exports are RFC 4180 CSV in UTF-8 with a header row of REST API names (marketo-api.md
7.3). Values may hold quotes, commas and newlines (quoted), and CJK text with U+2028/U+2029, which
is why lines are split on ``\\n`` only (never ``str.splitlines``). A UTF-8 BOM is dropped. Invalid
UTF-8 is replaced (and counted) rather than failing a file that would fail identically on every
retry; a row with the wrong number of columns is an error naming the export and the line.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from contextlib import contextmanager
from typing import Iterator, List

from source_marketo.components.bulk.records import RowError

csv.field_size_limit(1 << 26)  # Marketo text fields hold up to 30,000 bytes; hostile ones more

_REPLACED = [0]


def _count_and_replace(error: UnicodeDecodeError):
    _REPLACED[0] += 1
    return "\ufffd", error.end


codecs.register_error("source_marketo_replace", _count_and_replace)


class CsvFormatError(ValueError):
    """The file does not have the shape of a Marketo export."""


class ExportRows:
    """Iterate the data rows of one export; ``header`` holds the column names."""

    def __init__(self, binary: io.BufferedIOBase, label: str) -> None:
        self.label = label
        _REPLACED[0] = 0
        self._text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="source_marketo_replace", newline="\n")
        self._text._CHUNK_SIZE = 1 << 20  # type: ignore[attr-defined]  # fewer, larger decodes
        self._reader = csv.reader(self._text)
        try:
            self.header: List[str] = next(self._reader)
        except StopIteration:
            self.header = []  # an export with no rows at all (Marketo writes at least a header)
        except csv.Error as error:
            raise CsvFormatError(f"{label}: the header row cannot be read ({error})") from None

    @property
    def line(self) -> int:
        return self._reader.line_num

    @property
    def invalid_utf8(self) -> int:
        return _REPLACED[0]

    def __iter__(self) -> Iterator[List[str]]:
        width = len(self.header)
        reader = self._reader
        try:
            for row in reader:
                if len(row) != width:
                    if not row:
                        continue  # a blank line (e.g. a trailing one) carries no record
                    raise CsvFormatError(
                        f"{self.label}: line {reader.line_num} has {len(row)} columns where the header has {width} "
                        f"({self.header[:8]}...); first values {row[:3]}"
                    )
                yield row
        except csv.Error as error:
            raise CsvFormatError(f"{self.label}: line {reader.line_num} is not valid CSV ({error})") from None


@contextmanager
def located_errors(rows: "ExportRows") -> Iterator[None]:
    """A value that fits no column type becomes an error naming the export, the line and the column."""
    try:
        yield
    except CsvFormatError:
        raise
    except RowError as error:
        raise CsvFormatError(
            f"{rows.label}: line {rows.line}: {error}. If this field's type changed in Marketo, refresh the source schema in Airbyte."
        ) from None
    except (ValueError, TypeError, IndexError) as error:
        raise CsvFormatError(f"{rows.label}: line {rows.line}: {error}") from None


def report_cleanup(rows: "ExportRows", nul_bytes: int, logger: logging.Logger) -> None:
    """Say what was repaired in a file, so hostile content is never cleaned silently."""
    if nul_bytes or rows.invalid_utf8:
        logger.warning(f"{rows.label}: removed {nul_bytes} NUL bytes and replaced {rows.invalid_utf8} invalid UTF-8 sequences.")
