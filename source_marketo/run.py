"""Entry point: parse argv, build the source with its config, catalog and state, run the Airbyte protocol.

The concurrent declarative source builds its streams from what its constructor receives, so the
arguments are read before the source is built (cdk-notes.md). Bulk records skip the CDK's
per-record message objects: the source hands over batches of RECORD lines already serialized,
which this entrypoint writes in order with everything else and counts into the state messages'
``sourceStats`` like the CDK does for the records it serializes itself.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any, Callable, DefaultDict, List, Optional

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import AirbyteMessage, Type
from airbyte_cdk.sources.connector_state_manager import HashableStreamDescriptor

from source_marketo.components.bulk.records import RawRecords
from source_marketo.components.clock import Clock
from source_marketo.source import SourceMarketo


class MarketoEntrypoint(AirbyteEntrypoint):
    def __init__(self, source: SourceMarketo, write: Optional[Callable[[bytes], Any]] = None) -> None:
        super().__init__(source)
        self._raw_counts: Counter = Counter()
        self._write = write or _write_to_stdout
        source.raw_sink = self._write_raw

    def _write_raw(self, batch: RawRecords) -> None:
        # Everything yielded before this batch has been printed already: the output stays in order.
        self._write(batch.data)
        self._raw_counts[batch.stream] += batch.count

    def validate_connection(self, source_spec: Any, config: Any) -> None:  # type: ignore[override]
        """Our own checks first: their messages say what to fix ("must be between 1 and 31 days"), where
        the JSON Schema validation that follows would only say "40 is greater than the maximum of 31"."""
        self.source.settings  # parsed once, on the source's own clock, and kept for the run
        AirbyteEntrypoint.validate_connection(source_spec, config)

    def handle_record_counts(self, message: AirbyteMessage, stream_message_count: DefaultDict[HashableStreamDescriptor, float]) -> AirbyteMessage:  # type: ignore[override]
        if message.type == Type.STATE and message.state is not None and message.state.stream is not None:
            name = message.state.stream.stream_descriptor.name
            if self._raw_counts.get(name):
                stream_message_count[HashableStreamDescriptor(name=name, namespace=None)] += float(self._raw_counts.pop(name))
        return AirbyteEntrypoint.handle_record_counts(message, stream_message_count)


def _write_to_stdout(data: bytes) -> None:
    """Bytes straight to the stdout file, after what the CDK's print buffer holds (so the order stands):
    no decode, no copy into the buffer's StringIO, no re-encode (benchmarks: +18-26% throughput, flat memory)."""
    sys.stdout.flush()  # inside `with PRINT_BUFFER` this writes its text out and flushes the real stdout
    stream = sys.__stdout__
    stream.flush()
    stream.buffer.write(data)


def create_source(args: List[str], clock: Optional[Clock] = None) -> SourceMarketo:
    """The source for these command-line arguments (``clock`` is for tests that pin time)."""
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    return SourceMarketo(
        catalog=SourceMarketo.read_catalog(catalog_path) if catalog_path else None,
        config=SourceMarketo.read_config(config_path) if config_path else None,
        state=SourceMarketo.read_state(state_path) if state_path else None,
        clock=clock,
    )


def launch(source: SourceMarketo, args: List[str]) -> None:
    entrypoint = MarketoEntrypoint(source)
    parsed = entrypoint.parse_args(args)
    with PRINT_BUFFER:
        for message in entrypoint.run(parsed):
            print(f"{message}\n", end="")


def run(args: Optional[List[str]] = None) -> None:
    arguments = sys.argv[1:] if args is None else args
    launch(create_source(arguments), arguments)
