"""Custom object streams: which objects get one, their names and typed schemas, and how a lane plans
its windows (from the type's creation; empty exports let the windows of a first sync grow)."""

import io
import logging
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from source_marketo.components.bulk.csv_rows import ExportRows
from source_marketo.components.bulk.custom_objects import CustomObjectLane, CustomObjectStream, discovered_streams, stream_names
from source_marketo.components.bulk.jobs import ExportJob, Window
from source_marketo.components.bulk.records import RecordSink
from source_marketo.components.bulk.windows import Room
from source_marketo.components.errors import Action, Decision, MarketoRequestError
from source_marketo.components.metadata import CustomObject, MemberField, describe_custom_object, linked_to_leads

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
MB = 2**20
LEAD_LINK = [{"field": "leadId", "type": "child", "relatedTo": {"name": "Lead", "field": "id"}}]
CAR_FIELDS = [{"name": "createdAt", "dataType": "datetime"}, {"name": "marketoGUID", "dataType": "string"},
              {"name": "updatedAt", "dataType": "datetime"}, {"name": "leadId", "dataType": "integer"},
              {"name": "purchasePrice", "dataType": "currency"}, {"name": "isElectric", "dataType": "boolean"},
              {"name": "purchaseDate", "dataType": "date"}, {"name": "VIN", "dataType": "string"}]


def car(**changes):
    return {"name": "car_c", "displayName": "Car", "createdAt": "2025-01-10T08:00:00Z", "idField": "marketoGUID",
            "dedupeFields": ["VIN"], "relationships": LEAD_LINK, "fields": CAR_FIELDS, **changes}


@pytest.mark.parametrize("relationships, first_level", [
    (LEAD_LINK, True),
    ([{"field": "siebelId", "type": "parent", "relatedTo": {"name": "Lead", "field": "siebelId"}}], True),  # EL's example
    ([{"field": "companyId", "type": "child", "relatedTo": {"name": "Company", "field": "id"}}], False),
    ([{"field": "carId", "type": "child", "relatedTo": {"name": "car_c", "field": "marketoGUID"}}], False),  # second level
    ([], False),
    (None, False),
])
def test_given_an_object_s_relationships_when_asked_then_only_a_direct_link_to_leads_is_first_level(relationships, first_level):
    assert linked_to_leads({"name": "x_c", "relationships": relationships}) is first_level


def test_given_a_listing_item_with_fields_when_described_then_no_call_and_every_fact_parsed():
    described = describe_custom_object(None, car(fields=CAR_FIELDS + [{"name": "total", "dataType": "formula"}]))
    assert described.api_name == "car_c" and described.display_name == "Car" and described.dedupe_fields == ("VIN",)
    assert described.created_at == datetime(2025, 1, 10, 8, tzinfo=timezone.utc) and described.id_field == "marketoGUID"
    assert "total" not in {field.name for field in described.fields}  # formula fields cannot be exported
    assert describe_custom_object(None, car(createdAt="soon")).created_at is None


@pytest.mark.parametrize("api_names, expected", [
    (["car_c"], {"car_c": "custom_objects_car_c"}),
    (["conferenceTrackSubscription_c"], {"conferenceTrackSubscription_c": "custom_objects_conference_track_subscription_c"}),
    (["Car_c", "car_c"], {"Car_c": "custom_objects_car_c", "car_c": "custom_objects_car_c_2"}),  # sorted first: stable
    (["car_c", "Car_c"], {"Car_c": "custom_objects_car_c", "car_c": "custom_objects_car_c_2"}),
])
def test_given_api_names_when_named_then_snake_case_with_the_prefix_and_unique(api_names, expected):
    assert stream_names(api_names) == expected


def test_given_a_described_object_when_its_schema_is_made_then_typed_columns_keyed_by_marketo_guid():
    stream = CustomObjectStream("custom_objects_car_c", describe_custom_object(None, car()))
    schema = stream.json_schema()
    assert stream.key_column == "marketo_guid" and schema["required"] == ["marketo_guid"] and stream.kind == "customobjects/car_c"
    assert schema["properties"]["marketo_guid"] == {"type": "string"}
    assert {column: prop["type"][1] for column, prop in schema["properties"].items() if column != "marketo_guid"} == {
        "created_at": "string", "updated_at": "string", "lead_id": "integer", "purchase_price": "number",
        "is_electric": "boolean", "purchase_date": "string", "vin": "string"}
    assert schema["properties"]["purchase_date"]["format"] == "date" and schema["properties"]["updated_at"]["format"] == "date-time"
    assert "dedupe fields: VIN" in schema["description"]


class FakeRuntime:
    """Replies by path; a path mapped to an exception raises it, as the client does for a refusal."""

    def __init__(self, replies):
        self.replies = replies
        self.logger = logging.getLogger("test_custom_objects")
        self.paths = []

    def cached_get(self, path):
        self.paths.append(path)
        reply = self.replies[path]
        if isinstance(reply, Exception):
            raise reply
        return SimpleNamespace(envelope=SimpleNamespace(result=reply))


def refusal(code):
    return MarketoRequestError(Decision(Action.FAIL, f"Marketo {code} on /rest/v1/customobjects.json", code), 1)


def test_given_first_and_second_level_objects_when_discovered_then_streams_for_the_first_level_only_and_the_rest_logged(caplog):
    runtime = FakeRuntime({
        "/rest/v1/customobjects.json": [car(fields=None), car(name="wheel_c", relationships=[{"relatedTo": {"name": "car_c"}}]),
                                        car(name="draft_c", state="draft")],
        "/rest/v1/customobjects/car_c/describe.json": [car()],
    })
    with caplog.at_level(logging.INFO):
        streams = discovered_streams(runtime)
    assert [stream.name for stream in streams] == ["custom_objects_car_c"] and len(streams[0].object.fields) == len(CAR_FIELDS)
    assert runtime.paths == ["/rest/v1/customobjects.json", "/rest/v1/customobjects/car_c/describe.json"]  # no describe for the others
    assert "draft_c, wheel_c have no stream" in caplog.text


