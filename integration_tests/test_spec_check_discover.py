"""spec, check and discover through the entrypoint, against the emulator; every bad config has its message."""

import pytest

from integration_tests.harness import emulator_config, run
from integration_tests.marketo_emulator import FaultRule

STREAMS = {
    "campaigns", "email", "landing_pages", "lists", "list_members", "programs", "segmentation", "segments",
    "forms", "email_templates", "snippets", "smart_lists", "smart_campaigns", "program_tokens", "channels",
    "channel_progression_statuses", "tags", "folders",
    "lead_activity_types", "lead_activity_type_attributes", "leads", "lead_activities", "lead_activity_attributes",
    "program_members",
}


def test_given_nothing_when_spec_then_the_spec_with_a_masked_secret():
    output = run("spec")
    spec = output.of_type("SPEC")[0]["spec"]["connectionSpecification"]
    assert spec["properties"]["client_secret"]["airbyte_secret"] is True
    assert {"munchkin_id", "client_id", "client_secret", "start_date", "activity_type_ids", "custom_lead_fields",
            "daily_api_call_limit", "daily_bulk_export_limit_mb", "export_window_days"} <= set(spec["properties"])


def test_given_good_credentials_when_check_then_succeeded_with_one_counted_call(marketo_emulator):
    output = run("check", emulator_config(marketo_emulator))
    assert output.connection_status["status"] == "SUCCEEDED"
    assert len(marketo_emulator.journal.counted()) == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"client_secret": "wrong"}, "rejected the client ID or client secret"),
        ({"client_id": "nobody"}, "rejected the client ID or client secret"),
        ({"munchkin_id": "https://999-XYZ-999.mktorest.invalid"}, "does not resolve"),
        ({"munchkin_id": "http://127.0.0.1:9"}, "Cannot reach Marketo"),
        ({"activity_type_ids": "12,13,99999"}, "99999 do not exist on this Marketo instance"),
        ({"custom_lead_fields": ["noSuchField__c"]}, "noSuchField__c do not exist"),
        ({"custom_lead_fields": ["fullNameFormula"]}, "formula fields"),
        ({"munchkin_id": "not an id"}, "neither a Munchkin account ID"),
        ({"munchkin_id": "http://123-ABC-456.mktorest.com"}, "must use https"),
        ({"start_date": "2999-01-01"}, "in the future"),
        ({"start_date": "soon"}, "is not a date"),
        ({"export_window_days": 40}, "between 1 and 31"),
        ({"daily_api_call_limit": -5}, "whole number"),
    ],
)
def test_given_a_bad_config_when_check_then_failed_with_a_message_that_says_what_to_fix(marketo_emulator, changes, message):
    output = run("check", emulator_config(marketo_emulator, **changes))
    assert output.connection_status["status"] == "FAILED"
    assert message in output.connection_status["message"]
    assert marketo_emulator.client_secret not in output.text


def test_given_an_api_user_without_permission_when_check_then_access_denied(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/v1/activities/types.json", error_code="603", error_message="Access denied"))
    output = run("check", emulator_config(marketo_emulator))
    assert output.connection_status["status"] == "FAILED"
    assert "denied access (603)" in output.connection_status["message"]


def test_given_the_daily_quota_is_used_up_when_check_then_it_says_so(marketo_emulator):
    marketo_emulator.consume_calls(marketo_emulator.options.daily_call_quota)
    output = run("check", emulator_config(marketo_emulator))
    assert output.connection_status["status"] == "FAILED"
    assert "No API calls are left today" in output.connection_status["message"]
    assert "607" in output.connection_status["message"]


def test_given_the_instance_when_discover_then_every_stream_and_typed_lead_columns(marketo_emulator):
    output = run("discover", emulator_config(marketo_emulator))
    streams = {stream["name"]: stream for stream in output.catalog["streams"]}
    types = marketo_emulator.truth.activity_types()
    per_type = {name for name in streams if name.startswith("activities_")}
    per_object = {name for name in streams if name.startswith("custom_objects_")}
    assert set(streams) - per_type - per_object == STREAMS and len(per_type) == len(types)  # one stream per activity type
    assert per_object == {f"custom_objects_{name}" for name in marketo_emulator.truth.custom_object_types()}  # and per custom object
    form = streams["activities_fill_out_form"]["json_schema"]["properties"]
    assert form["webpage_id"]["type"] == ["null", "integer"] and "client_ip_address" in form
    assert form["form_fields"]["type"] == ["null", "string"] and form["activity_date"]["format"] == "date-time"
    assert streams["activities_fill_out_form"]["default_cursor_field"] == ["activity_date"]
    leads = streams["leads"]["json_schema"]["properties"]
    assert leads["id"] == {"type": "integer"}
    assert leads["seat_count"]["type"] == ["null", "integer"]
    assert leads["discount_percent"]["type"] == ["null", "number"]
    assert leads["is_partner"]["type"] == ["null", "boolean"]
    assert leads["last_demo_at"]["format"] == "date-time"
    assert leads["renewal_date"]["format"] == "date"
    assert leads["industry_vertical__c"]["type"] == ["null", "string"]
    assert "full_name_formula" not in leads and "deleted_at" in leads
    assert streams["leads"]["default_cursor_field"] == ["updated_at"]
    assert streams["lead_activities"]["default_cursor_field"] == ["activity_date"]
    assert streams["lead_activity_types"]["supported_sync_modes"] == ["full_refresh"]


@pytest.mark.parametrize("command", ["discover", "read"])
def test_given_a_bad_config_when_discover_or_read_then_a_config_error_trace(marketo_emulator, command):
    catalog = {"streams": []} if command == "read" else None
    output = run(command, emulator_config(marketo_emulator, munchkin_id="12-AB"), catalog=catalog)
    assert output.errors and output.errors[-1]["failure_type"] == "config_error"
    assert "Munchkin account ID" in output.errors[-1]["message"]
