"""``check``: authenticate and make one cheap call that needs read permissions.

``activities/types.json`` needs the API user's read permission (so 603 shows up), costs one call,
and lets us verify the configured activity type ids exist on the instance.
"""

from __future__ import annotations

from source_marketo.components.metadata import activity_types, validate_activity_type_ids, validate_custom_lead_fields, lead_fields
from source_marketo.components.runtime import MarketoRuntime


def check_connection(runtime: MarketoRuntime) -> None:
    """Raise an AirbyteTracedException with a plain message when the connection cannot work."""
    types = activity_types(runtime)
    validate_activity_type_ids(runtime.settings, types)
    if runtime.settings.custom_lead_fields:
        validate_custom_lead_fields(runtime.settings, lead_fields(runtime))
