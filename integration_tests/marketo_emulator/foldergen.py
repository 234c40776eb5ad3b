"""The folder tree of the instance (EL:folders; marketo-api.md §5.8 `folders.json`).

Three system roots (Marketing Activities, Design Studio, Lead Database), one workspace zone per
workspace under Marketing Activities, the Design Studio folders by asset type, the five marketing
folders the seeded assets already live in (ids 41-45, names unchanged), a number of user folders
(`asset_counts["folders"]`, nested up to five levels) and every program as a folder of type
Program. Folder and program ids are separate namespaces, as in Marketo: `{"id": 1001, "type":
"Program"}` is a program, `{"id": 41, "type": "Folder"}` a folder.

Stored records are the Folder-type folders; program folders are derived from the programs when
read, so a program's edit shows in its folder. `listing()` orders the whole tree depth first
(parent before children; folders by id, then programs by id).
"""
from __future__ import annotations

from . import content as c
from .assetgen import FOLDERS, INSTANCE
from .hashing import seeded_rng
from .leadgen import DAY_MS

ZONES = {"Default": (11, 1), "EMEA": (12, 2), "North America": (13, 3)}  # workspace -> (zone folder id, accessZoneId)
DESIGN_TYPES = [(22, "Emails", "Email"), (23, "Email Templates", "Email Template"), (24, "Landing Pages", "Landing Page"),
                (25, "Landing Page Templates", "Landing Page Template"), (26, "Forms", "Landing Page Form"),
                (27, "Snippets", "Snippet"), (28, "Images and Files", "Image")]
# folderType of a program's folder by program type: the swagger enum (EL prose just says "Program"; unconfirmed).
PROGRAM_FOLDER_TYPES = {"Default": "Marketing Program", "Event": "Marketing Event", "Event with Webinar": "Marketing Event",
                        "Engagement": "Nurture Program", "Email": "Email Batch Program"}
ARCHIVED = {44}  # "アーカイブ" (archive): an archived folder that still holds lists and emails
FIRST_USER_ID = 46
MAX_DEPTH = 6  # user folders nest at most this deep (roots are depth 0)
MARKETING_NAMES = ["2024", "2025", "Q1", "Q2", "Q3, Q4", "Webinars", "Events, EMEA", "Nurture Tracks", "Archive 2023",
                   "Partner Marketing", "製品ローンチ", "Content \"Hub\"", "Ops Tests", "Field Marketing", "ABM"]
DESIGN_NAMES = ["Newsletter", "Partner", "Legacy", "Brand 2025", "Campaigns", "お知らせ", "Regional, DACH", "Drafts"]


def generate(seed: int, count: int, anchor_ms: int, hostile: bool) -> list[dict]:
    """Folder-type folder records (with private `_parent`, `_createdMs`, `_updatedMs`), by id."""
    rng = seeded_rng(seed, "folders")
    born = anchor_ms - 720 * DAY_MS  # the instance's creation: system folders and the seeded five
    records: dict[int, dict] = {}

    def add(fid, name, folder_type, parent, workspace, system, description=None, created=born, updated=born):
        records[fid] = {"name": name, "description": description, "createdAt": None, "updatedAt": None,
                        "url": f"{INSTANCE}/#MF{fid}A1" if folder_type == "Marketing Folder" else None,
                        "folderType": folder_type, "isArchive": fid in ARCHIVED, "isSystem": system,
                        "workspace": workspace, "id": fid, "_parent": parent, "_createdMs": created, "_updatedMs": updated}

    add(1, "Marketing Activities", "Zone", None, "Default", True, "Root node for the Marketing Activities app area")
    for workspace, (zone, _) in ZONES.items():
        add(zone, workspace, "Zone", 1, workspace, True, f"Root node of the Marketing activities {workspace}")
    add(2, "Design Studio", "Zone", None, "Default", True, "Root node for the Design Studio app area")
    add(21, "Default", "Zone", 2, "Default", True, "Root node of the Design Studio Default")
    for fid, name, folder_type in DESIGN_TYPES:
        add(fid, name, folder_type, 21, "Default", True)
    add(3, "Lead Database", "Zone", None, "Default", True, "Root node for the Lead Database app area")
    add(31, "Default", "Zone", 3, "Default", True, "Root node of the Lead Database Default")
    for fid, name in FOLDERS:
        add(fid, name, "Marketing Folder", 11, "Default", False, "")
    depth = {fid: _depth(records, fid) for fid in records}
    for fid in range(FIRST_USER_ID, FIRST_USER_ID + count):
        marketing = rng.random() < 0.65
        if marketing:
            parents = [f for f, r in records.items() if (r["folderType"] == "Marketing Folder" or f in (11, 12, 13))]
        else:  # an asset type first (so every Design Studio area gets some), then a folder of that type
            wanted = rng.choice(DESIGN_TYPES)[2]
            parents = [f for f, r in records.items() if r["folderType"] == wanted]
        parents = [f for f in parents if depth[f] < MAX_DEPTH] or [11]
        parent = rng.choice(parents)
        pool = MARKETING_NAMES if marketing else DESIGN_NAMES
        name = rng.choice(pool)
        if any(r["_parent"] == parent and r["name"] == name for r in records.values()):
            name = f"{name} ({fid})"
        created = anchor_ms - rng.randint(2, 700) * DAY_MS - rng.randint(0, 86_399) * 1000
        updated = created if rng.random() < 0.5 else rng.randint(created, anchor_ms - 3_600_000) // 1000 * 1000
        description = c.hostile_or(rng.choice(["", "Owner: Marketing Ops", "Do not delete, \"used by\" reports"]),
                                   rng.randrange(256), hostile)
        folder_type = "Marketing Folder" if marketing else records[parent]["folderType"]
        add(fid, name, folder_type, parent, records[parent]["workspace"], False, description, created, updated)
        depth[fid] = depth[parent] + 1
    return [records[fid] for fid in sorted(records)]


