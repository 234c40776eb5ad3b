"""Faults as data: first-match rules with times/after/probability; Marketo codes and HTTP statuses;
latency; truncated, dropped and stalled bodies; rules set over the admin endpoint."""
from __future__ import annotations

import time

import pytest
import requests

from integration_tests.marketo_emulator import FaultRule

from .helpers import ApiClient

DESCRIBE = "/rest/v1/leads/describe.json"
STATUS = "/bulk/v1/leads/export/{exportId}/status.json"


def test_marketo_error_code_with_times_and_after(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint=DESCRIBE, error_code="606", after=1, times=2))
    client = ApiClient(marketo_emulator)
    codes = [client.get_json(DESCRIBE).get("errors", [{}])[0].get("code") for _ in range(5)]
    assert codes == [None, "606", "606", None, None]
    faulted = marketo_emulator.journal.calls(DESCRIBE, error_code="606")
    assert len(faulted) == 2 and all(e.fault == "error_code=606" for e in faulted)


def test_uncounted_codes_are_not_counted(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint=DESCRIBE, error_code="604", times=1))
    client = ApiClient(marketo_emulator)
    client.get_json(DESCRIBE)
    client.get_json(DESCRIBE)
    assert [e.counted for e in marketo_emulator.journal.calls(DESCRIBE)] == [False, True]


def test_first_matching_rule_wins_and_templates_match(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/v1/*", error_code="608", method="GET"))
    marketo_emulator.faults.add(FaultRule(endpoint=DESCRIBE, error_code="611"))
    assert ApiClient(marketo_emulator).get_json(DESCRIBE)["errors"][0]["code"] == "608"
    marketo_emulator.faults.clear()
    marketo_emulator.faults.add(FaultRule(endpoint=STATUS, error_code="1029", error_message="Too many jobs in queue"))
    client = ApiClient(marketo_emulator)
    body = client.get_json("/bulk/v1/leads/export/abc/status.json")
    assert body["errors"][0] == {"code": "1029", "message": "Too many jobs in queue"}


def test_http_status_with_html_and_malformed_json(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint=DESCRIBE, http_status=502, body="<html>Bad Gateway</html>", times=1))
    marketo_emulator.faults.add(FaultRule(endpoint=DESCRIBE, http_status=200, body='{"success": tru', content_type="application/json", times=1))
    client = ApiClient(marketo_emulator)
    bad_gateway = client.get(DESCRIBE)
    assert bad_gateway.status_code == 502 and bad_gateway.headers["Content-Type"] == "text/html"
    malformed = client.get(DESCRIBE)
    with pytest.raises(ValueError):
        malformed.json()
    assert client.get(DESCRIBE).json()["success"]
    assert [e.counted for e in marketo_emulator.journal.calls(DESCRIBE)][:2] == [False, False]


def test_probability_is_seeded_and_reproducible(marketo_emulator_factory):
    def run():
        emulator = marketo_emulator_factory(seed=7)
        emulator.faults.add(FaultRule(endpoint=DESCRIBE, error_code="608", probability=0.5))
        client = ApiClient(emulator)
        return [client.get_json(DESCRIBE)["success"] for _ in range(20)]

    first, second = run(), run()
    assert first == second and 3 < first.count(False) < 17


def test_latency(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint=DESCRIBE, latency=0.3, times=1))
    client = ApiClient(marketo_emulator)
    client.authenticate()
    started = time.perf_counter()
    assert client.get_json(DESCRIBE)["success"]
    assert time.perf_counter() - started >= 0.3


def test_truncated_body_has_consistent_length(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint=DESCRIBE, truncate_after=100, times=1))
    reply = ApiClient(marketo_emulator).get(DESCRIBE, headers={"Accept-Encoding": "identity"})
    assert len(reply.content) == 100 and reply.headers["Content-Length"] == "100"
    assert marketo_emulator.journal.calls(DESCRIBE)[0].bytes_sent == 100


def test_dropped_connection_mid_body(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint=DESCRIBE, drop_after=50, times=1))
    client = ApiClient(marketo_emulator)
    with pytest.raises(requests.exceptions.RequestException):
        client.get(DESCRIBE, headers={"Accept-Encoding": "identity"}).content
    assert client.get_json(DESCRIBE)["success"]  # a new connection works


def test_stalled_download_then_complete(marketo_emulator):
    client = ApiClient(marketo_emulator)
    status, full = client.run_job("leads", {"fields": ["id", "email"], "filter": {"createdAt": {
        "startAt": (marketo_emulator.clock.now().replace(microsecond=0) - __import__("datetime").timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endAt": marketo_emulator.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}}})
    marketo_emulator.faults.add(FaultRule(endpoint="/bulk/v1/leads/export/{exportId}/file.json", stall_after=64,
                                          stall_seconds=0.3, times=1))
    started = time.perf_counter()
    again = client.get(f"/bulk/v1/leads/export/{status['exportId']}/file.json")
    assert again.content == full and time.perf_counter() - started >= 0.3


def test_faults_over_the_admin_endpoint(marketo_emulator):
    admin = f"{marketo_emulator.base_url}/_emulator/faults"
    added = requests.post(admin, json=[{"endpoint": DESCRIBE, "error_code": "611", "times": 1}]).json()
    assert added[0]["error_code"] == "611"
    assert ApiClient(marketo_emulator).get_json(DESCRIBE)["errors"][0]["code"] == "611"
    assert requests.get(admin).json()[0]["fired"] == 1
    requests.delete(admin)
    assert marketo_emulator.faults.rules == []
    assert requests.post(admin, json={"bogus": 1}).status_code == 400
