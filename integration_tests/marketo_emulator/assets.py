"""Asset store: browse with offset/maxReturn, status/folder/date filters, updates from ticks.

Marketo supports `earliestUpdatedAt`/`latestUpdatedAt` on programs, emails, smart campaigns,
static lists and smart lists only (marketo-api.md §5; the swagger of forms, email templates,
snippets, channels, tag types and folders has no such parameters); elsewhere those parameters
are ignored, as unknown parameters are by the real API. The lead-database `lists.json` and
`campaigns.json` are views of the same static lists and smart campaigns (their datetimes use the
plain `Z` form).

Emails, landing pages, forms, email templates and snippets have versions: browse without
`status` returns both the approved and the draft version of an asset being edited, under the
same id (approved first); `status=approved|draft` keeps one; by id, the approved version is
served when there is one. Folders are a tree (`foldergen.py`); tag types have no id (their name
is their key).
"""
from __future__ import annotations

import copy
import json

from . import assetgen, designgen, foldergen, programsetup
from .assetgen import VERSIONED
from .timefmt import asset_datetime, rest_datetime

# Kinds of the original catalogue: the tick's `asset_updates` picks among these (unchanged, so ticks
# with the same seed change the same assets as before); `other_asset_updates` picks among the later ones.
TICKED_KINDS = ("programs", "emails", "landingPages", "segmentation", "segments", "smartCampaigns", "staticLists",
                "smartLists")
OTHER_TICKED_KINDS = ("forms", "emailTemplates", "snippets", "channels", "folders")
KINDS = TICKED_KINDS + ("forms", "emailTemplates", "snippets", "channels", "tagTypes", "folders")
DATE_FILTERED = {"programs", "emails", "smartCampaigns", "staticLists", "smartLists"}
STATUS_FILTERED = {"programs", "emails", "landingPages", "segmentation", "segments", "forms", "emailTemplates", "snippets"}
VERSIONED_KINDS = VERSIONED + designgen.NEW_KINDS_VERSIONED


