"""The one classifier: Marketo replies and transport failures -> actions, with reasons that name the endpoint."""

import pytest
import requests

from source_marketo.components.envelope import MalformedEnvelope, parse_envelope
from source_marketo.components.errors import (
    Action,
    Limit,
    Problem,
    classify_body,
    classify_exception,
    classify_export_body,
    classify_identity,
    classify_status,
    classify_unreadable_body,
)


def failure(code, message="m"):
    return parse_envelope({"requestId": "a#b", "success": False, "errors": [{"code": code, "message": message}]})


@pytest.mark.parametrize(
    "code, action",
    [
        ("601", Action.REFRESH_TOKEN), ("602", Action.REFRESH_TOKEN), ("603", Action.CONFIG_ERROR),
        ("604", Action.RETRY), ("606", Action.RATE_LIMITED), ("607", Action.STOP), ("608", Action.RETRY),
        ("611", Action.RETRY), ("615", Action.BUSY), ("713", Action.RETRY), ("1035", Action.UNSUPPORTED_FILTER),
        ("610", Action.FAIL), ("1003", Action.FAIL), ("9999", Action.FAIL),
        ("1013", Action.MISSING), ("702", Action.MISSING),
    ],
)
def test_given_a_marketo_error_code_when_classified_then_its_action(code, action):
    decision = classify_body(failure(code), "/rest/v1/x.json")
    assert decision.action is action
    assert "/rest/v1/x.json" in decision.reason and code in decision.reason


@pytest.mark.parametrize(
    "message, action",
    [
        ("Export daily quota 500MB exceeded.", Action.STOP),
        ("Too many jobs in queue", Action.QUEUE_FULL),
        ("Job already queued", Action.ALREADY_QUEUED),
        ("Something else", Action.FAIL),
    ],
)
def test_given_1029_when_classified_then_the_message_decides(message, action):
    assert classify_body(failure("1029", message), "/bulk/v1/leads/export/create.json").action is action


@pytest.mark.parametrize(
    "status, endpoint, action, ask_for_less",
    [
        (404, "/bulk/v1/leads/export/x/file.json", Action.NOT_FOUND, False),
        (413, "/bulk/v1/activities/export/create.json", Action.FAIL, True),
        (414, "/rest/v1/leads.json", Action.FAIL, True),
        (500, "/rest/v1/x", Action.RETRY, False),
        (502, "/rest/v1/x", Action.RETRY, False),
        (429, "/rest/v1/x", Action.RETRY, False),
        (403, "/rest/v1/x", Action.FAIL, False),
    ],
)
def test_given_an_http_status_when_classified_then_its_action(status, endpoint, action, ask_for_less):
    decision = classify_status(status, endpoint)
    assert (decision.action, decision.ask_for_less) == (action, ask_for_less)


@pytest.mark.parametrize(
    "code, message, limit",
    [("607", "Daily quota reached", Limit.CALLS), ("1029", "Export daily quota 500MB exceeded.", Limit.EXPORTS)],
)
def test_given_a_daily_limit_when_classified_then_the_decision_names_which(code, message, limit):
    decision = classify_body(failure(code, message), "/rest/v1/x.json")
    assert (decision.action, decision.limit) == (Action.STOP, limit)


def test_given_invalid_data_when_classified_then_a_smaller_request_is_worth_trying():
    assert classify_body(failure("1003", "Invalid data"), "/bulk/v1/activities/export/create.json").ask_for_less
    assert not classify_body(failure("1035", "Unsupported filter type"), "/bulk/v1/leads/export/create.json").ask_for_less


@pytest.mark.parametrize(
    "status, body, action, problem",
    [
        (200, {"access_token": "t", "expires_in": 3599}, Action.OK, None),
        (401, {"error": "invalid_client", "error_description": "Bad client credentials"}, Action.CONFIG_ERROR, Problem.BAD_CREDENTIALS),
        (401, None, Action.CONFIG_ERROR, Problem.BAD_CREDENTIALS),
        (200, {"error": "unauthorized", "error_description": "No client with requested id: x"}, Action.CONFIG_ERROR, Problem.BAD_CREDENTIALS),
        (503, None, Action.RETRY, None),
        (200, {"unexpected": True}, Action.RETRY, None),
    ],
)
def test_given_an_identity_reply_when_classified_then_token_credentials_or_transient(status, body, action, problem):
    decision = classify_identity(status, body)
    assert (decision.action, decision.problem) == (action, problem)
    if action is Action.CONFIG_ERROR and body:
        assert body["error_description"] in decision.reason


def test_given_an_access_denied_code_when_classified_then_the_problem_is_permissions():
    assert classify_body(failure("603", "Access denied"), "/rest/v1/x.json").problem is Problem.ACCESS_DENIED


@pytest.mark.parametrize(
    "content_type, first_bytes, is_export",
    [
        ("text/csv", b"id,email\n1,a@b.c\n", True),
        ("text/plain", b"<note> is a value,2\n", True),  # a value may start with '<'; a page starts with a tag
        ("text/html", b"id,email\n", False),
        ("text/csv", b"  <!DOCTYPE html><html><body>502</body></html>", False),
        ("application/octet-stream", b"<html><head>", False),
        ("text/csv", b"\xef\xbb\xbf<!DOCTYPE html><html>", False),  # behind a UTF-8 byte order mark
        ("text/csv", b'{"requestId":"1#1","success":false,"errors":[{"code":"601"}]}', False),  # an envelope in the file's place
    ],
)
def test_given_an_export_body_when_classified_then_an_html_page_is_never_read_as_rows(content_type, first_bytes, is_export):
    decision = classify_export_body(200, content_type, first_bytes, "/bulk/v1/leads/export/x/file.json")
    assert (decision is None) == is_export
    if decision is not None:
        assert decision.action is Action.RETRY and ("HTML" in decision.reason or "JSON" in decision.reason)


def test_given_http_200_when_classified_by_status_then_the_body_decides():
    assert classify_status(200, "/rest/v1/x") is None


@pytest.mark.parametrize(
    "error, action, code",
    [
        (requests.exceptions.ReadTimeout("slow"), Action.RETRY, "network"),
        (requests.exceptions.ConnectionError("reset"), Action.RETRY, "network"),
        (requests.exceptions.ConnectionError("Failed to resolve 'x.mktorest.com' ([Errno -2] Name or service not known)"), Action.RETRY, "dns"),
        (requests.exceptions.SSLError("bad cert"), Action.FAIL, "tls"),
    ],
)
def test_given_a_transport_failure_when_classified_then_retry_or_fail(error, action, code):
    decision = classify_exception(error, "/rest/v1/x")
    assert (decision.action, decision.code) == (action, code)


def test_given_an_html_page_when_classified_then_retry_and_say_html():
    decision = classify_unreadable_body(200, "text/html", "/rest/v1/x")
    assert decision.action is Action.RETRY and "HTML" in decision.reason


def test_given_not_an_envelope_when_parsed_then_malformed():
    with pytest.raises(MalformedEnvelope):
        parse_envelope({"foo": 1})


def test_given_the_no_assets_warning_when_parsed_then_no_assets_found_and_empty_result():
    envelope = parse_envelope({"success": True, "errors": [], "warnings": ["No assets found for the given search criteria."], "requestId": "x"})
    assert envelope.no_assets_found and envelope.result == []
