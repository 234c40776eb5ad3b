"""The lookback before a reused chain of exports: an incremental sync that continues an earlier run's
saved exports first exports [cursor - lookback, cursor] again (Marketo may have written activities
late there); what that export holds must come out, for every stream whose cursor it reaches."""
import logging
from collections import Counter
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from source_marketo.components.bulk.activities import ACTIVITIES, ActivitiesLane
from source_marketo.components.bulk.jobs import ExportJob, Window
from source_marketo.components.bulk.records import RecordSink
from source_marketo.components.bulk.windows import cursor_text, saved_exports

START, NOW = datetime(2024, 1, 1, tzinfo=timezone.utc), datetime(2024, 7, 1, tzinfo=timezone.utc)
CURSOR = START + timedelta(days=10)
HEADER = ["marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId", "primaryAttributeValueId", "primaryAttributeValue", "attributes"]


class Rows(list):
    header = HEADER


def lane_over(states):
    settings = SimpleNamespace(start_date=START, lookback=timedelta(hours=1), export_window=timedelta(days=30))
    emitted = Counter()

    def sink(name):
        made = RecordSink(name, False, emitted_at=1)
        drain = made.drain

        def counted():
            messages = drain()
            emitted.update(message.record.data["id"] for message in messages)
            return messages

        made.drain = counted
        return made

    context = SimpleNamespace(runtime=SimpleNamespace(settings=settings, logger=logging.getLogger("test")), now=NOW,
                              selected={ACTIVITIES: {}}, sink=sink, count=lambda *args: None,
                              input_state=lambda stream: dict(states.get(stream) or {}))
    return ActivitiesLane(context, (1, 2)), emitted


def file_of(window, activities):
    return Rows([[guid, "7", cursor_text(at), "1", "1", "1", "x", "{}"] for guid, at in activities if window.start <= at <= window.end])


def test_given_a_reused_chain_when_its_lookback_export_is_read_then_an_activity_written_late_in_it_comes_out():
    first, _ = lane_over({ACTIVITIES: {"activity_date": cursor_text(CURSOR)}})
    saved = saved_exports([ExportJob(first._spec(Window(CURSOR, CURSOR + timedelta(days=10))), export_id="42")], False)
    lane, emitted = lane_over({ACTIVITIES: {"activity_date": cursor_text(CURSOR), "pending_exports": saved}})
    jobs = lane.resume()
    assert [job.spec.window for job in jobs][0] == Window(CURSOR - timedelta(hours=1), CURSOR)  # the lookback, then the reused chain
    activities = [("late", CURSOR - timedelta(minutes=30)), ("after", CURSOR + timedelta(days=5))]
    for job in jobs:
        job.file_size, job.records = 100, 1
        for _ in lane.read(job, file_of(job.spec.window, activities)):
            pass
    assert emitted == Counter({"late": 1, "after": 1})
