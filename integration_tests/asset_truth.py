"""What the asset streams must hold: the emulator's ground truth (``emulator.truth``: what the Marketo
instance holds) in each stream's documented columns (``source_marketo.components.shapes``).

Shared by the end-to-end tests and the acceptance tests' expected records.
"""

from __future__ import annotations

from typing import Any, Dict, List

from source_marketo.components import shapes

# Stream -> the emulator's asset kind it reads (channel_progression_statuses: the channels' statuses).
ASSET_KINDS = {
    "email": "emails", "landing_pages": "landingPages", "programs": "programs", "segmentation": "segmentation",
    "segments": "segments", "forms": "forms", "email_templates": "emailTemplates", "snippets": "snippets",
    "smart_lists": "smartLists", "smart_campaigns": "smartCampaigns", "channels": "channels",
    "channel_progression_statuses": "channels", "folders": "folders",
}
ASSET_STREAMS = list(ASSET_KINDS) + ["program_tokens", "tags"]


def asset_rows(emulator, stream: str) -> List[Dict[str, Any]]:
    """Every row of ``stream`` the instance holds now (both versions of a versioned asset)."""
    truth = emulator.truth
    if stream == "program_tokens":
        return [shapes.program_token(token, program["id"]) for program in truth.assets("programs") for token in truth.tokens(program["id"])]
    if stream == "tags":
        return [shapes.tag_type(item) for item in tag_types_by_name(emulator)]
    if stream in shapes.ROWS:
        return [row for item in truth.assets(ASSET_KINDS[stream]) for row in shapes.ROWS[stream](item)]
    return [shapes.SHAPES[stream](item) for item in truth.assets(ASSET_KINDS[stream])]


def tag_types_by_name(emulator) -> List[Dict[str, Any]]:
    """Each tag type as ``tagType/byName.json`` answers it, with ``allowableValues`` (the truth's tag
    types are ``tagTypes.json``'s, without them): read from the emulator's asset model, no call."""
    state = emulator.state
    with state.lock:
        return [item for record in state.assets.all("tagTypes") for item in state.assets.named("tagTypes", "tagType", record["tagType"])]