class AssetStore:
    def __init__(self, seed: int, counts: dict[str, int], anchor_ms: int, hostile: bool) -> None:
        self._records, self.tokens = assetgen.generate(seed, counts, anchor_ms, hostile)
        # The later kinds, each from its own random stream: the original catalogue is unchanged.
        folders = foldergen.generate(seed, counts.get("folders", 0), anchor_ms, hostile)
        self._records["folders"] = folders
        self._records.update(designgen.generate(seed, counts, anchor_ms, hostile, self._records["programs"], folders))
        self._records["channels"] = programsetup.channels(seed, counts.get("channels", 0), anchor_ms)
        self._records["tagTypes"] = programsetup.tag_types(counts.get("tagTypes", 0))
        for record in self._records["tagTypes"]:
            record["_createdMs"] = record["_updatedMs"] = 0  # no dates in Marketo's tag types; never changed
        self.program_tags = programsetup.program_tags(seed, self._records["programs"], self._records["tagTypes"])
        for kind in KINDS:
            for record in self._records[kind]:
                _render_times(record)

    # -- reads -------------------------------------------------------------------------------
    def all(self, kind: str) -> list[dict]:
        """Marketo-shaped records (deep copies), ordered by id, both versions of versioned kinds;
        folders: the whole tree (program folders included), depth first."""
        if kind == "folders":
            return [_public(folder) for folder in self.folder_listing()]
        return [_public(record) for record in self._records[kind]]

    def folder_listing(self) -> list[dict]:
        return foldergen.listing(self._records["folders"], self._records["programs"])

    def browse_folders(self, root, max_depth: int, workspace: str | None) -> list[dict] | None:
        chosen = foldergen.browse(self.folder_listing(), root, max_depth, workspace)
        return None if chosen is None else [_public(folder) for folder in chosen]

    def folder(self, folder_id: int, folder_type: str) -> dict | None:
        key = (folder_id, folder_type.capitalize())
        return next((_public(f) for f in self.folder_listing() if f["_key"] == key), None)

    def folders_named(self, name: str, folder_type: str | None, root, workspace: str | None) -> list[dict]:
        """folder/byName.json: exact name; optionally of a type, under a root, in a workspace."""
        listing = self.folder_listing()
        if root is not None:
            listing = foldergen.browse(listing, root, 1_000, None) or []
        return [_public(f) for f in listing if f["name"] == name
                and (not folder_type or f["_key"][1] == folder_type.capitalize())
                and (not workspace or f["workspace"].lower() == workspace.lower())]

    def created_ms(self, kind: str, asset_id: int) -> int:
        return self._versions(kind, asset_id)[0]["_createdMs"]

    def is_folder(self, folder_id: int) -> bool:
        return any(record["id"] == folder_id for record in self._records["folders"])

    def program(self, program_id: int) -> dict | None:
        """program/{id}.json: the browse record plus `tags` and `costs` (EL:programs: not in browse)."""
        program = self.get("programs", program_id)
        if program is None:
            return None
        program["tags"] = copy.deepcopy(self.program_tags.get(program_id, []))
        program["costs"] = None
        return program

    def form_fields(self, form_id: int, status: str | None = None) -> list[dict] | None:
        versions = self._versions("forms", form_id)
        if status:
            versions = [record for record in versions if record["status"].lower() == status.lower()]
        return copy.deepcopy(versions[0]["_fields"]) if versions else None

    def named(self, kind: str, key: str, name: str) -> list[dict]:
        """byName lookups of channels (`name`) and tag types (`tagType`; with `allowableValues`)."""
        out = []
        for record in self._records[kind]:
            if record[key] == name:
                item = _public(record)
                if kind == "tagTypes":
                    item["allowableValues"] = programsetup.bracketed(record["_allowable"])
                out.append(item)
        return out

    def get(self, kind: str, asset_id: int, status: str | None = None) -> dict | None:
        """By id: the version of ``status``, else the approved one when there is one (Marketo's default)."""
        versions = self._versions(kind, asset_id)
        if status:
            versions = [record for record in versions if record.get("status", "").lower() == status.lower()]
        return _public(versions[0]) if versions else None

    def browse(self, kind: str, params: "BrowseParams") -> list[dict]:
        """Matching records in id order, before offset/maxReturn are applied."""
        return [_public(record) for record in self._records[kind] if params.matches(kind, record)]

    def refs(self, kind: str) -> list[tuple[int, str]]:
        """(id, name) of each asset, once (activities name an asset, not a version)."""
        if kind == "emails":
            return [(r["id"], f"{r['folder']['folderName']}.{r['name']}") for r in self._first_versions(kind)]
        return [(_id_of(r), r.get("name", r.get("tagType"))) for r in self._first_versions(kind)]

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
                         "createdAt": rest_datetime(record["_createdMs"]), "updatedAt": rest_datetime(record["_updatedMs"])})
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
                         "createdAt": rest_datetime(record["_createdMs"]), "updatedAt": rest_datetime(record["_updatedMs"]),
                         "active": record["isActive"]})
            out.append(item)
        return out

    def changed_since(self, since_ms: int) -> dict[str, list[int]]:
        """Ids (once each) of the assets with a version updated after ``since_ms``."""
        return {kind: list(dict.fromkeys(_id_of(r) for r in self._records[kind] if r["_updatedMs"] > since_ms))
                for kind in KINDS}

    def count(self, kind: str) -> int:
        """Assets of a kind (an asset with two versions counts once)."""
        return len(self._first_versions(kind))

    # -- changes -----------------------------------------------------------------------------
    def touch(self, kind: str, index: int, at_ms: int, rng) -> int:
        """An asset is edited: its updatedAt moves (and something visible changes). Emails and
        landing pages are edited as in Marketo: through a draft (see ``_edit_versions``)."""
        if kind == "folders":  # the user folders only (system folders and programs are not edited here)
            editable = [r for r in self._records["folders"] if not r["isSystem"]]
            record = editable[index % len(editable)]
            record.update(_updatedMs=at_ms, description=f"Edited {rest_datetime(at_ms)}")
            _render_times(record)
            return record["id"]
        asset_id = _id_of(self._first_versions(kind)[index % self.count(kind)])
        if kind in VERSIONED_KINDS:
            self._edit_versions(kind, asset_id, at_ms, rng)
            return asset_id
        record = self._versions(kind, asset_id)[0]
        if kind == "channels":  # a status description is edited (names stay: members keep their statuses)
            status = record["progressionStatuses"][index % len(record["progressionStatuses"])]
            status["description"] = f"Edited {rest_datetime(at_ms)}"
        record["_updatedMs"] = at_ms
        if "description" in record:
            record["description"] = f"Edited {rest_datetime(at_ms)}"
        if kind == "smartCampaigns" and record["type"] == "trigger":
            record["isActive"] = not record["isActive"]
            record["status"] = "Active" if record["isActive"] else "Inactive"
        _render_times(record)
        return asset_id

    def _edit_versions(self, kind: str, asset_id: int, at_ms: int, rng) -> None:
        """An approved asset without a draft gets one; an existing draft is edited again or, half of
        the time, approved: it becomes the approved version (replacing the old one) and the draft is gone."""
        records = self._records[kind]
        versions = {record["status"].lower(): record for record in self._versions(kind, asset_id)}
        draft, approved = versions.get("draft"), versions.get("approved")
        generator = assetgen if kind in VERSIONED else designgen
        if draft is None:
            records.insert(records.index(approved) + 1, _render_times(generator.draft_of(kind, approved, at_ms)))
        elif rng.random() < 0.5:
            generator.edit_draft(kind, draft, at_ms)
            _render_times(draft)
        else:
            draft.update(status=designgen.status_word(kind, "approved"), _updatedMs=at_ms)
            _render_times(draft)
            if approved is not None:
                records.remove(approved)

    def _versions(self, kind: str, asset_id) -> list[dict]:
        """The versions of one asset, approved first."""
        return [record for record in self._records[kind] if _id_of(record) == asset_id]

    def _first_versions(self, kind: str) -> list[dict]:
        records = self._records[kind]
        return [record for i, record in enumerate(records) if i == 0 or _id_of(records[i - 1]) != _id_of(record)]


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

    def matches(self, kind: str, record: dict) -> bool:
        updated_ms = record["_updatedMs"]
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


def _id_of(record: dict):
    return record["id"] if "id" in record else record["_id"]


def _render_times(record: dict) -> dict:
    if "createdAt" not in record:  # tag types carry no dates
        return record
    record["createdAt"] = asset_datetime(record["_createdMs"])
    record["updatedAt"] = asset_datetime(record["_updatedMs"])
    return record


def _public(record: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}
