"""The one classifier: Marketo replies and transport failures -> actions, with reasons that name the endpoint."""

import pytest
import requests

from source_marketo.components.envelope import MalformedEnvelope, parse_envelope
from source_marketo.components.errors import Action, classify_body, classify_exception, classify_status, classify_unreadable_body


def failure(code, message="m"):
    return parse_envelope({"requestId": "a#b", "success": False, "errors": [{"code": code, "message": message}]})


@pytest.mark.parametrize(
    "code, action",
    [
        ("601", Action.REFRESH_TOKEN), ("602", Action.REFRESH_TOKEN), ("603", Action.CONFIG_ERROR),
        ("604", Action.RETRY), ("606", Action.RATE_LIMITED), ("607", Action.STOP), ("608", Action.RETRY),
        ("611", Action.RETRY), ("615", Action.RATE_LIMITED), ("713", Action.RETRY), ("1035", Action.UNSUPPORTED_FILTER),
        ("610", Action.FAIL), ("1003", Action.FAIL), ("9999", Action.FAIL),
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
    "status, endpoint, identity, action",
    [
        (401, "/identity/oauth/token", True, Action.CONFIG_ERROR),
        (404, "/bulk/v1/leads/export/x/file.json", False, Action.NOT_FOUND),
        (414, "/rest/v1/leads.json", False, Action.FAIL),
        (500, "/rest/v1/x", False, Action.RETRY),
        (502, "/rest/v1/x", False, Action.RETRY),
        (429, "/rest/v1/x", False, Action.RETRY),
        (403, "/rest/v1/x", False, Action.FAIL),
    ],
)
def test_given_an_http_status_when_classified_then_its_action(status, endpoint, identity, action):
    assert classify_status(status, endpoint, is_identity=identity).action is action


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
