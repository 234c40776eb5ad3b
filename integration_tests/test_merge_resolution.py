"""After a merge, Marketo moves the losing lead's activities to the winner, and after a deletion it
removes the lead's activities; rows synced before keep the old lead id. The SQL in
docs/sql/activities_of_live_leads.sql resolves them with the leads tombstones: run here, on SQLite,
over the deduplicated tables of two syncs with merges and deletions between them."""

import pathlib
import sqlite3

from integration_tests.harness import dedupe, emulator_config
from integration_tests.test_bulk_streams import read_bulk

SQL = pathlib.Path(__file__).resolve().parent.parent / "docs" / "sql" / "activities_of_live_leads.sql"
TYPES = [1, 2, 6, 10, 12, 13, 22]


def warehouse(records_by_stream):
    """The Append + Deduped tables of leads and lead_activities, in SQLite."""
    db = sqlite3.connect(":memory:")
    db.execute("create table leads (id integer primary key, updated_at text, deleted_at text, merged_into_lead_id integer)")
    db.execute("create table lead_activities (id text primary key, lead_id integer, activity_type_id integer, activity_date text, "
               "campaign_id integer, primary_attribute_value_id integer, primary_attribute_value text)")
    for row in dedupe(records_by_stream["leads"], "updated_at").values():
        db.execute("insert into leads values (?, ?, ?, ?)", (row["id"], row["updated_at"], row["deleted_at"], row.get("merged_into_lead_id")))
    for row in {r["id"]: r for r in records_by_stream["lead_activities"]}.values():
        db.execute("insert into lead_activities values (?, ?, ?, ?, ?, ?, ?)", tuple(row.get(c) for c in (
            "id", "lead_id", "activity_type_id", "activity_date", "campaign_id", "primary_attribute_value_id", "primary_attribute_value")))
    return db


def test_given_merges_and_deletions_after_a_sync_when_the_documented_sql_runs_then_every_activity_has_the_lead_marketo_gives_it(marketo_emulator):
    config = emulator_config(marketo_emulator, activity_type_ids=",".join(map(str, TYPES + [32, 37])))
    first, _ = read_bulk(marketo_emulator, config, streams=["leads", "lead_activities"])
    assert first.failure is None, first.errors
    summary = marketo_emulator.tick(seconds=1800, new_leads=2, updated_leads=2, deleted_leads=3, merged_leads=4, new_activities=10)
    marketo_emulator.clock.advance(120)
    second, _ = read_bulk(marketo_emulator, config, state=first.latest_state(), streams=["leads", "lead_activities"])
    assert second.failure is None, second.errors
    synced = {stream: first.records(stream) + second.records(stream) for stream in ("leads", "lead_activities")}
    db = warehouse(synced)

    losers = {merge["loser"] for merge in summary["merged_leads"]}
    stale = db.execute(f"select count(*) from lead_activities where lead_id in ({','.join(map(str, losers))})").fetchone()[0]
    assert stale > 0  # what the SQL is for: synced activities still carrying a merged-away lead's id

    resolved = {row[0]: row[1] for row in db.execute(SQL.read_text())}
    truth = {str(item["marketoGUID"]): item["leadId"] for item in marketo_emulator.truth.activities(type_ids=TYPES + [32])}
    synced_ids = {row["id"] for row in synced["lead_activities"] if row["activity_type_id"] != 37}
    assert resolved == {guid: truth[guid] for guid in synced_ids if guid in truth}  # re-pointed, and the deleted leads' gone
    assert synced_ids - set(truth)  # some synced activities were removed by Marketo with their lead
