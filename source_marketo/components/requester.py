"""MarketoRequester: the declarative streams' requester, sending through the run's MarketoClient.

The CDK's HttpRequester would give each stream its own HTTP client, token and retry rules; Marketo's
limits are per instance (marketo-api.md 3.1), so every call of a run must share them. This
requester keeps the CDK's interpolation of path and request options and hands the call to the
shared client (errors classified in errors.py, budgets in budget.py).

``skip_when_missing``: a substream's parent can vanish between its listing and the read of its
children (a static list deleted mid-sync: Marketo answers 1013). The reply then reads as an empty
last page, with a warning, instead of failing the stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Union

import requests

from airbyte_cdk.sources.declarative.requesters.http_requester import HttpRequester
from airbyte_cdk.sources.declarative.requesters.request_options.interpolated_request_options_provider import (
    InterpolatedRequestOptionsProvider,
)
from airbyte_cdk.sources.types import StreamSlice, StreamState

from source_marketo.components.errors import Action
from source_marketo.components.runtime import runtime_of


# Read by two streams each (lead_activity_types and lead_activity_type_attributes; segmentation and
# the parent listing of segments; lists and that of list_members; channels and
# channel_progression_statuses): one call serves both.
UNCHANGING_WITHIN_A_RUN = frozenset({
    "/rest/v1/activities/types.json",
    "/rest/v1/lists.json",  # lists and the parent listing of list_members
    "/rest/asset/v1/segmentation.json",
    "/rest/asset/v1/channels.json",
})


@dataclass
class MarketoRequester(HttpRequester):
    # A custom requester gets only its class's fields from the manifest: ``request_parameters`` (interpolated,
    # as the HttpRequester's of the manifest) is declared here, or it would be dropped.
    request_parameters: Optional[Mapping[str, str]] = None
    skip_when_missing: bool = False

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        if self.request_parameters and self.request_options_provider is None:
            self.request_options_provider = InterpolatedRequestOptionsProvider(
                config=self.config, parameters=parameters, request_parameters=self.request_parameters)
        super().__post_init__(parameters)

    def send_request(
        self,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
        path: Optional[str] = None,
        request_headers: Optional[Mapping[str, Any]] = None,
        request_params: Optional[Mapping[str, Any]] = None,
        request_body_data: Optional[Union[Mapping[str, Any], str]] = None,
        request_body_json: Optional[Mapping[str, Any]] = None,
        log_formatter: Optional[Callable[[requests.Response], Any]] = None,
    ) -> Optional[requests.Response]:
        runtime = runtime_of(self.config)
        relative_path = "/" + (path or self.get_path(stream_state=stream_state, stream_slice=stream_slice, next_page_token=next_page_token)).lstrip("/")
        params = self._request_params(stream_state, stream_slice, next_page_token, request_params)
        if relative_path in UNCHANGING_WITHIN_A_RUN:
            return runtime.cached_get(relative_path, params).response
        reply = runtime.client.get(relative_path, params=params, accept=(Action.MISSING,) if self.skip_when_missing else ())
        if reply.decision.action is Action.MISSING:
            # No result and no nextPageToken in the reply: the retriever sees an empty last page.
            runtime.logger.warning(f"{self.name}: skipped, {reply.decision.reason}.")
        return reply.response
