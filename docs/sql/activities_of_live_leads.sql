-- lead_activities re-pointed to the lead each activity belongs to now (docs/README.md, section 5).
-- Marketo moves a merged-away lead's activities to the winning lead and removes a deleted lead's;
-- rows synced before the merge or the deletion keep the old lead id. The leads tombstones say
-- which: merged_into_lead_id for a merge (followed through chains of merges), deleted_at alone
-- for a deletion. Tables are the deduplicated ones (Incremental | Append + Deduped).
with recursive merged(lead_id, winner_id, depth) as (
    select id, merged_into_lead_id, 1 from leads where merged_into_lead_id is not null
    union all
    select merged.lead_id, leads.merged_into_lead_id, merged.depth + 1
    from merged join leads on leads.id = merged.winner_id
    where leads.merged_into_lead_id is not null and merged.depth < 50
),
final_winner as (
    select lead_id, winner_id from merged m
    where depth = (select max(depth) from merged x where x.lead_id = m.lead_id)
)
select a.id, coalesce(w.winner_id, a.lead_id) as lead_id, a.activity_type_id, a.activity_date,
       a.campaign_id, a.primary_attribute_value_id, a.primary_attribute_value
from lead_activities a
left join final_winner w on w.lead_id = a.lead_id
where a.activity_type_id <> 37  -- Delete Lead rows record the deletion itself: keep them apart if wanted
  and not exists (  -- the lead each activity ends up with was deleted: Marketo removed its activities
    select 1 from leads d
    where d.id = coalesce(w.winner_id, a.lead_id) and d.deleted_at is not null and d.merged_into_lead_id is null
  );
