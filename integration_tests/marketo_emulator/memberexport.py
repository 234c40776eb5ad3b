"""Bulk program member export files (EL:bulk-program-member-extract; marketo-api.md §6.2, §7.3).

Columns are the requested fields in order (program member fields and lead fields), with a leading
`programId` column when the job named `programIds`. Program member booleans are `1`/`0` (the one
real file, EMB's program_members_extract.csv; EL's own example shows `false`: `options
program_member_export_booleans="words"` gives that); lead fields are rendered as in lead exports.
Rows: program by program in the order given, members by lead id.

The hot path never builds a record: per program and field a small function maps the member's
digest bytes (or its dates, computed once per row) to a rendered cell, with the cells of every
value a byte can pick rendered once per file.
"""
from __future__ import annotations

from typing import Iterator

from . import csvfmt
from .exporter import write_rows
from .memberfields import BOOLEAN_FIELDS
from .memberfields import BY_NAME as MEMBER_FIELDS
from .programmembers import REASONS, REFERRALS, TRACKS, MemberView, ProgramProfile
from .timefmt import parse_input, rest_datetime


def export_program_members(path: str, members: MemberView, spec: dict, fields: list[str], headers: dict[str, str],
                           delimiter: str, digits: bool = True) -> "ExportFile":
    names = (["programId"] if spec["withProgramColumn"] else []) + list(fields)
    leads = members.leads
    lead_names = [name for name in names if name not in MEMBER_FIELDS]
    lead_plan = leads.factory.csv_plan(lead_names, delimiter) if lead_names else None
    keep = _filter(spec)

    def rows() -> Iterator[str]:
        for program_id in spec["programIds"]:
            profile = members.profiles[program_id]
            getters = [_getter(profile, name, delimiter, digits) if name in MEMBER_FIELDS else None for name in names]
            factory = members.factory
            for lead_id, kind, source in members.lead_ids(program_id):
                if kind == "overlay":
                    record = dict(members.state.changes[(program_id, source)], leadId=lead_id)
                    if keep is not None and not keep(record):
                        continue
                    member_cells = [_cell(record[name], name, delimiter, digits) if g is not None else None
                                    for name, g in zip(names, getters)]
                else:
                    d = profile.slots.digest(source)
                    membership, updated = factory.times(profile, d, leads.factory.created_ms(source))
                    if keep is not None and not keep(_light_record(factory, profile, d, membership, updated)):
                        continue
                    row = (d, membership, updated, lead_id, source)
                    member_cells = [g(row) if g is not None else None for g in getters]
                if lead_plan is not None:
                    lead_cells = iter(_lead_cells(leads, lead_id, lead_plan, lead_names, delimiter))
                    member_cells = [cell if cell is not None else next(lead_cells) for cell in member_cells]
                yield delimiter.join(member_cells)

    return write_rows(path, names, headers, delimiter, rows())


def _lead_cells(leads, lead_id: int, plan, lead_names: list[str], delimiter: str) -> list[str]:
    if leads.is_plain(lead_id):
        return leads.factory.csv_cells(lead_id, plan, delimiter)
    record = leads.record(lead_id)
    return [csvfmt.cell(record.get(name), delimiter) for name in lead_names]


def _cell(value, name: str, delimiter: str, digits: bool) -> str:
    if digits and name in BOOLEAN_FIELDS and isinstance(value, bool):
        return "1" if value else "0"
    return csvfmt.cell(value, delimiter)


def _filter(spec: dict):
    """A predicate on (light) records for the optional filters, or None when there are none."""
    tests = []
    if "isExhausted" in spec:
        tests.append(lambda r, v=spec["isExhausted"]: r["isExhausted"] == v)
    if "nurtureCadence" in spec:
        tests.append(lambda r, v=spec["nurtureCadence"]: r["nurtureCadence"] == v)
    if "statusNames" in spec:
        tests.append(lambda r, v=frozenset(spec["statusNames"]): r["statusName"] in v)
    if "updatedAt" in spec:
        window = spec["updatedAt"]
        tests.append(lambda r, a=window["startMs"], b=window["endMs"]: a <= _ms(r["updatedAt"]) <= b)
    if not tests:
        return None
    return lambda record: all(test(record) for test in tests)


