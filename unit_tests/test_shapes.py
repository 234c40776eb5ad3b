"""Table tests: Marketo objects -> documented columns (collections.md)."""

import pytest

from source_marketo.components import shapes

EMAIL = {
    "id": 2137, "name": "Social Sharing", "description": "", "createdAt": "2011-03-04T17:12:42Z+0000",
    "updatedAt": "2011-03-04T19:04:36Z+0000", "url": None, "subject": {"type": "Text", "value": "Republish"},
    "fromName": {"type": "Text", "value": "Demo"}, "fromEmail": None, "replyEmail": {"type": "Text", "value": "r@x.com"},
    "folder": {"type": "Folder", "value": 341, "folderName": "Social Media"}, "operational": False, "textOnly": False,
    "publishToMSI": False, "webView": True, "status": "approved", "template": None, "workspace": "Default", "version": 2,
}


def test_given_an_email_asset_when_shaped_then_documented_columns():
    assert shapes.email(EMAIL) == {
        "id": 2137, "name": "Social Sharing", "status": "approved", "url": None, "description": "",
        "operational": False, "template": None, "text_only": False, "web_view": True, "workspace": "Default",
        "version": 2, "subject": "Republish", "from_name": "Demo", "from_email": None, "reply_email": "r@x.com",
        "folder_type": "Folder", "folder_value": 341, "folder_name": "Social Media",
        "created_at": "2011-03-04T17:12:42Z", "updated_at": "2011-03-04T19:04:36Z",
    }


def test_given_a_landing_page_when_shaped_then_upper_case_url_and_head_html_are_mapped():
    row = shapes.landing_page({"id": 7, "URL": "https://lp.example/x", "computedUrl": "https://app/#LP7", "customHeadHTML": "<meta>",
                               "facebookOgTags": "og", "formPrefill": True, "mobileEnabled": False, "robots": "index, nofollow",
                               "template": 3, "folder": {"type": "Program", "value": 9, "folderName": "P"}})
    assert (row["url"], row["computed_url"], row["custom_head_html"], row["facebook_og_tags"]) == ("https://lp.example/x", "https://app/#LP7", "<meta>", "og")
    assert (row["form_prefill"], row["mobile_enabled"], row["template"], row["folder_type"], row["folder_value"]) == (True, False, 3, "Program", 9)
    assert row["created_at"] is None and len(row) == 20


def test_given_a_folder_with_id_instead_of_value_when_shaped_then_value_is_the_id():
    assert shapes.folder_columns({"id": 12, "type": "Folder"}) == {"folder_type": "Folder", "folder_value": 12, "folder_name": None}
    assert shapes.folder_columns(None) == {"folder_type": None, "folder_value": None, "folder_name": None}


def test_given_a_lead_database_campaign_when_shaped_then_workspace_name_and_active():
    row = shapes.campaign({"id": 1124, "name": "C", "type": "trigger", "workspaceName": "Default", "active": True,
                           "createdAt": "2023-01-20T12:46:51Z", "updatedAt": "2023-01-23T08:24:16Z", "programName": "P"})
    assert row == {"id": 1124, "name": "C", "active": True, "type": "trigger", "workspace_name": "Default",
                   "created_at": "2023-01-20T12:46:51Z", "updated_at": "2023-01-23T08:24:16Z"}


def test_given_a_program_when_shaped_then_sfdc_and_folder_columns():
    row = shapes.program({"id": 1003, "name": "P", "type": "Default", "channel": "Email Blast", "status": "", "workspace": "Default",
                          "sfdcId": "a0B", "sfdcName": "Camp", "folder": {"type": "Folder", "value": 45, "folderName": "Active"},
                          "createdAt": "2021-01-18T13:55:44Z+0000", "updatedAt": "2023-01-20T13:02:44Z+0000", "url": "https://app/#PG1003A1"})
    assert row["sfdc_id"] == "a0B" and row["folder_name"] == "Active" and row["updated_at"] == "2023-01-20T13:02:44Z"
    assert set(row) == {"id", "name", "description", "url", "type", "channel", "status", "workspace", "sfdc_id", "sfdc_name",
                        "folder_value", "folder_name", "folder_type", "created_at", "updated_at"}


