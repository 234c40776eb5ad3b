"""Table tests: datetime normalisation, value coercion, Marketo dataType -> JSON Schema."""

from datetime import datetime, timezone

import pytest

from source_marketo.components.types import (
    format_datetime,
    json_schema_for,
    parse_datetime,
    rfc3339,
    schema_kind,
    to_boolean,
    to_integer,
    to_number,
    to_string,
)


@pytest.mark.parametrize(
    "marketo, expected",
    [
        ("2023-01-16T23:32:19Z", "2023-01-16T23:32:19Z"),
        ("2021-11-23T22:57:24Z+0000", "2021-11-23T22:57:24Z"),
        ("2014-09-17T22:31:49+0000", "2014-09-17T22:31:49Z"),
        ("2015-05-07T11:47:30-08:00", "2015-05-07T19:47:30Z"),
        ("2017-09-08T16:39:14.123Z", "2017-09-08T16:39:14.123000Z"),
        ("2024-01-01", "2024-01-01T00:00:00Z"),
        ("null", None),
        ("", None),
        (None, None),
    ],
)
def test_given_a_marketo_datetime_when_normalised_then_it_is_rfc3339_utc(marketo, expected):
    assert rfc3339(marketo) == expected


def test_given_garbage_when_parsed_as_datetime_then_the_error_names_the_value():
    with pytest.raises(ValueError, match="not-a-date"):
        parse_datetime("not-a-date")


def test_given_an_aware_datetime_when_formatted_then_utc_z():
    assert format_datetime(datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)) == "2024-05-06T07:08:09Z"


@pytest.mark.parametrize("value, expected", [("12", 12), (12, 12), ("12.0", 12), ("null", None), ("", None), (None, None), (True, 1)])
def test_given_an_integer_value_when_coerced_then_int(value, expected):
    assert to_integer(value) == expected


def test_given_a_fraction_when_coerced_to_integer_then_error():
    with pytest.raises(ValueError):
        to_integer("12.5")


@pytest.mark.parametrize("value, expected", [("1.5", 1.5), ("3", 3), (2.25, 2.25), ("null", None), ("", None)])
def test_given_a_number_when_coerced_then_number_without_spurious_fraction(value, expected):
    result = to_number(value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("value, expected", [("true", True), ("false", False), ("1", True), ("0", False), (True, True), ("null", None)])
def test_given_a_boolean_when_coerced_then_bool(value, expected):
    assert to_boolean(value) is expected


def test_given_a_non_boolean_when_coerced_then_error():
    with pytest.raises(ValueError):
        to_boolean("maybe")


@pytest.mark.parametrize("value, expected", [(None, None), (True, "true"), (5, "5"), ("x", "x")])
def test_given_a_rest_value_when_made_text_then_str(value, expected):
    assert to_string(value) == expected


@pytest.mark.parametrize(
    "data_type, schema, kind",
    [
        ("integer", {"type": ["null", "integer"]}, "integer"),
        ("percent", {"type": ["null", "number"]}, "number"),
        ("score", {"type": ["null", "number"]}, "number"),
        ("currency", {"type": ["null", "number"]}, "number"),
        ("float", {"type": ["null", "number"]}, "number"),
        ("boolean", {"type": ["null", "boolean"]}, "boolean"),
        ("date", {"type": ["null", "string"], "format": "date"}, "date"),
        ("datetime", {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_with_timezone"}, "datetime"),
        ("reference", {"type": ["null", "string"]}, "string"),
        ("email", {"type": ["null", "string"]}, "string"),
        ("text", {"type": ["null", "string"]}, "string"),
        ("something_new", {"type": ["null", "string"]}, "string"),
    ],
)
def test_given_a_marketo_data_type_when_mapped_then_json_schema_and_kind(data_type, schema, kind):
    assert json_schema_for(data_type) == schema
    assert schema_kind(schema) == kind


@pytest.mark.parametrize("value, expected", [("", None), ("null", None), ("2024-02-29", "2024-02-29")])
def test_given_a_date_column_when_a_row_is_converted_then_empty_is_none_inline_and_checked(value, expected):
    from source_marketo.components.bulk.records import plan_columns

    plan = plan_columns(["purchaseDate"], [("purchase_date", "purchaseDate", "date")])
    assert plan.compile_fast()([value]) == plan.checked([value]) == {"purchase_date": expected}
