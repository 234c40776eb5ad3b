"""Asset store: browse with offset/maxReturn, status/folder/date filters, updates from ticks.

Marketo supports `earliestUpdatedAt`/`latestUpdatedAt` on programs, emails, smart campaigns,
static lists and smart lists only (marketo-api.md §5); elsewhere those parameters are ignored,
as unknown parameters are by the real API. The lead-database `lists.json` and `campaigns.json`
are views of the same static lists and smart campaigns (their datetimes use the plain `Z` form).
"""
from __future__ import annotations

import copy
import json

from . import assetgen
from .timefmt import asset_datetime, rest_datetime

KINDS = ("programs", "emails", "landingPages", "segmentation", "segments", "smartCampaigns", "staticLists", "smartLists")
DATE_FILTERED = {"programs", "emails", "smartCampaigns", "staticLists", "smartLists"}
STATUS_FILTERED = {"programs", "emails", "landingPages", "segmentation", "segments"}


class AssetStore:
    def __init__(self, seed: int, counts: dict[str, int], anchor_ms: int, hostile: bool) -> None:
        self._records, self._times, self.tokens = assetgen.generate(seed, counts, anchor_ms, hostile)
        for kind in KINDS:
            for record in self._records[kind]:
                self._render_times(kind, record)

    def _render_times(self, kind: str, record: dict) -> None:
        key = (kind, record["id"])
        record["createdAt"] = asset_datetime(self._times.created[key])
        record["updatedAt"] = asset_datetime(self._times.updated[key])

    # -- reads -------------------------------------------------------------------------------
    def all(self, kind: str) -> list[dict]:
        """Marketo-shaped records (deep copies), ordered by id."""
        return [_public(record) for record in self._records[kind]]

    def get(self, kind: str, asset_id: int) -> dict | None:
        for record in self._records[kind]:
            if record["id"] == asset_id:
                return _public(record)
        return None

    def updated_ms(self, kind: str, asset_id: int) -> int:
        return self._times.updated[(kind, asset_id)]

    def browse(self, kind: str, params: "BrowseParams") -> list[dict]:
        """Matching records in id order, before offset/maxReturn are applied."""
        out = []
        for record in self._records[kind]:
            if not params.matches(kind, record, self._times.updated[(kind, record["id"])]):
                continue
            out.append(record)
        return [_public(record) for record in out]

    def refs(self, kind: str) -> list[tuple[int, str]]:
        if kind == "emails":
            return [(r["id"], f"{r['folder']['folderName']}.{r['name']}") for r in self._records[kind]]
        return [(r["id"], r["name"]) for r in self._records[kind]]

    def lead_lists(self) -> list[dict]:
        """`lists.json` items: the static lists, in lead-database shape."""
        out = []
        for record in self._records["staticLists"]:
            item = {"id": record["id"], "name": record["name"]}
            if record["description"]:
                item["description"] = record["description"]
            if record["_programName"]:
                item["programName"] = record["_programName"]
            item.update({"workspaceId": 1, "workspaceName": record["workspace"],
                         "createdAt": rest_datetime(self._times.created[("staticLists", record["id"])]),
                         "updatedAt": rest_datetime(self._times.updated[("staticLists", record["id"])])})
            out.append(item)
        return out

    def lead_campaigns(self) -> list[dict]:
        """`campaigns.json` items: smart campaigns in lead-database shape."""
        out = []
        for record in self._records["smartCampaigns"]:
            item = {"id": record["id"], "name": record["name"], "description": record["description"],
                    "type": "trigger" if record["type"] == "trigger" else "batch"}
            if record["_programName"]:
                item.update({"programName": record["_programName"], "programId": record["parentProgramId"]})
            item.update({"workspaceName": record["workspace"],
                         "createdAt": rest_datetime(self._times.created[("smartCampaigns", record["id"])]),
                         "updatedAt": rest_datetime(self._times.updated[("smartCampaigns", record["id"])]),
                         "active": record["isActive"]})
            out.append(item)
        return out

    def changed_since(self, since_ms: int) -> dict[str, list[int]]:
        return {kind: [r["id"] for r in self._records[kind] if self._times.updated[(kind, r["id"])] > since_ms]
                for kind in KINDS}

    # -- changes -----------------------------------------------------------------------------
    def touch(self, kind: str, index: int, at_ms: int, rng) -> int:
        """An asset is edited: its updatedAt moves (and something visible changes)."""
        records = self._records[kind]
        record = records[index % len(records)]
        self._times.updated[(kind, record["id"])] = at_ms
        if "description" in record:
            record["description"] = f"Edited {rest_datetime(at_ms)}"
        if kind == "smartCampaigns" and record["type"] == "trigger":
            record["isActive"] = not record["isActive"]
            record["status"] = "Active" if record["isActive"] else "Inactive"
        self._render_times(kind, record)
        return record["id"]

    def count(self, kind: str) -> int:
        return len(self._records[kind])


class BrowseParams:
    """Parsed filters of an asset browse call."""

    def __init__(self, status=None, folder=None, earliest_ms=None, latest_ms=None, filter_type=None,
                 filter_values=None, is_active=None, segmentation_id=None) -> None:
        self.status = status
        self.folder = folder  # (id, type) or None
        self.earliest_ms, self.latest_ms = earliest_ms, latest_ms
        self.filter_type, self.filter_values = filter_type, filter_values or []
        self.is_active = is_active
        self.segmentation_id = segmentation_id

    def matches(self, kind: str, record: dict, updated_ms: int) -> bool:
        if self.segmentation_id is not None and record.get("segmentationId") != self.segmentation_id:
            return False
        if self.status and kind in STATUS_FILTERED and record.get("status", "").lower() != self.status.lower():
            return False
        if self.folder and not _in_folder(record, self.folder):
            return False
        if kind in DATE_FILTERED:
            if self.earliest_ms is not None and updated_ms < self.earliest_ms:
                return False
            if self.latest_ms is not None and updated_ms > self.latest_ms:
                return False
        if self.is_active is not None and kind == "smartCampaigns" and record["isActive"] != self.is_active:
            return False
        return self._program_filter(kind, record)

    def _program_filter(self, kind: str, record: dict) -> bool:
        if kind != "programs" or not self.filter_type:
            return True
        values = {v.strip() for v in self.filter_values}
        if self.filter_type in ("id", "programId"):
            return str(record["id"]) in values
        if self.filter_type == "folderId":
            return str(record["folder"]["value"]) in values
        if self.filter_type == "workspace":
            return record["workspace"] in values
        return True


def parse_folder(text: str | None):
    """`folder={"id":341,"type":"Folder"}`; tolerate the single-quoted form some clients send."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = json.loads(text.replace("'", '"'))
        except ValueError:
            cleaned = text.strip("{} ").replace("'", "").replace('"', "")
            value = dict(part.split(":", 1) for part in cleaned.split(",") if ":" in part)
            value = {k.strip(): v.strip() for k, v in value.items()}
    if not isinstance(value, dict) or "id" not in value:
        raise ValueError(text)
    return int(value["id"]), str(value.get("type", "Folder")).strip()


def _in_folder(record: dict, folder) -> bool:
    folder_id, folder_type = folder
    own = record.get("folder") or {}
    own_id = own.get("value", own.get("id"))
    return own_id == folder_id and str(own.get("type", "")).lower() == folder_type.lower()


def _public(record: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}