def test_given_a_list_segmentation_and_segment_when_shaped_then_their_columns():
    assert shapes.static_list({"id": 1, "name": "L", "programName": "P", "workspaceName": "W"})["program_name"] == "P"
    assert shapes.segmentation({"id": 2, "name": "S", "status": "approved", "folder": {"type": "Folder", "value": 5, "folderName": None}})["folder_value"] == 5
    assert shapes.segment({"id": 3, "name": "Seg", "status": "approved"}, segmentation_id=2)["segmentation_id"] == 2
    assert shapes.segment({"id": 3, "segmentationId": 9})["segmentation_id"] == 9


def test_given_an_activity_type_when_shaped_then_type_row_and_one_row_per_attribute():
    item = {"id": 2, "name": "Fill Out Form", "description": "d", "primaryAttribute": {"name": "Webform ID", "dataType": "integer"},
            "attributes": [{"name": "Client IP Address", "dataType": "string"}, {"name": "Form Fields", "dataType": "text"}]}
    assert shapes.activity_type(item) == {"id": 2, "name": "Fill Out Form", "description": "d",
                                          "primary_attribute_name": "Webform ID", "primary_attribute_data_type": "integer"}
    assert shapes.activity_type_attributes(item) == [
        {"id": "2:Client IP Address", "activity_type_id": 2, "name": "Client IP Address", "data_type": "string"},
        {"id": "2:Form Fields", "activity_type_id": 2, "name": "Form Fields", "data_type": "text"},
    ]


def test_given_unexpected_types_when_shaped_then_tolerated_as_empty():
    row = shapes.email({"id": "5", "template": "", "version": "x", "operational": "maybe"})
    assert (row["id"], row["template"], row["version"], row["operational"]) == (5, None, None, None)


# --- the later asset kinds (marketo-api.md 5.6-5.8) -------------------------------------------------

FORM = {
    "id": 1029, "name": "Contact", "description": "", "createdAt": "2016-08-24T22:00:48Z+0000", "updatedAt": "2016-08-24T22:00:49Z+0000",
    "url": "https://app/#FO1029A1", "status": "approved", "theme": "simple", "language": "English", "locale": "en_US",
    "progressiveProfiling": False, "labelPosition": "left", "fontFamily": "Helvetica", "fontSize": "13px",
    "folder": {"type": "Folder", "value": 1005, "folderName": "Forms"}, "knownVisitor": {"type": "form", "template": None},
    "thankYouList": [{"followupType": "url", "followupValue": "https://x/thanks", "default": False, "operator": "is",
                      "subjectField": "Company", "values": ["Acme, Inc.", "Initech"]},
                     {"followupType": "lp", "followupValue": 1255, "default": True}],
    "buttonLocation": 120, "buttonLabel": "Submit", "waitingLabel": "Please Wait",
}


def test_given_a_form_when_shaped_then_flat_columns_and_its_thank_you_rules_as_a_list():
    assert shapes.form(FORM) == {
        "id": 1029, "name": "Contact", "description": "", "url": "https://app/#FO1029A1", "status": "approved",
        "theme": "simple", "language": "English", "locale": "en_US", "progressive_profiling": False, "label_position": "left",
        "font_family": "Helvetica", "font_size": "13px", "button_location": 120, "button_label": "Submit", "waiting_label": "Please Wait",
        "known_visitor_type": "form", "known_visitor_template": None,
        "thank_you_list": [
            {"followup_type": "url", "followup_value": "https://x/thanks", "default": False, "operator": "is", "subject_field": "Company",
             "values": ["Acme, Inc.", "Initech"]},
            {"followup_type": "lp", "followup_value": "1255", "default": True, "operator": None, "subject_field": None, "values": None},
        ],
        "folder_type": "Folder", "folder_value": 1005, "folder_name": "Forms",
        "created_at": "2016-08-24T22:00:48Z", "updated_at": "2016-08-24T22:00:49Z",
    }


