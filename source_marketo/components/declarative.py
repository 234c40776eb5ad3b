"""Small declarative components named in manifest.yaml: record shaping, several rows per object, paging.

Each wraps a pure function of shapes.py; the Marketo facts live there.
"""

from __future__ import annotations

import threading
from dataclasses import InitVar, dataclass, field
from typing import Any, Iterable, Mapping, MutableMapping, Optional

import requests

from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.offset_increment import OffsetIncrement
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.types import Config, Record, StreamSlice, StreamState

from source_marketo.components import shapes
from source_marketo.components.envelope import parse_envelope
from source_marketo.components.errors import MarketoFailure


@dataclass
class MarketoRecordShaper(RecordTransformation):
    """Turns one Marketo object into its stream's documented columns (``shape`` names a function of shapes.py).

    ``partition_field``: a substream's shape also takes the parent's id from the partition (segments
    their segmentation's, program tokens their program's), which Marketo's reply may not repeat.
    """

    parameters: InitVar[Mapping[str, Any]]
    shape: str = ""
    partition_field: str = ""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        name = self.shape or parameters.get("shape") or parameters.get("name")
        if name not in shapes.SHAPES:
            raise ValueError(f"Unknown Marketo record shape '{name}'; known: {sorted(shapes.SHAPES)}")
        self._shape = shapes.SHAPES[name]
        self._stream = name  # the shapes are named after their streams

    def transform(
        self,
        record: MutableMapping[str, Any],
        config: Optional[Config] = None,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> None:
        try:
            if self.partition_field and stream_slice is not None:
                shaped = self._shape(record, stream_slice.partition.get(self.partition_field))
            else:
                shaped = self._shape(record)
        except shapes.BadValue as error:
            raise bad_value(self._stream, record, error) from None
        record.clear()
        record.update(shaped)


def bad_value(stream: str, record: Mapping[str, Any], error: shapes.BadValue) -> MarketoFailure:
    return MarketoFailure(
        f"{stream}: the Marketo record with id {record.get('id')!r} has an unexpected value: {error}. "
        "The sync stopped rather than write a wrong value; report it to Marketo support if the field should not hold it."
    )


@dataclass
class MarketoRowsExtractor(RecordExtractor):
    """Several records per Marketo object of ``result``: ``rows`` names a function of shapes.ROWS
    (an activity type -> its attributes, a channel -> its progression statuses)."""

    parameters: InitVar[Mapping[str, Any]]
    config: Config = field(default_factory=dict)
    rows: str = ""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        if self.rows not in shapes.ROWS:
            raise ValueError(f"Unknown Marketo rows '{self.rows}'; known: {sorted(shapes.ROWS)}")
        self._rows = shapes.ROWS[self.rows]

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        for item in parse_envelope(response.json()).result:
            if isinstance(item, Mapping):
                try:
                    yield from self._rows(item)
                except shapes.BadValue as error:
                    raise bad_value(self.rows, item, error) from None


@dataclass
class _MarketoItems(RecordExtractor):
    """The objects of a reply's ``result``: what a page holds, whatever records a stream makes of them."""

    def extract_records(self, response: requests.Response) -> Iterable[Mapping[str, Any]]:
        return parse_envelope(response.json()).result


@dataclass
class MarketoOffsetIncrement(OffsetIncrement):
    """Offset paging that also stops on the Asset API's "No assets found" warning or a repeated page.

    Past the end, Marketo answers ``success:true`` with a warning and no ``result`` (marketo-api.md
    3.4). A page identical to the previous one means the endpoint ignores ``offset`` (segmentation
    is documented without paging parameters), so asking again would loop forever. The offset moves
    by the objects Marketo returned, not by the records made of them (one channel is several
    progression status records).
    """

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self.extractor = self.extractor or _MarketoItems()
        # A partition's pages are read in order by one worker thread; partitions run on several.
        self._seen = threading.local()

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Optional[Record],
        last_page_token_value: Optional[Any] = None,
    ) -> Optional[Any]:
        envelope = parse_envelope(response.json())
        if envelope.no_assets_found or not envelope.result:
            return None
        first = envelope.result[0].get("id") if isinstance(envelope.result[0], Mapping) else None
        previous = getattr(self._seen, "first_id", None) if last_page_token_value else None
        if first is not None and first == previous:
            return None
        self._seen.first_id = first
        return super().next_page_token(response, last_page_size, last_record, last_page_token_value)
