"""The hot path: generated row converters, their checked fallback, and RECORD line serialization."""

import orjson
import pytest

from airbyte_cdk.models import Type

from source_marketo.components.bulk.records import RecordSink, RowError, plan_columns

HEADER = ["id", "email", "score", "optIn", "updatedAt", "revenue"]
WANTED = [
    ("id", "id", "integer"),
    ("email", "email", "string"),
    ("lead_score", "score", "integer"),
    ("opt_in", "optIn", "boolean"),
    ("updated_at", "updatedAt", "datetime"),
    ("revenue", "revenue", "number"),
    ("deleted_at", "", "datetime"),
]


def convert(row):
    return plan_columns(HEADER, WANTED).compile()(row)


def test_given_a_plain_row_when_converted_then_typed_values_and_constant_columns():
    assert convert(["7", "a@b.c", "12", "true", "2024-05-06T07:08:09Z", "1.5"]) == {
        "id": 7, "email": "a@b.c", "lead_score": 12, "opt_in": True, "updated_at": "2024-05-06T07:08:09Z", "revenue": 1.5, "deleted_at": None,
    }


def test_given_null_literals_when_converted_then_none():
    record = convert(["7", "null", "null", "null", "null", "null"])
    assert record == {"id": 7, "email": None, "lead_score": None, "opt_in": None, "updated_at": None, "revenue": None, "deleted_at": None}


def test_given_unusual_but_valid_values_when_converted_then_the_checked_path_handles_them():
    record = convert(["7", "", "12.0", "1", "2024-05-06T07:08:09+0000", "3"])
    assert (record["email"], record["lead_score"], record["opt_in"], record["updated_at"], record["revenue"]) == ("", 12, True, "2024-05-06T07:08:09Z", 3)


def test_given_a_value_that_fits_no_type_when_converted_then_the_error_names_the_column():
    with pytest.raises(RowError, match="column 'lead_score' has '12.5'"):
        convert(["7", "a", "12.5", "true", "2024-05-06T07:08:09Z", "1"])
    with pytest.raises(RowError, match="column 'opt_in'"):
        convert(["7", "a", "1", "perhaps", "2024-05-06T07:08:09Z", "1"])


def test_given_a_selected_column_missing_from_the_header_when_planned_then_error():
    with pytest.raises(RowError, match="no column 'nope'"):
        plan_columns(HEADER, [("x", "nope", "string")])


def test_given_raw_output_when_records_are_sunk_then_batches_of_record_lines():
    sink = RecordSink("leads", raw=True, emitted_at=1700000000000)
    for index in range(3):
        sink.append(sink.line_of({"id": index, "name": "東京\u2028"}))
    [batch] = sink.drain()
    lines = batch.data.decode().split("\n")
    assert batch.count == 3 and sink.count == 3 and lines[-1] == "" and len(lines) == 4
    assert orjson.loads(lines[2]) == {"type": "RECORD", "record": {"stream": "leads", "data": {"id": 2, "name": "東京\u2028"}, "emitted_at": 1700000000000}}
    assert sink.drain() == []


def test_given_message_output_when_records_are_sunk_then_airbyte_messages():
    sink = RecordSink("leads", raw=False, emitted_at=5)
    sink.append(sink.line_of({"id": 1}))
    [message] = sink.drain()
    assert message.type == Type.RECORD and message.record.data == {"id": 1} and message.record.emitted_at == 5


@pytest.mark.parametrize("value", ["true", "false", "1", "0", "null", "", "TRUE", "yes", "no"])
def test_given_a_boolean_spelling_when_converted_then_the_generated_converter_agrees_with_the_checked_path(value):
    plan = plan_columns(["optIn"], [("opt_in", "optIn", "boolean")])
    assert plan.compile_fast()([value]) == plan.checked([value])  # 1/0 (program member exports) inline, without the fallback