def test_given_a_form_without_visitor_or_rules_when_shaped_then_their_columns_are_empty():
    row = shapes.form({"id": 1, "status": "draft"})
    assert (row["known_visitor_type"], row["known_visitor_template"], row["thank_you_list"], row["status"]) == (None, None, None, "draft")


def test_given_versioned_kinds_when_shaped_then_status_is_lower_case_whatever_marketo_writes():
    template = {"id": 1001, "name": "T", "status": "Approved", "version": 2, "workspace": "Default", "url": "u",
                "folder": {"type": "Folder", "value": 23}, "createdAt": "2024-01-01T00:00:00Z+0000"}
    assert shapes.email_template(template) == {
        "id": 1001, "name": "T", "description": None, "url": "u", "workspace": "Default", "version": 2, "status": "approved",
        "folder_type": "Folder", "folder_value": 23, "folder_name": None, "created_at": "2024-01-01T00:00:00Z", "updated_at": None,
    }
    assert shapes.email_template({"id": 1, "status": "Draft"})["status"] == "draft"
    assert shapes.snippet({"id": 101, "status": "draft", "url": None, "folder": {"type": "Folder", "value": 27, "folderName": "Snippets"}}) == {
        "id": 101, "name": None, "description": None, "url": None, "workspace": None, "status": "draft",
        "folder_type": "Folder", "folder_value": 27, "folder_name": "Snippets", "created_at": None, "updated_at": None,
    }
    assert shapes.version_status(None) is None


def test_given_a_smart_list_with_an_id_type_folder_when_shaped_then_folder_value_is_the_id():
    row = shapes.smart_list({"id": 3001, "name": "SL", "computedUrl": "https://app/#SL3001A1", "folder": {"id": 1035, "type": "Program"},
                             "updatedAt": "2024-04-23T01:39:17Z+0000", "workspace": "Default", "description": "d"})
    assert row == {"id": 3001, "name": "SL", "description": "d", "workspace": "Default", "computed_url": "https://app/#SL3001A1",
                   "folder_type": "Program", "folder_value": 1035, "folder_name": None, "created_at": None, "updated_at": "2024-04-23T01:39:17Z"}


SMART_CAMPAIGN = {
    "id": 1076, "name": "Webinar reminders", "description": "", "createdAt": "2015-04-16T22:00:24Z+0000", "updatedAt": "2016-03-07T19:36:38Z+0000",
    "status": "Recurring Run", "type": "batch", "isSystem": False, "isActive": True, "isRequestable": False,
    "isCommunicationLimitEnabled": True, "maxMembers": 500,
    "recurrence": {"startAt": "2016-03-08T15:00:00Z+0000", "endAt": "2016-06-30T15:00:00Z+0000", "intervalType": "Weekly", "interval": 1,
                   "weekdayOnly": False, "weekdayMask": ["Monday", "Thursday"], "dayOfMonth": None, "dayOfWeek": None, "weekOfMonth": None},
    "qualificationRuleType": "interval", "qualificationRuleInterval": 1, "qualificationRuleUnit": "day",
    "smartListId": 6101, "flowId": 7101, "parentProgramId": 1036, "folder": {"id": 1036, "type": "Program"},
    "workspace": "Default", "computedUrl": "https://app/#SC1076A1",
}


