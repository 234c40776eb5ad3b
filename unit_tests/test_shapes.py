"""Table tests: Marketo objects -> documented columns (collections.md)."""

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
