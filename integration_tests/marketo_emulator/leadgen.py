"""Lazily generated base leads: every value is a pure function of (seed, lead id).

Each field draws from a pool of up to 256 realistic values built once from the seed, using its own
byte of the lead's 128-byte hash (below the field's null threshold: null; otherwise: which
value). Per field a 256-entry table of pre-rendered CSV cells makes a bulk export of a million
leads cost two hashes and a join per row, with tables small enough to stay in the CPU cache.
Leads are created in id order along a time axis (`timeaxis.py`: evenly spread, or at a rising
rate), with jitter, so "leads created between t1 and t2" is an id range found by arithmetic.
"""
from __future__ import annotations


from operator import itemgetter

from . import content as c
from .csvfmt import cell, quote
from .fields import BY_REST_NAME, REST_FIELDS
from .hashing import SlotSource, seeded_rng
from .timeaxis import TimeAxis
from .timefmt import rest_date, rest_datetime

DAY_MS = 86_400_000
# Percent of nulls per field (everything else is always filled).
NULL_PERCENT = {
    "firstName": 2, "lastName": 1, "middleName": 85, "salutation": 60, "company": 5, "phone": 30,
    "mobilePhone": 50, "fax": 90, "title": 20, "address": 40, "city": 20, "state": 30, "country": 15,
    "postalCode": 30, "website": 50, "annualRevenue": 50, "numberOfEmployees": 40, "industry": 30,
    "leadSource": 10, "leadStatus": 5, "dateOfBirth": 80, "unsubscribedReason": 90, "leadRole": 70,
    "priority": 60, "urgency": 60, "relativeScore": 60, "acquisitionProgramId": 50, "sfdcType": 40,
    "anonymousIP": 70, "industryVertical__c": 30, "favoriteQuote": 40, "billingContactEmail": 50,
    "assistantPhone": 60, "linkedInProfileUrl": 50, "seatCount": 40, "engagementRatio": 40,
    "contractValue": 50, "discountPercent": 60, "productInterestScore": 20, "renewalDate": 50,
    "lastDemoAt": 60, "parentAccountId": 70, "contactCompany": 0,
}
COMPUTED = {"id", "email", "createdAt", "updatedAt", "mktoName", "fullNameFormula"}