def test_given_a_smart_campaign_when_shaped_then_recurrence_is_flattened_into_columns():
    assert shapes.smart_campaign(SMART_CAMPAIGN) == {
        "id": 1076, "name": "Webinar reminders", "description": "", "status": "Recurring Run", "type": "batch",
        "is_system": False, "is_active": True, "is_requestable": False, "is_communication_limit_enabled": True, "max_members": 500,
        "qualification_rule_type": "interval", "qualification_rule_interval": 1, "qualification_rule_unit": "day",
        "smart_list_id": 6101, "flow_id": 7101, "parent_program_id": 1036, "workspace": "Default", "computed_url": "https://app/#SC1076A1",
        "recurrence_start_at": "2016-03-08T15:00:00Z", "recurrence_end_at": "2016-06-30T15:00:00Z", "recurrence_interval_type": "Weekly",
        "recurrence_interval": 1, "recurrence_weekday_only": False, "recurrence_weekday_mask": ["Monday", "Thursday"],
        "recurrence_day_of_month": None, "recurrence_day_of_week": None, "recurrence_week_of_month": None,
        "folder_type": "Program", "folder_value": 1036, "folder_name": None,
        "created_at": "2015-04-16T22:00:24Z", "updated_at": "2016-03-07T19:36:38Z",
    }


def test_given_a_smart_campaign_with_the_usual_recurrence_when_shaped_then_only_weekday_only_is_set():
    row = shapes.smart_campaign({**SMART_CAMPAIGN, "recurrence": {"weekdayOnly": False}})
    assert {k: v for k, v in row.items() if k.startswith("recurrence_")} == {
        "recurrence_start_at": None, "recurrence_end_at": None, "recurrence_interval_type": None, "recurrence_interval": None,
        "recurrence_weekday_only": False, "recurrence_weekday_mask": None, "recurrence_day_of_month": None,
        "recurrence_day_of_week": None, "recurrence_week_of_month": None,
    }
    assert shapes.smart_campaign({"id": 1})["recurrence_weekday_only"] is None  # no recurrence at all


def test_given_a_bad_recurrence_start_when_shaped_then_the_error_names_the_field():
    try:
        shapes.smart_campaign({**SMART_CAMPAIGN, "recurrence": {"startAt": "soon"}})
    except shapes.BadValue as error:
        assert (error.field, error.value) == ("startAt", "soon")
    else:
        raise AssertionError("a datetime that is none was accepted")


def test_given_a_program_token_when_shaped_then_the_program_id_comes_from_the_partition():
    token = {"name": "Event Date", "type": "date", "value": "2015-04-01", "computedUrl": "https://app/#MF1047C3"}
    assert shapes.program_token(token, 1047) == {"program_id": 1047, "name": "Event Date", "type": "date", "value": "2015-04-01",
                                                 "computed_url": "https://app/#MF1047C3"}
    assert shapes.program_token({"name": "Seats", "type": "number", "value": 250}, "1047")["value"] == "250"


def test_given_a_static_list_member_when_shaped_then_the_list_comes_from_the_partition_and_the_lead_from_its_id():
    assert shapes.list_member({"id": 318}, 1020) == {"list_id": 1020, "lead_id": 318}
    assert shapes.list_member({"id": "318"}, "1020") == {"list_id": 1020, "lead_id": 318}
    with pytest.raises(shapes.BadValue, match="id"):
        shapes.list_member({"id": "not a lead"}, 1020)


CHANNEL = {"id": 2, "name": "Webinar", "applicableProgramType": "webinar", "createdAt": "2022-05-12T12:00:00Z+0000",
           "updatedAt": "2023-01-02T03:04:05Z+0000",
           "progressionStatuses": [{"name": "Not in Program", "step": 0, "description": None, "hidden": False, "success": False},
                                   {"name": "Attended", "step": 40, "description": "Came", "hidden": False, "success": True, "type": "success"}]}


