"""Admin endpoints under `/_emulator/...`: the Python API over HTTP for tests in other processes
(the connector's Docker and CLI tests). Never counted, never journaled, clearly apart from the API.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qsl

PREFIX = "/_emulator"


def dispatch(emulator, method: str, path: str, query: str, body: bytes) -> tuple[int, object]:
    params = dict(parse_qsl(query, keep_blank_values=True))
    try:
        data = json.loads(body.decode("utf-8")) if body else {}
    except ValueError:
        return 400, {"error": "body must be JSON"}
    sub = path[len(PREFIX):].rstrip("/") or "/"
    try:
        if sub.startswith("/truth"):
            return 200, _truth(emulator, sub[len("/truth"):], params)
        handler = ROUTES.get((method, sub))
        if handler is None:
            return 404, {"error": f"no admin endpoint {method} {path}", "endpoints": sorted(f"{m} {PREFIX}{p}" for m, p in ROUTES)}
        return 200, handler(emulator, data, params)
    except (KeyError, ValueError, TypeError) as error:
        return 400, {"error": str(error)}


def _truth(emulator, sub: str, params: dict):
    truth = emulator.truth
    if sub == "/leads":
        return truth.leads()
    if sub.startswith("/leads/"):
        return truth.lead(int(sub.rsplit("/", 1)[1]))
    if sub.startswith("/assets/"):
        return truth.assets(sub.rsplit("/", 1)[1])
    if sub.startswith("/program/"):
        return truth.program(int(sub.rsplit("/", 1)[1]))
    if sub.startswith("/form_fields/"):
        return truth.form_fields(int(sub.rsplit("/", 1)[1]), params.get("status"))
    if sub == "/program_members" or sub.startswith("/program_members/"):
        tail = sub[len("/program_members"):].strip("/")
        return truth.program_members(int(tail) if tail else None)
    if sub.startswith("/list_members/"):
        return truth.list_members(int(sub.rsplit("/", 1)[1]))
    if sub.startswith("/custom_objects/"):
        return truth.custom_objects(sub.rsplit("/", 1)[1])
    if sub.startswith("/tokens/"):
        return truth.tokens(int(sub.rsplit("/", 1)[1]))
    if sub == "/activities":
        type_ids = [int(t) for t in params.get("type_ids", "").split(",") if t.strip()] or None
        return truth.activities(type_ids, params.get("since"), params.get("until"))
    if sub == "/changed_since":
        return truth.changed_since(params["ts"])
    simple = {"/deleted_leads": truth.deleted_leads, "/merged_leads": truth.merged_leads,
              "/activity_types": truth.activity_types, "/lists": truth.lists, "/campaigns": truth.campaigns,
              "/companies": truth.companies, "/opportunities": truth.opportunities,
              "/opportunity_roles": truth.opportunity_roles}
    if sub in simple:
        return simple[sub]()
    raise KeyError(f"unknown truth endpoint {sub}")


def _faults_add(emulator, data, params):
    rules = data if isinstance(data, list) else [data]
    return [emulator.faults.add(rule).to_dict() for rule in rules]


def _journal(emulator, data, params):
    entries = emulator.journal.to_list(int(params.get("since", 0)))
    if params.get("endpoint"):
        entries = [e for e in entries if params["endpoint"] in (e["endpoint"], e["path"])]
    if params.get("counted") in ("true", "false"):
        entries = [e for e in entries if e["counted"] == (params["counted"] == "true")]
    return entries


def _consume(emulator, data, params):
    if data.get("calls"):
        emulator.consume_calls(int(data["calls"]))
    if data.get("export_mb"):
        emulator.consume_export_mb(float(data["export_mb"]))
    if data.get("queue_slots"):
        emulator.occupy_queue(int(data["queue_slots"]))
    return emulator.usage


ROUTES = {
    ("GET", "/health"): lambda e, d, p: {"ok": True},
    ("GET", "/info"): lambda e, d, p: e.info(),
    ("POST", "/reset"): lambda e, d, p: (e.reset(), e.info())[1],
    ("POST", "/tick"): lambda e, d, p: e.tick(**d),
    ("GET", "/clock"): lambda e, d, p: {"now": e.clock.now().isoformat()},
    ("POST", "/clock/advance"): lambda e, d, p: {"now": e.clock.advance(float(d.get("seconds", 0))).isoformat()},
    ("GET", "/faults"): lambda e, d, p: [r.to_dict() for r in e.faults.rules],
    ("POST", "/faults"): _faults_add,
    ("DELETE", "/faults"): lambda e, d, p: (e.faults.clear(), [])[1],
    ("GET", "/journal"): _journal,
    ("DELETE", "/journal"): lambda e, d, p: (e.journal.clear(), [])[1],
    ("GET", "/jobs"): lambda e, d, p: e.jobs,
    ("GET", "/usage"): lambda e, d, p: e.usage,
    ("GET", "/occupancy"): lambda e, d, p: e.occupancy(p.get("client_id")),
    ("POST", "/consume"): _consume,
    ("POST", "/release_queue"): lambda e, d, p: {"released": e.release_queue()},
}