@pytest.mark.parametrize("value", ["null", "", "2024-05-06T07:08:09Z", "2024-05-06T07:08:09Z+0000", "2024-05-06"])
def test_given_a_datetime_spelling_when_converted_then_the_generated_converter_agrees_with_the_checked_path(value):
    plan = plan_columns(["updatedAt"], [("updated_at", "updatedAt", "datetime")])
    assert plan.compile_fast()([value]) == plan.checked([value])  # the null literal inline, without rfc3339


class _Rows(list):
    header = ["id", "updatedAt"]


START, END = "2024-01-01T00:00:00Z", "2024-01-31T00:00:00Z"


def _edge_rows():
    """Rows at the window's start (every 3rd), at its end (every 7th) and between."""
    return _Rows([[str(i), START if i % 3 == 0 else END if i % 7 == 0 else "2024-01-02T00:00:00Z"] for i in range(5000)])


@pytest.mark.parametrize("raw", [True, False])
@pytest.mark.parametrize("case", ["seen at the start", "nothing seen", "no edge", "edge column missing"])
def test_given_rows_when_emitted_then_the_lines_are_the_sinks_own_and_only_rows_the_window_before_emitted_are_left_out(raw, case):
    from source_marketo.components.bulk.records import Edge, emit_rows

    rows = _edge_rows()
    seen = frozenset(str(i) for i in range(0, 5000, 6))  # half of the start rows came with the window before
    edge = {"seen at the start": Edge(START, seen, END), "nothing seen": Edge(None, frozenset(), END),
            "no edge": None, "edge column missing": Edge(START, seen, END)}[case]
    column = "createdAt" if case == "edge column missing" else "updatedAt"
    wanted = [("id", "id", "integer"), ("updated_at", "updatedAt", "datetime")]
    sink, reference = RecordSink("leads", raw, emitted_at=5), RecordSink("leads", raw, emitted_at=5)
    out = list(emit_rows(sink, rows, wanted, column, edge, "id"))
    kept = [row for row in rows if not (case == "seen at the start" and row[1] == START and row[0] in seen)]
    expected = [reference.line_of({"id": int(row[0]), "updated_at": row[1]}) for row in kept]
    if raw:
        assert b"".join(batch.data for batch in out) == b"".join(line + b"\n" for line in expected)
        assert sum(batch.count for batch in out) == len(kept) == sink.count
    else:
        assert [message.record.data for message in out] == [message.record.data for message in expected] and sink.count == len(kept)
    if case in ("seen at the start", "nothing seen"):  # the end's records, for the window after
        assert edge.at_end == {row[0] for row in rows if row[1] == END}


def test_given_a_record_on_the_boundary_when_the_end_is_inclusive_or_not_then_two_windows_emit_it_once():
    """Marketo's endAt may or may not include its instant (unconfirmed): either way the record shared by
    two windows comes out once, and one that only the second window has is not lost."""
    from source_marketo.components.bulk.records import Edge, emit_rows

    wanted = [("id", "id", "integer"), ("updated_at", "updatedAt", "datetime")]
    for inclusive in (True, False):
        first = _Rows([["1", "2024-01-15T00:00:00Z"]] + ([["2", END]] if inclusive else []))
        second = _Rows([["2", END], ["3", "2024-02-02T00:00:00Z"]])
        sink = RecordSink("leads", False, emitted_at=5)
        edge = Edge(None, frozenset(), END)
        emitted = [m.record.data["id"] for m in emit_rows(sink, first, wanted, "updatedAt", edge, "id")]
        after = Edge(END if edge.at_end else None, frozenset(edge.at_end), "2024-03-01T00:00:00Z")
        emitted += [m.record.data["id"] for m in emit_rows(sink, second, wanted, "updatedAt", after, "id")]
        assert sorted(emitted) == [1, 2, 3], (inclusive, emitted)


def test_given_an_export_without_a_header_when_emitted_then_nothing_and_no_error():
    from source_marketo.components.bulk.records import emit_rows

    class Empty(list):
        header: list = []

    assert list(emit_rows(RecordSink("x", True, emitted_at=5), Empty(), [("id", "id", "integer")])) == []
