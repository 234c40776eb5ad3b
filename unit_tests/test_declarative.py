"""The manifest's small components: offset paging by Marketo objects, several rows per object, substream shapes,
the requester's skipping of a parent that vanished."""

import json
import logging

import pytest
import requests

from airbyte_cdk.sources.types import StreamSlice

from source_marketo.components.budget import ExportBudget
from source_marketo.components.declarative import MarketoOffsetIncrement, MarketoRecordShaper, MarketoRowsExtractor
from source_marketo.components.errors import MarketoFailure, MarketoRequestError
from source_marketo.components.requester import MarketoRequester
from source_marketo.components.runtime import MarketoRuntime, RunConfig
from unit_tests.helpers import FakeClock, client_over


def reply(result=None, warnings=()):
    body = {"success": True, "errors": [], "warnings": list(warnings), "requestId": "1#1"}
    if result is not None:
        body["result"] = result
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    return response


CHANNELS = [{"id": i, "name": f"C{i}", "updatedAt": "2024-01-01T00:00:00Z+0000",
             "progressionStatuses": [{"name": "Not in Program", "step": 0}, {"name": "Member", "step": 10}]} for i in range(1, 201)]


def test_given_a_full_page_of_channels_read_as_status_rows_when_paging_then_the_offset_moves_by_the_channels():
    paging = MarketoOffsetIncrement(config={}, page_size=200, parameters={})
    # 400 status records were made of the 200 channels: the next page starts at channel 201, not 401.
    assert paging.next_page_token(reply(CHANNELS), last_page_size=400, last_record=None, last_page_token_value=None) == 200
    assert paging.next_page_token(reply(CHANNELS[:5]), last_page_size=10, last_record=None, last_page_token_value=200) is None


def test_given_the_no_assets_warning_or_a_repeated_page_when_paging_then_it_stops():
    paging = MarketoOffsetIncrement(config={}, page_size=200, parameters={})
    assert paging.next_page_token(reply(warnings=["No assets found for the given search criteria."]), 0, None, None) is None
    assert paging.next_page_token(reply(CHANNELS), 200, None, None) == 200
    assert paging.next_page_token(reply(CHANNELS), 200, None, 200) is None  # the endpoint ignored the offset


def test_given_channels_when_extracted_as_rows_then_one_record_per_progression_status():
    rows = list(MarketoRowsExtractor(parameters={}, rows="channel_progression_statuses").extract_records(reply(CHANNELS[:2])))
    assert [(row["channel_id"], row["name"], row["updated_at"]) for row in rows] == [
        (1, "Not in Program", "2024-01-01T00:00:00Z"), (1, "Member", "2024-01-01T00:00:00Z"),
        (2, "Not in Program", "2024-01-01T00:00:00Z"), (2, "Member", "2024-01-01T00:00:00Z")]


def test_given_a_bad_value_in_a_channel_when_extracted_then_the_error_names_the_stream_and_field():
    extractor = MarketoRowsExtractor(parameters={}, rows="channel_progression_statuses")
    try:
        list(extractor.extract_records(reply([{"id": 7, "updatedAt": "yesterday", "progressionStatuses": []}])))
    except MarketoFailure as error:
        assert "channel_progression_statuses" in error.message and "updatedAt" in error.message and "7" in error.message
    else:
        raise AssertionError("a bad datetime was accepted")


def test_given_a_substream_shape_when_transformed_then_the_parent_id_comes_from_the_partition():
    shaper = MarketoRecordShaper(parameters={}, shape="program_tokens", partition_field="program_id")
    record = {"name": "Seats", "type": "number", "value": "250", "computedUrl": "https://app/#ME1001A1"}
    shaper.transform(record, stream_slice=StreamSlice(partition={"program_id": 1001, "parent_slice": {}}, cursor_slice={}))
    assert record == {"program_id": 1001, "name": "Seats", "type": "number", "value": "250", "computed_url": "https://app/#ME1001A1"}


class _OneReply:
    """A session that answers every call with one body (no network)."""

    def __init__(self, body):
        self.body, self.calls = body, 0

    def request(self, method, url, **kwargs):
        self.calls += 1
        response = requests.Response()
        response.status_code, response._content = 200, json.dumps({"requestId": "1#1", **self.body}).encode()
        response.headers["Content-Type"] = "application/json"
        return response


def members_requester(session, skip_when_missing, logger):
    clock = FakeClock()
    config = RunConfig()
    config.runtime = MarketoRuntime(settings=None, client=client_over(session, clock, logger), exports=ExportBudget(clock, 500), clock=clock, logger=logger)
    return MarketoRequester(name="list_members", url_base="https://x.mktorest.com", path="/rest/v1/lists/{{ stream_partition.list_id }}/leads.json",
                            config=config, parameters={}, skip_when_missing=skip_when_missing)


LIST_GONE = {"success": False, "errors": [{"code": "1013", "message": "Static list not found"}]}
LIST_SLICE = StreamSlice(partition={"list_id": 1020, "parent_slice": {}}, cursor_slice={})


def test_given_a_list_deleted_since_it_was_listed_when_its_members_are_read_then_an_empty_last_page_and_a_warning(caplog):
    session = _OneReply(LIST_GONE)
    logger = logging.getLogger("test_declarative")
    response = members_requester(session, skip_when_missing=True, logger=logger).send_request(stream_slice=LIST_SLICE)
    assert session.calls == 1  # not retried: the list is gone
    body = response.json()
    assert "result" not in body and "nextPageToken" not in body
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1 and "list_members: skipped" in warnings[0] and "1013" in warnings[0] and "/rest/v1/lists/1020/leads.json" in warnings[0]


def test_given_a_requester_that_does_not_skip_when_marketo_answers_1013_then_the_request_fails():
    requester = members_requester(_OneReply(LIST_GONE), skip_when_missing=False, logger=logging.getLogger("test_declarative"))
    with pytest.raises(MarketoRequestError, match="1013"):
        requester.send_request(stream_slice=LIST_SLICE)
