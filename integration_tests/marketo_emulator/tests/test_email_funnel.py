"""Email activities add up: per email asset, per lead and in total, sends >= deliveries >= opens >=
clicks, bounces + deliveries <= sends, unsubscribes <= deliveries — in history, after ticks, at
every moment, and whatever was deleted or merged."""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timezone

import pytest

from integration_tests.marketo_emulator import EmulatorOptions, FakeClock, MarketoEmulator

SEND, DELIVERED, BOUNCED, UNSUBSCRIBED, OPENED, CLICKED = 6, 7, 8, 9, 10, 11
EMAIL = [SEND, DELIVERED, BOUNCED, UNSUBSCRIBED, OPENED, CLICKED]


def assert_funnel(counts: Counter, where: str) -> None:
    sends, delivered, opened, clicked = counts[SEND], counts[DELIVERED], counts[OPENED], counts[CLICKED]
    assert sends >= delivered >= opened >= clicked, (where, counts)
    assert counts[BOUNCED] + delivered <= sends and counts[UNSUBSCRIBED] <= delivered, (where, counts)


def check_all(activities: list[dict]) -> Counter:
    total, by_email, by_lead_email = Counter(), defaultdict(Counter), defaultdict(Counter)
    for activity in activities:
        type_id = activity["activityTypeId"]
        total[type_id] += 1
        by_email[activity["primaryAttributeValueId"]][type_id] += 1
        by_lead_email[(activity["leadId"], activity["primaryAttributeValueId"])][type_id] += 1
        # At every moment too: the running counts of this lead and email nest.
        assert_funnel(by_lead_email[(activity["leadId"], activity["primaryAttributeValueId"])], "running")
    assert_funnel(total, "total")
    for email_id, counts in by_email.items():
        assert_funnel(counts, f"email {email_id}")
    return total


@pytest.mark.parametrize("seed, shape", [(42, "uniform"), (7, "growing"), (2024, "uniform")])
def test_generated_email_activities_nest(seed, shape):
    emulator = MarketoEmulator(EmulatorOptions(seed=seed, leads=400, activities=6000, history_shape=shape,
                                               clock=FakeClock(datetime(2025, 6, 2, tzinfo=timezone.utc))))
    total = check_all(emulator.truth.activities(type_ids=EMAIL))
    assert all(total[t] > 0 for t in EMAIL)  # every stage occurs
    assert total[SEND] > total[DELIVERED] > total[OPENED] > total[CLICKED] > total[UNSUBSCRIBED]


def test_ticks_keep_email_activities_nested(marketo_emulator):
    for _ in range(12):
        marketo_emulator.tick(seconds=1800, new_activities=150, deleted_leads=2, merged_leads=2)
    since = marketo_emulator.state.anchor_ms
    ticked = check_all(marketo_emulator.truth.activities(type_ids=EMAIL, since=since))
    assert ticked[DELIVERED] > 0 and ticked[OPENED] > 0  # ticks continue mailings, not only send
    check_all(marketo_emulator.truth.activities(type_ids=EMAIL))


def test_type_filters_and_records_agree(marketo_emulator):
    every = marketo_emulator.truth.activities()
    for type_id in EMAIL:
        assert marketo_emulator.truth.activities(type_ids=[type_id]) == [a for a in every if a["activityTypeId"] == type_id]
