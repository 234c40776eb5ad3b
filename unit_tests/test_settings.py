"""Every bad setting fails fast with a message that says what to fix."""

from datetime import datetime, timedelta, timezone

import pytest

from source_marketo.components.errors import ConfigError
from source_marketo.components.settings import parse_base_url, parse_settings

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
GOOD = {"munchkin_id": "123-ABC-456", "client_id": "id", "client_secret": "secret", "start_date": "2026-01-01"}


def settings(**changes):
    return parse_settings({**GOOD, **changes}, NOW)


def test_given_the_four_required_settings_when_parsed_then_safe_defaults_fill_the_rest():
    parsed = settings()
    assert parsed.base_url == "https://123-ABC-456.mktorest.com"
    assert parsed.activity_type_ids == (12, 13, 32, 37)
    assert parsed.daily_bulk_export_limit_mb == 500 and parsed.daily_api_call_limit is None
    assert parsed.export_window == timedelta(days=30) and parsed.lookback == timedelta(minutes=60)
    assert parsed.status_poll_interval == 60 and parsed.max_calls_per_20_seconds == 100 and parsed.max_concurrent_calls == 10


@pytest.mark.parametrize(
    "value, expected",
    [
        ("123-abc-456", "https://123-ABC-456.mktorest.com"),
        ("https://123-ABC-456.mktorest.com", "https://123-ABC-456.mktorest.com"),
        ("https://123-ABC-456.mktorest.com/rest/", "https://123-ABC-456.mktorest.com"),
        ("https://123-ABC-456.mktorest.com/identity", "https://123-ABC-456.mktorest.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9000/", "http://localhost:9000"),
    ],
)
def test_given_a_munchkin_id_or_url_when_parsed_then_the_rest_base_url(value, expected):
    assert parse_base_url(value) == expected


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"munchkin_id": "12-AB-3"}, "neither a Munchkin account ID"),
        ({"munchkin_id": "http://123-ABC-456.mktorest.com"}, "must use https"),
        ({"munchkin_id": "ftp://x.example"}, "not a valid REST base URL"),
        ({"munchkin_id": "https://x.mktorest.com/v1/other"}, "unexpected path"),
        ({"client_id": " "}, "Client ID is missing"),
        ({"client_secret": ""}, "Client secret is missing"),
        ({"start_date": "yesterday"}, "is not a date"),
        ({"start_date": "2030-01-01"}, "in the future"),
        ({"activity_type_ids": "12,abc"}, "'abc' is not a positive number"),
        ({"activity_type_ids": ","}, "is empty"),
        ({"custom_lead_fields": ["good", "bad field"]}, "not a REST API field name"),
        ({"daily_api_call_limit": 0}, "Daily API call limit must be between 1"),
        ({"daily_bulk_export_limit_mb": "lots"}, "whole number"),
        ({"export_window_days": 45}, "Export window (days) must be between 1 and 31"),
        ({"max_calls_per_20_seconds": 150}, "between 1 and 100"),
        ({"max_concurrent_calls": 11}, "between 1 and 10"),
    ],
)
def test_given_a_bad_setting_when_parsed_then_a_config_error_says_what_to_fix(changes, message):
    with pytest.raises(ConfigError) as raised:
        settings(**changes)
    assert message in raised.value.message
    assert raised.value.failure_type.value == "config_error"


@pytest.mark.parametrize(
    "value, advice",
    [
        ("https://app-ab12.marketo.com", "Use https://<munchkin id>.mktorest.com"),
        ("https://app-ab12.marketo.com/#MM0A1", "Use https://<munchkin id>.mktorest.com"),
        ("http://engage-ab.marketo.com", "Use https://<munchkin id>.mktorest.com"),
        ("app-sj01.marketo.com", "Use https://<munchkin id>.mktorest.com"),
        ("https://123-abc-456.marketo.com/rest", "Use https://123-ABC-456.mktorest.com"),
        ("https://marketo.com", "Use https://<munchkin id>.mktorest.com"),
    ],
)
def test_given_a_marketo_ui_host_when_parsed_then_a_config_error_points_to_the_rest_base_url(value, advice):
    with pytest.raises(ConfigError) as raised:
        settings(munchkin_id=value)
    assert "Marketo's web interface, not of its REST API" in raised.value.message
    assert advice in raised.value.message and "Admin > Integration > Munchkin" in raised.value.message
    assert raised.value.failure_type.value == "config_error"


def test_given_all_activity_types_when_parsed_then_none_means_every_type():
    assert settings(activity_type_ids="all").activity_type_ids is None
    assert settings(activity_type_ids=[37, 12, 12]).activity_type_ids == (12, 37)


def test_given_a_loopback_url_when_parsed_then_it_is_marked_loopback():
    assert settings(munchkin_id="http://127.0.0.1:1").is_loopback
    assert not settings().is_loopback
