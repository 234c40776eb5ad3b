"""Faults as data: an ordered, first-match list of rules, set per test (LocalStack-chaos style).

A rule matches an endpoint (template such as `/bulk/v1/leads/export/{exportId}/status.json`, exact
path, glob like `/rest/v1/*`, or `re:<regex>`) and optionally a method. It fires on matching calls
after the first `after` of them, at most `times` times, with `probability` drawn from a seeded RNG.
What it does: answer a Marketo error code (HTTP 200 body), or an HTTP status with any body; add
latency; cut the body (`truncate_after`: short body with a consistent Content-Length;
`drop_after`: connection closed mid-body); stall mid-body; or decide the outcome of the export
job created by a matching create call (`job_outcome` = "Failed" | "Cancelled").
"""
from __future__ import annotations

import fnmatch
import re
import threading
from dataclasses import asdict, dataclass, field, fields


@dataclass
class FaultRule:
    endpoint: str = "*"
    method: str | None = None
    times: int | None = None
    after: int = 0
    probability: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    http_status: int | None = None
    body: str | bytes | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    latency: float = 0.0
    truncate_after: int | None = None
    drop_after: int | None = None
    stall_after: int | None = None
    stall_seconds: float = 0.0
    job_outcome: str | None = None  # "Failed" | "Cancelled"
    job_error_msg: str | None = None
    empty_page: bool = False  # activities-style reads: an empty page with moreResult true, cursor unchanged
    name: str | None = None
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.error_code is not None:
            self.error_code = str(self.error_code)
        if self.job_outcome and self.job_outcome not in ("Failed", "Cancelled"):
            raise ValueError("job_outcome must be 'Failed' or 'Cancelled'")

    @classmethod
    def from_dict(cls, data: dict) -> "FaultRule":
        known = {f.name for f in fields(cls)} - {"seen", "fired"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule keys: {sorted(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict:
        out = asdict(self)
        if isinstance(out.get("body"), bytes):
            out["body"] = out["body"].decode("utf-8", "replace")
        return out

    def label(self) -> str:
        if self.name:
            return self.name
        for attr in ("error_code", "http_status", "job_outcome", "truncate_after", "drop_after", "stall_after"):
            value = getattr(self, attr)
            if value is not None:
                return f"{attr}={value}"
        if self.empty_page:
            return "empty_page"
        return f"latency={self.latency}"

    def matches(self, method: str, path: str, endpoint: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        pattern = self.endpoint
        if pattern.startswith("re:"):
            return re.search(pattern[3:], path) is not None
        return pattern in (endpoint, path) or fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(endpoint, pattern)


class FaultSet:
    def __init__(self, rng) -> None:
        self._rules: list[FaultRule] = []
        self._rng = rng
        self._lock = threading.Lock()

    def add(self, rule: FaultRule | dict) -> FaultRule:
        if isinstance(rule, dict):
            rule = FaultRule.from_dict(rule)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def pick(self, method: str, path: str, endpoint: str) -> FaultRule | None:
        """The first rule that fires for this call (and count it)."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path, endpoint):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
        return None
