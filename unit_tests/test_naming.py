"""Table tests: Marketo API names -> snake_case columns, and the composite ids."""

import pytest

from source_marketo.components.naming import attribute_row_id, column_names, snake_case, type_attribute_id


@pytest.mark.parametrize(
    "api_name, column",
    [
        ("firstName", "first_name"),
        ("email", "email"),
        ("id", "id"),
        ("sfdcLeadId", "sfdc_lead_id"),
        ("HTMLSnippet", "html_snippet"),
        ("industry__c", "industry__c"),
        ("leadScore", "lead_score"),
        ("mktoAcquisitionDate", "mkto_acquisition_date"),
        ("Client IP Address", "client_ip_address"),
        ("customHeadHTML", "custom_head_html"),
        ("2ndPhone", "_2nd_phone"),
        ("ecids", "ecids"),
    ],
)
def test_given_an_api_name_when_converted_then_it_is_snake_case(api_name, column):
    assert snake_case(api_name) == column


def test_given_two_names_that_collide_when_mapped_then_the_later_one_gets_a_suffix():
    assert column_names(["fooBar", "foo_bar", "FooBar"]) == {"fooBar": "foo_bar", "foo_bar": "foo_bar_2", "FooBar": "foo_bar_3"}


def test_given_a_reserved_column_when_a_field_maps_onto_it_then_the_field_gets_a_suffix():
    assert column_names(["deletedAt"], reserved=["deleted_at"]) == {"deletedAt": "deleted_at_2"}


def test_given_an_activity_attribute_when_keyed_then_the_id_splits_back_unambiguously():
    row_id = attribute_row_id("1045", 13, "New Value: a:b")
    assert row_id == "1045:13:New Value: a:b"
    assert row_id.split(":", 2) == ["1045", "13", "New Value: a:b"]
    assert type_attribute_id(13, "Reason") == "13:Reason"
