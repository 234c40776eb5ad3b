"""The custom object types of the instance (EL:custom-objects, EL:bulk-custom-object-extract): three
first-level objects linked to leads by `leadId`, each with a different key shape.

* `car_c` — dedupe `vin` (17 characters); 0-2 per lead;
* `subscription_c` — dedupe `subscriptionId`; 0-1 per lead;
* `purchase_c` — a compound dedupe key `[orderNumber, sku]`; 0-4 per lead.

Describe shapes follow EL's examples and the swagger's ObjectMetaData: `name` (the API name),
`displayName`, `pluralName`, `description`, `createdAt`, `updatedAt`, `idField` (marketoGUID),
`dedupeFields`, `searchableFields`, `relationships[{field, type: "child", relatedTo{name: "Lead",
field: "id"}}]`, `state`, `fields` (createdAt, marketoGUID, updatedAt, then the object's own
fields by name).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class CoField:
    name: str
    display: str
    data_type: str
    length: int | None = None
    updateable: bool = True

    def describe(self) -> dict:
        item = {"name": self.name, "displayName": self.display, "dataType": self.data_type}
        if self.length is not None:
            item["length"] = self.length
        item.update({"updateable": self.updateable, "crmManaged": False})
        return item


SYSTEM_FIELDS = [CoField("createdAt", "Created At", "datetime", None, False),
                 CoField("marketoGUID", "Marketo GUID", "string", 36, False),
                 CoField("updatedAt", "Updated At", "datetime", None, False)]
LINK = CoField("leadId", "Lead ID", "integer")


@dataclass(frozen=True)
class CustomObjectType:
    name: str
    display: str
    plural: str
    description: str
    dedupe: tuple[str, ...]
    own_fields: tuple[CoField, ...]
    per_lead: tuple[int, ...]  # weights of 0, 1, 2, ... records per base lead
    mutable: tuple[str, ...]  # fields a tick may change
    index: int  # 1-based, part of every marketoGUID

    @cached_property
    def fields(self) -> list[CoField]:
        return SYSTEM_FIELDS + sorted((LINK,) + self.own_fields, key=lambda f: f.name.lower())

    @cached_property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def searchable(self) -> list[list[str]]:
        return [list(self.dedupe), ["marketoGUID"], ["leadId"]]

    def describe(self, created: str, updated: str, with_fields: bool = True) -> dict:
        item = {"name": self.name, "displayName": self.display, "pluralName": self.plural,
                "description": self.description, "createdAt": created, "updatedAt": updated,
                "idField": "marketoGUID", "dedupeFields": list(self.dedupe), "searchableFields": self.searchable,
                "relationships": [{"field": "leadId", "type": "child", "relatedTo": {"name": "Lead", "field": "id"}}],
                "state": "approved"}
        if with_fields:
            item["fields"] = [f.describe() for f in self.fields]
        return item

    def schema(self, created: str, updated: str) -> dict:
        """customobjects/schema.json items: `apiName`, `state`, `version` (EL:custom-objects, Custom Object Types)."""
        item = self.describe(created, updated)
        name = item.pop("name")
        return {"state": "approved", "version": "approved", "displayName": item["displayName"],
                "pluralName": item["pluralName"], "description": item["description"], "apiName": name,
                **{k: v for k, v in item.items() if k not in ("displayName", "pluralName", "description", "state")}}


TYPES = [
    CustomObjectType(
        "car_c", "Car", "Cars", "Cars owned by leads", ("vin",),
        (CoField("vin", "VIN", "string", 17), CoField("make", "Make", "string", 255), CoField("model", "Model", "string", 255),
         CoField("year", "Year", "integer"), CoField("color", "Color", "string", 255),
         CoField("purchasePrice", "Purchase Price", "currency"), CoField("purchaseDate", "Purchase Date", "date"),
         CoField("isElectric", "Is Electric", "boolean"), CoField("odometerKm", "Odometer (km)", "float")),
        (45, 35, 20), ("color", "odometerKm", "purchasePrice"), 1),
    CustomObjectType(
        "subscription_c", "Subscription", "Subscriptions", "Product subscriptions, one per account owner",
        ("subscriptionId",),
        (CoField("subscriptionId", "Subscription ID", "string", 36), CoField("plan", "Plan", "string", 255),
         CoField("seats", "Seats", "integer"), CoField("monthlyAmount", "Monthly Amount", "currency"),
         CoField("subscriptionStatus", "Status", "string", 255), CoField("startedAt", "Started At", "datetime"),
         CoField("renewsOn", "Renews On", "date"), CoField("autoRenew", "Auto Renew", "boolean"),
         CoField("notes", "Notes", "text", 2000)),
        (50, 50), ("seats", "subscriptionStatus", "autoRenew", "notes"), 2),
    CustomObjectType(
        "purchase_c", "Purchase", "Purchases", "Web shop order lines", ("orderNumber", "sku"),
        (CoField("orderNumber", "Order Number", "string", 40), CoField("sku", "SKU", "string", 40),
         CoField("quantity", "Quantity", "integer"), CoField("unitPrice", "Unit Price", "currency"),
         CoField("purchasedAt", "Purchased At", "datetime"), CoField("storeChannel", "Store Channel", "string", 255)),
        (30, 25, 20, 15, 10), ("quantity", "storeChannel"), 3),
]
BY_NAME = {item.name: item for item in TYPES}
