"""Envelope and HTTP quirks: requestId, omitted/always-present errors and warnings, `_method=GET`,
413/414, unknown paths and methods, gzip, keep-alive."""
from __future__ import annotations

import http.client
import re
from datetime import timezone
from urllib.parse import urlsplit

import requests

from integration_tests.marketo_emulator.timefmt import to_ms

from .helpers import ApiClient


def test_request_id_is_hex_hash_hex_epoch_millis(marketo_emulator):
    body = ApiClient(marketo_emulator).get_json("/rest/v1/leads/describe.json")
    counter, millis = body["requestId"].split("#")
    assert re.fullmatch(r"[0-9a-f]+", counter)
    assert int(millis, 16) == to_ms(marketo_emulator.clock.now().astimezone(timezone.utc))


def test_lead_database_omits_empty_errors_and_warnings_assets_always_carry_them(marketo_emulator):
    client = ApiClient(marketo_emulator)
    lead_db = client.get_json("/rest/v1/leads.json", {"filterType": "id", "filterValues": "999999"})
    assert lead_db == {"requestId": lead_db["requestId"], "result": [], "success": True}
    asset = client.get_json("/rest/asset/v1/programs.json", {"maxReturn": 1})
    assert asset["errors"] == [] and asset["warnings"] == [] and len(asset["result"]) == 1


def test_error_codes_are_strings(marketo_emulator):
    body = ApiClient(marketo_emulator).get_json("/rest/v1/leads.json", {"filterType": "createdAt", "filterValues": "x"})
    assert body["success"] is False and body["errors"][0] == {"code": "1011", "message": "Lookup field 'createdAt' not supported"}


def test_post_with_method_get_and_form_body_is_a_get(marketo_emulator):
    client = ApiClient(marketo_emulator)
    reply = client.post("/rest/v1/leads.json", params={"_method": "GET"},
                        data={"filterType": "id", "filterValues": "1,2,3", "fields": "id,email"})
    body = reply.json()
    assert body["success"] is True and [r["id"] for r in body["result"]] == [1, 2, 3]
    entry = marketo_emulator.journal.calls("/rest/v1/leads.json")[-1]
    assert entry.method == "POST" and entry.params["filterValues"] == "1,2,3"
    in_body = client.post("/rest/v1/leads.json", data={"_method": "GET", "filterType": "id", "filterValues": "4"}).json()
    assert [r["id"] for r in in_body["result"]] == [4]


def test_long_uri_is_414_and_large_body_is_413(marketo_emulator):
    client = ApiClient(marketo_emulator)
    reply = client.get("/rest/v1/leads.json", {"filterType": "id", "filterValues": ",".join(["1"] * 5000)})
    assert reply.status_code == 414 and "414" in reply.text
    big = client.post("/rest/v1/leads.json", params={"_method": "GET"}, data={"filterValues": "x" * (1024 * 1024 + 10)})
    assert big.status_code == 413
    assert client.get("/rest/v1/leads/describe.json").status_code == 200  # the server is fine afterwards


def test_unknown_path_is_610_and_wrong_method_is_605(marketo_emulator):
    client = ApiClient(marketo_emulator)
    assert client.get_json("/rest/v1/nothing.json")["errors"][0]["code"] == "610"
    assert client.post_json("/rest/v1/leads/describe.json")["errors"][0]["code"] == "605"


def test_large_json_is_gzipped_when_asked(marketo_emulator):
    client = ApiClient(marketo_emulator)
    reply = client.get("/rest/v1/leads/describe.json", headers={"Accept-Encoding": "gzip"})
    assert reply.headers["Content-Encoding"] == "gzip" and reply.json()["success"]
    plain = client.get("/rest/v1/leads/describe.json", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers


def test_keep_alive_serves_many_requests_on_one_connection(marketo_emulator):
    token = ApiClient(marketo_emulator).authenticate()["access_token"]
    address = urlsplit(marketo_emulator.base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port)
    for _ in range(3):
        connection.request("GET", "/rest/v1/activities/types.json", headers={"Authorization": f"Bearer {token}"})
        reply = connection.getresponse()
        assert reply.status == 200 and int(reply.getheader("Content-Length")) == len(reply.read())
    sock = connection.sock
    connection.request("GET", "/rest/v1/leads/partitions.json", headers={"Authorization": f"Bearer {token}"})
    connection.getresponse().read()
    assert connection.sock is sock
    connection.close()


def test_server_header_and_content_type(marketo_emulator):
    reply = requests.get(f"{marketo_emulator.base_url}/rest/v1/leads/describe.json")
    assert reply.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert reply.headers["Server"] == "nginx"
