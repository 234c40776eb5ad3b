"""Identity: client_credentials via GET/POST (query or form), same token while valid, 401s, 601/602."""
from __future__ import annotations

import requests

from integration_tests.marketo_emulator import FaultRule

from .helpers import ApiClient


def _token(emulator, method="GET", form=False, **overrides):
    params = {"grant_type": "client_credentials", "client_id": emulator.client_id,
              "client_secret": emulator.client_secret}
    params.update(overrides)
    url = f"{emulator.base_url}/identity/oauth/token"
    if method == "GET":
        return requests.get(url, params=params)
    if form:
        return requests.post(url, data=params)
    return requests.post(url, params=params)


def test_given_valid_credentials_when_get_post_query_or_form_then_same_token(marketo_emulator):
    bodies = [_token(marketo_emulator).json(), _token(marketo_emulator, "POST").json(),
              _token(marketo_emulator, "POST", form=True).json()]
    assert {b["access_token"] for b in bodies} == {bodies[0]["access_token"]}
    assert bodies[0]["token_type"] == "bearer"
    assert bodies[0]["expires_in"] == 3599
    assert bodies[0]["scope"] == marketo_emulator.options.api_user


def test_given_a_valid_token_when_asked_again_later_then_same_token_with_less_time(marketo_emulator):
    first = _token(marketo_emulator).json()
    marketo_emulator.clock.advance(100)
    second = _token(marketo_emulator).json()
    assert second["access_token"] == first["access_token"]
    assert second["expires_in"] == first["expires_in"] - 100


def test_given_an_expired_token_when_used_then_602_and_identity_issues_a_new_one(marketo_emulator):
    client = ApiClient(marketo_emulator)
    old = client.authenticate()["access_token"]
    marketo_emulator.clock.advance(3601)
    body = client.get("/rest/v1/leads/describe.json").json()
    assert body["success"] is False and body["errors"][0]["code"] == "602"
    assert client.get("/rest/v1/leads/describe.json").status_code == 200
    new = client.authenticate()["access_token"]
    assert new != old


def test_given_bad_credentials_then_401_invalid_client(marketo_emulator):
    reply = _token(marketo_emulator, client_secret="wrong")
    assert reply.status_code == 401
    assert reply.json() == {"error": "invalid_client", "error_description": "Bad client credentials"}
    unknown = _token(marketo_emulator, client_id="nobody")
    assert unknown.status_code == 401 and unknown.json()["error"] == "unauthorized"


def test_given_garbage_or_missing_token_then_601_in_a_200_body(marketo_emulator):
    url = f"{marketo_emulator.base_url}/rest/v1/leads/describe.json"
    for headers in ({"Authorization": "Bearer nope"}, {}):
        reply = requests.get(url, headers=headers)
        assert reply.status_code == 200
        assert reply.json()["errors"][0]["code"] == "601"


def test_given_legacy_query_token_then_accepted_unless_switched_off(marketo_emulator_factory):
    emulator = marketo_emulator_factory()
    token = _token(emulator).json()["access_token"]
    url = f"{emulator.base_url}/rest/v1/leads/describe.json"
    assert requests.get(url, params={"access_token": token}).json()["success"] is True
    strict = marketo_emulator_factory(accept_query_token=False)
    token = _token(strict).json()["access_token"]
    body = requests.get(f"{strict.base_url}/rest/v1/leads/describe.json", params={"access_token": token}).json()
    assert body["errors"][0]["code"] == "601"


def test_identity_and_token_failures_are_not_counted(marketo_emulator):
    client = ApiClient(marketo_emulator)
    client.authenticate()
    requests.get(f"{marketo_emulator.base_url}/rest/v1/leads/describe.json", headers={"Authorization": "Bearer x"})
    client.get("/rest/v1/leads/describe.json")
    counted = marketo_emulator.journal.counted()
    assert [e.endpoint for e in counted] == ["/rest/v1/leads/describe.json"]
    assert marketo_emulator.usage["calls_today"] == 1
    assert all(e.params.get("client_secret") in (None, "***") for e in marketo_emulator.journal)


def test_given_a_fault_on_identity_then_it_applies(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint="/identity/oauth/token", http_status=503, body="busy", times=1))
    assert _token(marketo_emulator).status_code == 503
    assert _token(marketo_emulator).status_code == 200