def _depth(records: dict, fid: int) -> int:
    steps = 0
    while records[fid]["_parent"] is not None:
        fid = records[fid]["_parent"]
        steps += 1
    return steps


def containers(records: list[dict], folder_type: str) -> list[dict]:
    """The folders (system and user) that hold assets of one Design Studio folder type."""
    return [r for r in records if r["folderType"] == folder_type]


def program_folder(program: dict) -> dict:
    """A program seen as a folder (type Program), parent its marketing folder."""
    parent = program["folder"]
    return {"name": program["name"], "description": program["description"], "createdAt": program["createdAt"],
            "updatedAt": program["updatedAt"], "url": program["url"], "folderType": PROGRAM_FOLDER_TYPES[program["type"]],
            "isArchive": False, "isSystem": False, "workspace": program["workspace"], "id": program["id"],
            "_parent": parent["value"], "_program": True}


def listing(folder_records: list[dict], programs: list[dict]) -> list[dict]:
    """Every folder (public shape plus private `_key` (id, type) and `_depth`), depth first."""
    children: dict[int, list[dict]] = {}
    for record in folder_records:
        if record["_parent"] is not None:
            children.setdefault(record["_parent"], []).append(record)
    program_children: dict[int, list[dict]] = {}
    for program in programs:
        program_children.setdefault(program["folder"]["value"], []).append(program_folder(program))
    out: list[dict] = []

    def visit(record: dict, path: str, depth: int) -> None:
        is_program = record.get("_program", False)
        own_path = f"{path}/{record['name']}"
        out.append(_public_folder(record, own_path, depth))
        if is_program:
            return
        for child in sorted(children.get(record["id"], []), key=lambda r: r["id"]):
            visit(child, own_path, depth + 1)
        for child in sorted(program_children.get(record["id"], []), key=lambda r: r["id"]):
            visit(child, own_path, depth + 1)

    for root in sorted((r for r in folder_records if r["_parent"] is None), key=lambda r: r["id"]):
        visit(root, "", 0)
    return out


def _public_folder(record: dict, path: str, depth: int) -> dict:
    is_program = record.get("_program", False)
    kind = "Program" if is_program else "Folder"
    parent = record["_parent"]
    return {"name": record["name"], "description": record["description"], "createdAt": record["createdAt"],
            "updatedAt": record["updatedAt"], "url": record["url"], "folderId": {"id": record["id"], "type": kind},
            "folderType": record["folderType"], "parent": None if parent is None else {"id": parent, "type": "Folder"},
            "path": path, "isArchive": record["isArchive"], "isSystem": record["isSystem"],
            "accessZoneId": ZONES.get(record["workspace"], (0, 1))[1], "workspace": record["workspace"],
            "id": record["id"], "_key": (record["id"], kind), "_depth": depth}


def browse(folders: list[dict], root: tuple[int, str] | None, max_depth: int, workspace: str | None) -> list[dict] | None:
    """folders.json: the root and its descendants down to `max_depth` levels below it (0: the root
    alone); without a root, the system roots and `max_depth` levels below them. None: unknown root."""
    if root is None:
        chosen = [f for f in folders if f["_depth"] <= max_depth]
    else:
        start = next((i for i, f in enumerate(folders) if f["_key"] == (root[0], root[1].capitalize())), None)
        if start is None:
            return None
        base = folders[start]["_depth"]
        chosen = [folders[start]]
        for folder in folders[start + 1:]:  # depth first: the subtree is the run of deeper entries after the root
            if folder["_depth"] <= base:
                break
            if folder["_depth"] - base <= max_depth:
                chosen.append(folder)
    if workspace:
        chosen = [f for f in chosen if f["workspace"].lower() == workspace.lower()]
    return chosen