def test_given_a_channel_when_shaped_then_one_channel_row_and_one_row_per_progression_status():
    assert shapes.channel(CHANNEL) == {"id": 2, "name": "Webinar", "applicable_program_type": "webinar",
                                       "created_at": "2022-05-12T12:00:00Z", "updated_at": "2023-01-02T03:04:05Z"}
    assert shapes.channel_progression_statuses(CHANNEL) == [
        {"channel_id": 2, "channel_name": "Webinar", "updated_at": "2023-01-02T03:04:05Z", "name": "Not in Program", "step": 0,
         "description": None, "hidden": False, "success": False, "type": None},
        {"channel_id": 2, "channel_name": "Webinar", "updated_at": "2023-01-02T03:04:05Z", "name": "Attended", "step": 40,
         "description": "Came", "hidden": False, "success": True, "type": "success"},
    ]
    assert shapes.channel_progression_statuses({"id": 3, "progressionStatuses": None}) == []
    assert shapes.ROWS["channel_progression_statuses"] is shapes.channel_progression_statuses


def test_given_a_tag_type_by_name_when_shaped_then_its_bracketed_lists_are_lists():
    item = {"tagType": "Region", "applicableProgramTypes": "[program,email_batch,nurture, event,webinar]", "required": True,
            "allowableValues": "[AMER, EMEA, APAC, LATAM]"}
    assert shapes.tag_type(item) == {"tag_type": "Region", "applicable_program_types": ["program", "email_batch", "nurture", "event", "webinar"],
                                     "required": True, "allowable_values": ["AMER", "EMEA", "APAC", "LATAM"]}
    # tagTypes.json has no allowable values; an empty list; a list already
    assert shapes.tag_type({"tagType": "Owner", "applicableProgramTypes": "[]"})["allowable_values"] is None
    assert shapes.bracketed_list("[]") == [] and shapes.bracketed_list(["a", 1]) == ["a", "1"] and shapes.bracketed_list("x, y") == ["x", "y"]


def test_given_folders_and_programs_of_the_tree_when_shaped_then_id_type_and_parent_columns():
    folder = {"name": "Social Media", "description": None, "createdAt": "2011-03-04T17:01:32Z+0000", "updatedAt": "2011-03-04T17:01:32Z+0000",
              "url": None, "folderId": {"id": 341, "type": "Folder"}, "folderType": "Email", "parent": {"id": 11, "type": "Folder"},
              "path": "/Design Studio/Default/Emails/Social Media", "isArchive": False, "isSystem": False, "accessZoneId": 1,
              "workspace": "Default", "id": 341}
    assert shapes.folder(folder) == {
        "id": 341, "type": "Folder", "name": "Social Media", "description": None, "url": None, "folder_type": "Email",
        "path": "/Design Studio/Default/Emails/Social Media", "workspace": "Default", "access_zone_id": 1, "is_archive": False,
        "is_system": False, "parent_id": 11, "parent_type": "Folder", "created_at": "2011-03-04T17:01:32Z", "updated_at": "2011-03-04T17:01:32Z",
    }
    program = shapes.folder({**folder, "id": 1003, "folderId": {"id": 1003, "type": "Program"}, "folderType": "Marketing Program"})
    assert (program["id"], program["type"], program["folder_type"]) == (1003, "Program", "Marketing Program")
    root = shapes.folder({"id": 1, "name": "Marketing Activities", "parent": None, "folderId": {"id": 1, "type": "Folder"}, "isSystem": True})
    assert (root["parent_id"], root["parent_type"], root["is_system"]) == (None, None, True)


def test_given_the_columns_helper_when_called_then_snake_case_names_and_lenient_types():
    columns = shapes.Columns(strings=("fontSize",), integers=("buttonLocation",), booleans=("isActive",), prefix="p_")
    assert columns({"fontSize": 13, "buttonLocation": "x", "isActive": "maybe"}) == {"p_font_size": "13", "p_button_location": None, "p_is_active": None}
    assert columns(None) == {"p_font_size": None, "p_button_location": None, "p_is_active": None}
