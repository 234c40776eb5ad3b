"""Custom object records: pure functions of (seed, object, lead, ordinal), generated on demand.

How many records of an object a base lead has (0..) comes from one hashed byte of the lead id; the
values of record (lead, ordinal) from a digest of `lead * 16 + ordinal`, so a million records cost
no memory. Keys are reversible, so a lookup by marketoGUID or dedupe key finds its record without
a scan: the last group of every marketoGUID spells (object, lead, ordinal); `vin` ends with
`lead * 16 + ordinal` in base 33, `subscriptionId` and `orderNumber` carry it in digits.

Changes are overlays (`CoState`): a tick edits a record (the whole new record kept) or creates one
for a live lead (the next ordinal). A deleted lead's records are gone; a merged loser's records
belong to the winner (leadId = winner, marketoGUID unchanged).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import content as c
from .customobjectdefs import CustomObjectType
from .hashing import SlotSource
from .timefmt import rest_date, rest_datetime

DAY_MS = 86_400_000
MAX_ORDINALS = 16
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O, Q
WMI = ["5YJ", "1HG", "WBA", "JTD", "WVW", "KMH", "SAL", "JN1"]
CARS = [("Tesla", "Model 3", True), ("Tesla", "Model Y", True), ("Honda", "Civic", False), ("BMW", "330i", False),
        ("Toyota", "Prius", False), ("Volkswagen", "ID.4", True), ("Hyundai", "Ioniq 5", True), ("Land Rover", "Defender", False),
        ("Nissan", "Leaf", True), ("Toyota", "Corolla, Hybrid", False)]
COLORS = ["Pearl White", "Midnight Silver Metallic", "Fusion Red", "Black", "\"Deep\" Blue", None]
PLANS = [("Starter", 9.0), ("Team", 19.0), ("Business", 39.0), ("Enterprise", 79.5)]
SUBSCRIPTION_STATUSES = ["active", "active", "trialing", "past_due", "canceled"]
SKUS = ["SKU-1001-BLK", "SKU-2040", "GIFT-CARD-50", "SKU-77, bundle", "ＳＫＵ-全角"]
STORE_CHANNELS = ["web", "mobile app", "marketplace", None]


# Keys spell (lead, ordinal) through an invertible scramble, so they look random but decode exactly.
VIN_SPACE, VIN_MULT = 33 ** 8, 2_654_435_761
GUID_SPACE, GUID_MULT = 1 << 48, 0x9E3779B97F4B
VIN_INVERSE, GUID_INVERSE = pow(VIN_MULT, -1, VIN_SPACE), pow(GUID_MULT, -1, GUID_SPACE)


def _base33(number: int, width: int) -> str:
    out = []
    for _ in range(width):
        number, digit = divmod(number, 33)
        out.append(VIN_ALPHABET[digit])
    return "".join(reversed(out))


class CoFactory:
    """Base records of base leads, per object type."""

    def __init__(self, seed: int, types: list[CustomObjectType], lead_factory, anchor_ms: int, hostile: bool) -> None:
        self.types = {t.name: t for t in types}
        self.leads = lead_factory
        self.n_base = lead_factory.n_base
        self.end_ms = anchor_ms - 3_600_000
        self.hostile = hostile
        self._counts = {t.name: SlotSource(seed, f"co-count-{t.name}") for t in types}
        self._values = {t.name: SlotSource(seed, f"co-{t.name}") for t in types}
        self._count_tables = {}
        for t in types:
            table = [n for n, weight in enumerate(t.per_lead) for _ in range(weight)]
            self._count_tables[t.name] = [table[b * len(table) // 256] for b in range(256)]

    def base_count(self, name: str, lead_id: int) -> int:
        if not 1 <= lead_id <= self.n_base:
            return 0
        return self._count_tables[name][self._counts[name].digest(lead_id)[0]]

    def lead_created(self, lead_id: int) -> int:
        return self.leads.created_ms(lead_id) if lead_id <= self.n_base else self.end_ms - DAY_MS

    def record(self, name: str, lead_id: int, ordinal: int, shown_id: int | None = None,
               lead_created: int | None = None) -> dict:
        """Record (lead, ordinal) in REST shape, every field in describe order."""
        t = self.types[name]
        d = self._values[name].digest(lead_id * MAX_ORDINALS + ordinal)
        if lead_created is None:
            lead_created = self.lead_created(lead_id)
        start = min(lead_created + 60_000, self.end_ms - 1000)
        created = (start + (self.end_ms - start) * (d[0] | d[1] << 8) // 65536) // 1000 * 1000
        updated = created if d[2] < 102 else (created + (self.end_ms - created) * (d[3] | d[4] << 8) // 65536) // 1000 * 1000
        values = {"createdAt": rest_datetime(created), "marketoGUID": self.guid(t, lead_id, ordinal, d),
                  "updatedAt": rest_datetime(updated), "leadId": lead_id if shown_id is None else shown_id}
        values.update(getattr(self, "_" + name)(lead_id, ordinal, d, created))
        return {name: values.get(name) for name in t.field_names}

    @staticmethod
    def guid(t: CustomObjectType, lead_id: int, ordinal: int, d: bytes) -> str:
        h = d[5:15].hex()
        tail = ((t.index << 44) | (lead_id << 8) | ordinal) * GUID_MULT % GUID_SPACE
        tail = (tail ^ tail >> 24) * GUID_MULT % GUID_SPACE  # stir the halves into each other (invertible)
        return f"{h[:8]}-{h[8:12]}-4{h[12:15]}-{'89ab'[d[15] % 4]}{h[15:18]}-{tail:012x}"

    def _text(self, value, slot: int):
        return c.hostile_or(value, slot, self.hostile)

    def _car_c(self, lead_id, ordinal, d, created) -> dict:
        make, model, electric = CARS[d[23] % len(CARS)]
        vin = WMI[d[16] % len(WMI)] + "".join(VIN_ALPHABET[b % 33] for b in d[17:23]) + _base33((lead_id * MAX_ORDINALS + ordinal) * VIN_MULT % VIN_SPACE, 8)
        return {"vin": vin, "make": make, "model": model, "year": 2008 + d[24] % 17, "color": COLORS[d[25] % len(COLORS)],
                "purchasePrice": round(15000 + (d[26] | d[27] << 8) * 85000 / 65536, 2),
                "purchaseDate": rest_date(created - (d[28] % 30) * DAY_MS), "isElectric": electric,
                "odometerKm": round((d[29] | d[30] << 8) * 3.1, 1)}

    def _subscription_c(self, lead_id, ordinal, d, created) -> dict:
        plan, price = PLANS[d[16] % len(PLANS)]
        seats = 1 + d[17] % 200
        return {"subscriptionId": f"SUB-{lead_id:07d}-{ordinal:02d}", "plan": plan, "seats": seats,
                "monthlyAmount": round(seats * price, 2), "subscriptionStatus": SUBSCRIPTION_STATUSES[d[18] % 5],
                "startedAt": rest_datetime(created), "renewsOn": rest_date(created + (30 + d[19] % 336) * DAY_MS),
                "autoRenew": d[20] < 180, "notes": self._text(c.QUOTES[d[21] % len(c.QUOTES)], d[22]) if d[23] < 100 else None}

    def _purchase_c(self, lead_id, ordinal, d, created) -> dict:
        return {"orderNumber": f"WEB-{lead_id * MAX_ORDINALS + ordinal:010d}", "sku": SKUS[d[16] % len(SKUS)],
                "quantity": 1 + d[17] % 5, "unitPrice": round(5 + (d[18] | d[19] << 8) * 495 / 65536, 2),
                "purchasedAt": rest_datetime(created), "storeChannel": STORE_CHANNELS[d[20] % len(STORE_CHANNELS)]}

    # -- keys --------------------------------------------------------------------------------
    def origin(self, name: str, key_field: str, value) -> tuple[int, int] | None:
        """(lead, ordinal) a key value was made for, or None (the caller checks the record still has it)."""
        text = str(value).strip()
        try:
            if key_field == "marketoGUID":
                tail = text.rsplit("-", 1)[-1]
                if len(tail) != 12:
                    return None
                mixed = int(tail, 16) * GUID_INVERSE % GUID_SPACE
                value = (mixed ^ mixed >> 24) * GUID_INVERSE % GUID_SPACE
                if value >> 44 != self.types[name].index:
                    return None
                return (value >> 8) & ((1 << 36) - 1), value & 0xFF
            if key_field == "vin" and len(text) == 17:
                number = 0
                for char in text[-8:]:
                    number = number * 33 + VIN_ALPHABET.index(char)
                return divmod(number * VIN_INVERSE % VIN_SPACE, MAX_ORDINALS)
            if key_field == "subscriptionId" and text.startswith("SUB-"):
                lead, ordinal = text[4:].split("-")
                return int(lead), int(ordinal)
            if key_field == "orderNumber" and text.startswith("WEB-"):
                return divmod(int(text[4:]), MAX_ORDINALS)
        except ValueError:
            return None
        return None


@dataclass
class CoState:
    changes: dict[tuple[str, int, int], dict] = field(default_factory=dict)  # (object, lead, ordinal) -> record
    extra: dict[tuple[str, int], int] = field(default_factory=dict)  # (object, lead) -> records ticks created

    def copy(self) -> "CoState":
        return CoState(dict(self.changes), dict(self.extra))


class CoView:
    """Records as of one state and one lead view."""

    def __init__(self, factory: CoFactory, state: CoState, leads) -> None:
        self.factory = factory
        self.state = state
        self.leads = leads

    @property
    def types(self) -> dict[str, CustomObjectType]:
        return self.factory.types

    def total(self, name: str, lead_id: int) -> int:
        return self.factory.base_count(name, lead_id) + self.state.extra.get((name, lead_id), 0)

    def _own(self, name: str, lead_id: int, shown_id: int) -> list[dict]:
        total = self.total(name, lead_id)
        if not total:
            return []
        out, created = [], self.factory.lead_created(lead_id)  # once per lead, not per record
        for ordinal in range(total):
            changed = self.state.changes.get((name, lead_id, ordinal))
            out.append(dict(changed, leadId=shown_id) if changed else
                       self.factory.record(name, lead_id, ordinal, shown_id, created))
        return out

    def records_of(self, name: str, lead_id: int, losers_of=None) -> list[dict]:
        """The records linked to a live lead now: its own, then those of leads merged into it."""
        if not self.leads.is_live(lead_id):
            return []
        out = self._own(name, lead_id, lead_id)
        for loser in (self._losers_of() if losers_of is None else losers_of).get(lead_id, ()):
            out += self._own(name, loser, lead_id)
        return out

    def _losers_of(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for loser in sorted(self.leads.state.merged):
            out.setdefault(self.leads.resolve(loser), []).append(loser)
        return out

    def for_leads(self, name: str, lead_ids):
        """Records of the given live leads, lead by lead (ascending as given)."""
        losers_of = self._losers_of()
        for lead_id in lead_ids:
            yield from self.records_of(name, lead_id, losers_of)

    def all(self, name: str):
        return self.for_leads(name, self.leads.live_ids())

    def by_origin(self, name: str, lead_id: int, ordinal: int) -> dict | None:
        """The record made as (lead, ordinal), as it is now (under the lead that owns it now)."""
        if not 1 <= lead_id <= self.leads.max_id or ordinal >= self.total(name, lead_id):
            return None
        owner = self.leads.resolve(lead_id)
        if not self.leads.is_live(owner):
            return None
        changed = self.state.changes.get((name, lead_id, ordinal))
        return dict(changed, leadId=owner) if changed else self.factory.record(name, lead_id, ordinal, owner)


class CoStore(CoView):
    def __init__(self, factory: CoFactory, leads) -> None:
        super().__init__(factory, CoState(), leads)

    def snapshot(self, leads) -> CoView:
        return CoView(self.factory, self.state.copy(), leads)

    def update(self, name: str, lead_id: int, ordinal: int, changes: dict, at_ms: int) -> dict:
        record = dict(self.state.changes.get((name, lead_id, ordinal)) or self.factory.record(name, lead_id, ordinal))
        record.update(changes, updatedAt=rest_datetime(at_ms))
        self.state.changes[(name, lead_id, ordinal)] = record
        return record

    def create(self, name: str, lead_id: int, at_ms: int) -> dict | None:
        """A new record for a live lead (values generated, created now); None when the lead has the most."""
        ordinal = self.total(name, lead_id)
        if ordinal >= MAX_ORDINALS:
            return None
        record = self.factory.record(name, lead_id, ordinal)
        record.update(createdAt=rest_datetime(at_ms), updatedAt=rest_datetime(at_ms))
        self.state.changes[(name, lead_id, ordinal)] = record
        self.state.extra[(name, lead_id)] = self.state.extra.get((name, lead_id), 0) + 1
        return record
