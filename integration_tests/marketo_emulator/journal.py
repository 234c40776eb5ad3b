"""The request journal: every API call with what it cost and how it was answered.

Tests assert on it: how many calls a sync made, which were counted, which faults fired. Secrets
and tokens never enter it.
"""
from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field

SECRET_KEYS = {"client_secret", "access_token", "password"}


@dataclass
class JournalEntry:
    seq: int
    time: str  # emulator clock, ISO 8601
    method: str
    path: str
    endpoint: str  # template, e.g. /bulk/v1/leads/export/{exportId}/status.json
    params: dict = field(default_factory=dict)
    counted: bool = False
    status: int = 200
    error_code: str | None = None
    bytes_sent: int = 0
    fault: str | None = None
    client_id: str | None = None
    duration_ms: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def redact(params: dict) -> dict:
    return {key: ("***" if key in SECRET_KEYS else value) for key, value in params.items()}


class Journal:
    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()
        self._seq = 0

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def entries(self) -> list[JournalEntry]:
        with self._lock:
            return list(sorted(self._entries, key=lambda e: e.seq))

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index):
        return self.entries[index]

    def calls(self, endpoint: str | None = None, method: str | None = None, error_code: str | None = None) -> list[JournalEntry]:
        """Entries filtered by endpoint template (or exact path), method and Marketo error code."""
        out = []
        for entry in self.entries:
            if endpoint and endpoint not in (entry.endpoint, entry.path):
                continue
            if method and entry.method != method.upper():
                continue
            if error_code and entry.error_code != str(error_code):
                continue
            out.append(entry)
        return out

    def counted(self) -> list[JournalEntry]:
        return [entry for entry in self.entries if entry.counted]

    def errors(self) -> list[JournalEntry]:
        return [entry for entry in self.entries if entry.error_code or entry.status >= 400]

    def to_list(self, since_seq: int = 0) -> list[dict]:
        return [entry.to_dict() for entry in self.entries if entry.seq > since_seq]
