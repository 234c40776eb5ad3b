"""Bulk-extract cell rendering (marketo-api.md §7.3): `null` literals, RFC 4180 quoting.

A value is quoted only when it contains the delimiter, a double quote, CR or LF; inner quotes are
doubled. U+2028 is *not* a reason to quote (it is not a CSV line break), which is exactly why it
trips up clients that split lines on anything else than `\n`.
"""
from __future__ import annotations

import json

DELIMITERS = {"CSV": ",", "TSV": "\t", "SSV": ";"}  # SSV: semicolon (EL:bulk-extract's reading)


def quote(text: str, delimiter: str) -> str:
    if delimiter in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def cell(value, delimiter: str) -> str:
    """One exported value: typed Python value -> CSV text."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (dict, list)):
        return quote(json.dumps(value, ensure_ascii=False, separators=(",", ":")), delimiter)
    return quote(str(value), delimiter)


def row(values, delimiter: str) -> str:
    return delimiter.join(cell(value, delimiter) for value in values) + "\n"


def header(names, delimiter: str) -> str:
    return delimiter.join(quote(name, delimiter) for name in names) + "\n"