class LeadFactory:
    """Base lead values and timestamps for ids 1..n_base (and the same values for later ids)."""

    def __init__(self, seed: int, n_base: int, anchor_ms: int, start_ms: int, hostile: bool,
                 program_ids: list[int], shape: str = "uniform") -> None:
        self.n_base = n_base
        self.end_ms = anchor_ms - 3_600_000  # the newest base lead is an hour old
        self.start_ms = start_ms
        self.axis = TimeAxis(start_ms, self.end_ms, n_base, shape)
        self.anchor_ms = anchor_ms
        self._slots_a = SlotSource(seed, "lead-a")
        self._slots_b = SlotSource(seed, "lead-b")
        self._slot_of: dict[str, int] = {}
        self._pools: dict[str, list] = {}
        self._null_threshold: dict[str, int] = {}
        self._csv_pools: dict[tuple[str, str], list[str]] = {}
        self._build_pools(seed, hostile, program_ids)

    # -- pools -------------------------------------------------------------------------------
    def _build_pools(self, seed: int, hostile: bool, program_ids: list[int]) -> None:
        next_slot = 4  # bytes 0-1: creation jitter, bytes 2-3: update fraction
        for item in REST_FIELDS:
            if item.rest in COMPUTED:
                continue
            rng = seeded_rng(seed, "pool", item.rest)
            pool = self._pool_for(item.rest, item.data_type, rng, program_ids)
            if hostile and item.data_type in ("string", "text"):
                # Every hostile string is in every text pool, about a third of the draws.
                pool = (pool * 2)[: 256 - len(c.HOSTILE_STRINGS)] + list(c.HOSTILE_STRINGS)
            self._pools[item.rest] = pool
            self._slot_of[item.rest] = next_slot
            self._null_threshold[item.rest] = NULL_PERCENT.get(item.rest, 0) * 256 // 100
            next_slot += 1

    def _pool_for(self, name: str, dtype: str, rng, program_ids: list[int]) -> list:
        named = {
            "firstName": c.FIRST_NAMES, "lastName": c.LAST_NAMES, "company": c.COMPANIES, "title": c.TITLES,
            "city": c.CITIES, "state": [s for s in c.STATES if s], "country": c.COUNTRIES, "address": c.STREETS,
            "industry": c.INDUSTRIES, "leadSource": c.LEAD_SOURCES, "leadStatus": c.LEAD_STATUSES,
            "industryVertical__c": c.VERTICALS, "favoriteQuote": c.QUOTES, "unsubscribedReason": c.QUOTES,
            "salutation": ["Mr.", "Ms.", "Dr.", "Mx."], "middleName": ["A.", "J.", "Marie", "Lee", "Q."],
            "leadRole": ["Decision Maker", "Influencer", "Evaluator"], "personType": ["contact"],
            "sfdcType": ["Lead", "Contact"], "leadPartitionId": [1, 1, 1, 2],
            "originalSourceType": ["Web form fillout", "List import", "Web service API", "New lead"],
            "acquisitionProgramId": program_ids or [None],
        }
        if name in named:
            return list(named[name])
        return [self._random_value(name, dtype, rng) for _ in range(256)]

    def _random_value(self, name: str, dtype: str, rng):
        if dtype in ("phone",):
            return f"+1 ({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
        if dtype == "email":
            return f"billing+{rng.randint(1, 99999)}@{rng.choice(c.DOMAINS)}"
        if dtype == "url":
            return f"https://www.{rng.choice(['acme', 'globex', 'initech', 'hooli'])}.example/{rng.choice(['', 'about', 'in/p?id=7'])}"
        if dtype in ("integer", "score", "percent"):
            upper = {"leadScore": 200, "percent": 100, "numberOfEmployees": 50000, "seatCount": 5000}
            return rng.randint(0, upper.get(name, upper.get(dtype, 1000)))
        if dtype == "reference":
            return rng.randint(1000, 99999)
        if dtype == "float":
            return round(rng.uniform(0, 1), 4)
        if dtype == "currency":
            return round(rng.uniform(1000, 5_000_000), 2)
        if dtype == "boolean":
            return rng.random() < 0.2
        if dtype == "date":
            return rest_date(self.anchor_ms - rng.randint(-400, 20000) * DAY_MS)
        if dtype == "datetime":
            return rest_datetime(self.anchor_ms - rng.randint(3600, 400 * 86400) * 1000)
        if name == "postalCode":
            return rng.choice([f"{rng.randint(10000, 99999)}", f"{rng.randint(10000, 99999)}-{rng.randint(1000, 9999)}", "SW1A 1AA", "100-0005"])
        if name == "anonymousIP":
            return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        return rng.choice(c.QUOTES + c.COMPANIES)

    # -- timestamps --------------------------------------------------------------------------
    def slots(self, lead_id: int) -> bytes:
        return self._slots_a.digest(lead_id) + self._slots_b.digest(lead_id)

    def created_ms(self, lead_id: int, slots: bytes | None = None) -> int:
        slots = slots or self._slots_a.digest(lead_id)
        jitter = (slots[0] | slots[1] << 8) / 65536.0
        return int(self.axis.instant(lead_id - 1 + jitter)) // 1000 * 1000

    def updated_ms(self, lead_id: int, created: int, slots: bytes | None = None) -> int:
        slots = slots or self._slots_a.digest(lead_id)
        fraction = slots[2] | slots[3] << 8
        if fraction < 20000:  # about 30% of leads were never updated after creation
            return created
        return created + int((self.end_ms - created) * (fraction - 20000) / 45536) // 1000 * 1000

    def first_id_created_at_or_after(self, ms: int) -> int:
        """Smallest base id whose createdAt >= ms (n_base + 1 when none)."""
        return 1 + self.axis.first_at_or_after(ms, lambda index: self.created_ms(index + 1))

    def created_by(self, ms: int) -> int:
        """How many base leads (ids 1..k) were certainly created at or before `ms`."""
        return self.axis.whole_before(ms)

    # -- values ------------------------------------------------------------------------------
    def value(self, lead_id: int, name: str, slots) -> object:
        slot = slots[self._slot_of[name]]
        if slot < self._null_threshold[name]:
            return None
        pool = self._pools[name]
        return pool[slot % len(pool)]

    def email(self, lead_id: int, slots) -> str:
        first = c.ASCII_FIRST[slots[self._slot_of["firstName"]] % len(c.ASCII_FIRST)]
        last = c.ASCII_LAST[slots[self._slot_of["lastName"]] % len(c.ASCII_LAST)]
        return f"{first}.{last}.{lead_id}@{c.DOMAINS[lead_id % len(c.DOMAINS)]}"

    def record(self, lead_id: int, created: int | None = None) -> dict:
        """All REST fields of the base version of a lead (typed as the REST API returns them)."""
        slots = self.slots(lead_id)
        created = self.created_ms(lead_id, slots) if created is None else created
        out = {name: self.value(lead_id, name, slots) for name in self._pools}
        out["id"] = lead_id
        out["email"] = self.email(lead_id, slots)
        out["createdAt"] = rest_datetime(created)
        out["updatedAt"] = rest_datetime(self.updated_ms(lead_id, created, slots) if lead_id <= self.n_base else created)
        return finish_computed(out)

    # -- fast CSV ----------------------------------------------------------------------------
    def csv_plan(self, names: list[str], delimiter: str) -> "CsvPlan":
        """Per pooled column a 256-entry table (slot byte -> rendered cell); computed columns apart.

        With the tables, rendering a row is two C-level calls (itemgetter + map): the hot loop of a
        million-lead export does no per-column Python work.
        """
        slot_indices, tables, computed = [], [], []
        for position, name in enumerate(names):
            if name in self._pools:
                slot_indices.append(self._slot_of[name])
                tables.append(self._table(name, delimiter))
            else:
                computed.append((position, name))
        return CsvPlan(slot_indices, tables, computed)

    def _table(self, name: str, delimiter: str) -> list[str]:
        key = (name, delimiter)
        if key not in self._csv_pools:
            rendered = [cell(v, delimiter) for v in self._pools[name]]
            threshold, size = self._null_threshold[name], len(rendered)
            self._csv_pools[key] = [rendered[s % size] if s >= threshold else "null" for s in range(256)]
        return self._csv_pools[key]

    def csv_cells(self, lead_id: int, plan: "CsvPlan", delimiter: str) -> list[str]:
        slots = self.slots(lead_id)
        cells = list(map(list.__getitem__, plan.tables, plan.getter(slots))) if plan.tables else []
        if plan.computed:
            values = self._computed(lead_id, slots)
            for position, name in plan.computed:
                value = values[name]
                cells.insert(position, "null" if value is None else quote(str(value), delimiter))
        return cells

    def _computed(self, lead_id: int, slots) -> dict:
        created = self.created_ms(lead_id, slots)
        first, last = self.value(lead_id, "firstName", slots), self.value(lead_id, "lastName", slots)
        return {
            "id": lead_id, "email": self.email(lead_id, slots), "createdAt": rest_datetime(created),
            "updatedAt": rest_datetime(self.updated_ms(lead_id, created, slots)),
            "mktoName": full_name(first, last), "fullNameFormula": formula_value(first, last),
        }


class CsvPlan:
    """Column plan of one export (see LeadFactory.csv_plan)."""

    __slots__ = ("tables", "computed", "getter")

    def __init__(self, slot_indices: list[int], tables: list, computed: list) -> None:
        self.tables = tables
        self.computed = computed
        if len(slot_indices) == 1:  # itemgetter with one key returns a scalar, not a tuple
            only = slot_indices[0]
            self.getter = lambda slots: (slots[only],)
        else:
            self.getter = itemgetter(*slot_indices) if slot_indices else (lambda slots: ())


def full_name(first, last) -> str | None:
    parts = [part for part in (first, last) if part]
    return " ".join(parts) if parts else None


def formula_value(first, last) -> str:
    return f"{last or ''}, {first or ''}".strip(", ")


def finish_computed(record: dict) -> dict:
    """Recompute the fields Marketo derives from others (name, formula)."""
    record["mktoName"] = full_name(record.get("firstName"), record.get("lastName"))
    record["fullNameFormula"] = formula_value(record.get("firstName"), record.get("lastName"))
    return record


def field_type(name: str) -> str:
    return BY_REST_NAME[name].data_type