@pytest.mark.parametrize("listing, message", [
    ([], "this Marketo instance has no first-level custom object"),
    (refusal("703"), "Marketo refused the list of custom objects"),
])
def test_given_no_custom_objects_or_a_refusal_when_discovered_then_none_and_a_log_line(caplog, listing, message):
    with caplog.at_level(logging.INFO):
        assert discovered_streams(FakeRuntime({"/rest/v1/customobjects.json": listing})) == []
    assert message in caplog.text


def test_given_one_describe_refused_when_discovered_then_the_other_objects_keep_their_streams_and_names(caplog):
    runtime = FakeRuntime({"/rest/v1/customobjects.json": [car(fields=None, name="a_c"), car(fields=None, name="b_c")],
                           "/rest/v1/customobjects/a_c/describe.json": refusal("611"), "/rest/v1/customobjects/b_c/describe.json": [car(name="b_c")]})
    assert [stream.name for stream in discovered_streams(runtime)] == ["custom_objects_b_c"]
    assert "a_c has no stream" in caplog.text


# --- the lane -------------------------------------------------------------------------------


def lane_of(start, created, state=None, export_window_days=30):
    stream = CustomObjectStream("custom_objects_car_c", CustomObject("car_c", "Car", created, "marketoGUID", ("VIN",),
                                                                      tuple(MemberField(f["name"], f["dataType"]) for f in CAR_FIELDS)))
    settings = SimpleNamespace(start_date=start, lookback=timedelta(minutes=60), export_window=timedelta(days=export_window_days))
    runtime = SimpleNamespace(settings=settings, logger=logging.getLogger("test_custom_objects"), records={})
    context = SimpleNamespace(runtime=runtime, now=NOW, selected={stream.name: stream.json_schema()}, input_state=lambda name: dict(state or {}),
                              sink=lambda name: RecordSink(name, raw=False), count=lambda name, n: None)
    return CustomObjectLane(context, stream)


def export_file(*rows):
    header = "marketoGUID,updatedAt,createdAt,leadId,purchasePrice,isElectric,purchaseDate,VIN\n"
    return ExportRows(io.BytesIO((header + "".join(row + "\n" for row in rows)).encode()), "test export")


def test_given_a_start_date_years_before_the_object_when_surveyed_then_the_lane_begins_at_its_creation_without_a_call():
    created = NOW - timedelta(days=400)
    lane = lane_of(datetime(2015, 1, 1, tzinfo=timezone.utc), created)
    survey = lane.take_survey()
    assert survey.calls == 0 and survey.conclusive
    lane.apply(survey)
    assert lane.plan.position == created - timedelta(minutes=1) and lane.cursor == lane.plan.position
    assert lane.next_export(Room(left_today=500 * MB, reserved=0, cap=500 * MB, in_flight=0)).window.start == created - timedelta(minutes=1)
    unknown = lane_of(datetime(2015, 1, 1, tzinfo=timezone.utc), None)
    unknown.apply(unknown.take_survey())  # no createdAt: nothing may be skipped
    assert unknown.plan.position == datetime(2015, 1, 1, tzinfo=timezone.utc)


def test_given_empty_exports_under_a_small_cap_when_planned_then_each_window_doubles_until_the_floor():
    lane = lane_of(NOW - timedelta(days=100), NOW - timedelta(days=400))
    cap = Room(left_today=MB, reserved=0, cap=MB, in_flight=0)
    sizes = []
    for _ in range(9):
        spec = lane.next_export(cap)
        sizes.append(spec.window.end - spec.window.start)
        list(lane.read(ExportJob(spec, file_size=80, records=0), export_file()))
    ratios = [later / earlier for earlier, later in zip(sizes, sizes[1:])]
    assert all(abs(ratio - 2) < 0.01 for ratio in ratios[:6]) and sizes[-1] == sizes[-2], sizes  # a 64th of the guess, then steady
    assert lane.plan.learned is None and lane.cursor == spec.window.end  # nothing learned from empty files, every window passed


def test_given_an_export_with_records_when_read_then_the_rate_is_learned_and_saved_in_state():
    lane = lane_of(NOW - timedelta(days=10), NOW - timedelta(days=400))
    spec = lane.next_export(Room(left_today=500 * MB, reserved=0, cap=500 * MB, in_flight=0))
    rows = export_file("abc,2026-05-25T00:00:00Z,2026-05-20T10:00:00Z,7,15000.5,true,2026-05-01,VIN1", "def,null,null,null,null,null,null,null")
    records = [message.record.data for message in lane.read(ExportJob(spec, file_size=10_000, records=2), rows)]
    assert records == [{"marketo_guid": "abc", "created_at": "2026-05-20T10:00:00Z", "updated_at": "2026-05-25T00:00:00Z", "lead_id": 7,
                        "purchase_price": 15000.5, "is_electric": True, "purchase_date": "2026-05-01", "vin": "VIN1"},
                       {"marketo_guid": "def", "created_at": None, "updated_at": None, "lead_id": None, "purchase_price": None,
                        "is_electric": None, "purchase_date": None, "vin": None}]
    state = lane.state()
    assert state["updated_at"] == "2026-06-01T00:00:00Z" and state["bytes_per_day"] == round(10_000 / spec.window.days) and state["bytes_per_row"] == 5_000.0
    assert lane_of(NOW - timedelta(days=10), NOW, state=state).plan.learned == state["bytes_per_day"]  # the next sync starts from it