def _ms(value) -> int:
    return value if isinstance(value, int) else parse_input(value)


def _light_record(factory, profile: ProgramProfile, d: bytes, membership: int, updated: int) -> dict:
    """The fields the filters read, without rendering anything."""
    return {"isExhausted": profile.engagement and d[7] < 26,
            "nurtureCadence": ("paus" if d[8] < 40 else "norm") if profile.engagement else None,
            "statusName": factory.status(profile, d)[0], "updatedAt": updated}


def _getter(profile: ProgramProfile, name: str, delimiter: str, digits: bool):
    """row (digest, membershipDate ms, updatedAt ms, shown lead id, source lead id) -> the cell of `name`."""
    cell = lambda value: _cell(value, name, delimiter, digits)  # noqa: E731
    null = "null"
    statuses = [profile.statuses[i] for i in profile.status_table]  # byte -> (name, step, success)
    if name in ("createdAt", "membershipDate"):
        return lambda row: rest_datetime(row[1])
    if name == "updatedAt":
        return lambda row: rest_datetime(row[2])
    if name == "leadId":
        return lambda row: str(row[3])
    if name in ("program", "programId"):
        constant = cell(profile.name if name == "program" else profile.id)
        return lambda row: constant
    if name == "reachedSuccessDate":
        return lambda row: (rest_datetime(row[1] + (row[2] - row[1]) * row[0][21] // 255 // 1000 * 1000)
                            if statuses[row[0][2]][2] else null)
    if name in ("attendanceLikelihood", "registrationLikelihood"):
        if not profile.event:
            return lambda row: null
        slot = 11 if name == "attendanceLikelihood" else 12
        return lambda row: str(row[0][slot] % 101) if row[0][23] >= 77 else null
    if name == "waitlistPriority":
        return lambda row: str(1 + row[0][13] % 50) if statuses[row[0][2]][0] == "Waitlisted" else null
    if name in ("registrationCode", "webinarUrl"):
        if not profile.webinar:
            return lambda row: null

        def code(row) -> str:
            value = row[0][14:18].hex().upper() + f"-{row[4]}"
            return value if name == "registrationCode" else cell(
                f"https://webinars.example.com/j/{profile.id}?code={value}&lang=en")
        return code
    slot, table = _byte_table(profile, name, statuses)
    rendered = [cell(value) for value in table]
    return lambda row: rendered[row[0][slot]]


def _byte_table(profile: ProgramProfile, name: str, statuses: list) -> tuple[int, list]:
    """(digest byte, value for each of its 256 values) of the fields one byte decides."""
    engagement = profile.engagement
    tables = {
        "acquiredBy": (3, [b < 90 for b in range(256)]),
        "isExhausted": (7, [engagement and b < 26 for b in range(256)]),
        "nurtureCadence": (8, [("paus" if b < 40 else "norm") if engagement else None for b in range(256)]),
        "reachedSuccess": (2, [s[2] for s in statuses]),
        "statusName": (2, [s[0] for s in statuses]),
        "statusReason": (10, [REASONS[b % len(REASONS)] for b in range(256)]),
        "trackName": (9, [TRACKS[b % len(TRACKS)] if engagement else None for b in range(256)]),
        "pmReferralSource": (18, [REFERRALS[b % len(REFERRALS)] if b >= 102 else None for b in range(256)]),
        "pmSeatsRequested": (19, [1 + b % 10 if b >= 128 else None for b in range(256)]),
        "pmVipAttendee": (20, [b < 38 for b in range(256)]),
    }
    return tables[name]
