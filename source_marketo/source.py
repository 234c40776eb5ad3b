"""SourceMarketo: the declarative REST streams of manifest.yaml plus the Python bulk streams.

Thin: it validates the config into settings, builds the run's shared runtime (one client, one set
of budgets), and hands streams to the CDK (REST) or to the bulk sync (leads and activities).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Iterator, List, Mapping, MutableMapping, Optional, Tuple

from airbyte_cdk.models import (
    FailureType,
    Type,
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    Status,
)
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_marketo.components import checks
from source_marketo.components.bulk.catalog import bulk_catalog_streams
from source_marketo.components.bulk.records import RawRecords
from source_marketo.components.bulk.sync import BulkSync, is_bulk_stream
from source_marketo.components.clock import Clock, SystemClock
from source_marketo.components.summary import run_summary
from source_marketo.components.errors import MarketoFailure, user_message
from source_marketo.components.runtime import MarketoRuntime, RunConfig
from source_marketo.components.wiring import build_runtime
from source_marketo.components.settings import MarketoSettings, parse_settings
from source_marketo.components.types import format_datetime, parse_datetime

MANIFEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "manifest.yaml")


class SourceMarketo(YamlDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
        clock: Optional[Clock] = None,
        **kwargs: Any,
    ) -> None:
        # An absolute path: the CDK would otherwise prefer a stray manifest.yaml in the working directory.
        super().__init__(path_to_yaml=MANIFEST, catalog=catalog, config=normalize_config(config), state=state, **kwargs)
        # The framework hands this very mapping to every component it builds from the manifest; the
        # run's container rides on it (runtime.py), so the requesters share one client.
        self._config = RunConfig(self._config)
        self._clock = clock or SystemClock()
        self._runtime: Optional[MarketoRuntime] = None
        # Our entrypoint (run.py) sets this to write pre-serialized bulk RECORD lines itself; the CDK's
        # own harnesses leave it None and get ordinary AirbyteMessages.
        self.raw_sink: Optional[Callable[[RawRecords], None]] = None

    @property
    def settings(self) -> MarketoSettings:
        return self.runtime.settings

    @property
    def runtime(self) -> MarketoRuntime:
        """The run's shared objects, built on first use; raises ConfigError for a bad config."""
        if self._runtime is None:
            settings = parse_settings(self._config, self._clock.now())
            self._runtime = build_runtime(settings, self.logger, self._clock)
            self._config.runtime = self._runtime
        return self._runtime

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        try:
            message = checks.check_connection(self.runtime)
        except AirbyteTracedException as error:
            message = checks.failure_message(error, self._config)
            logger.error(f"Check failed: {message}")
            return AirbyteConnectionStatus(status=Status.FAILED, message=message)
        logger.info(message)
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def streams(self, config: Mapping[str, Any]) -> List[Any]:
        self.runtime  # a bad config fails here, with its own message, before any stream is built
        return super().streams(config)

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        catalog = super().discover(logger, config)
        return AirbyteCatalog(streams=list(catalog.streams) + bulk_catalog_streams(self.runtime))

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: Optional[List[AirbyteStateMessage]] = None,
    ) -> Iterator[AirbyteMessage]:
        runtime = self.runtime
        rest = [configured for configured in catalog.streams if not is_bulk_stream(configured.stream.name)]
        failures: List[Tuple[str, str, FailureType]] = []  # (stream, message, failure type)
        if rest:
            try:
                for message in super().read(logger, config, ConfiguredAirbyteCatalog(streams=rest), state):
                    if message.type == Type.RECORD:
                        runtime.records[message.record.stream] += 1
                    elif message.type == Type.TRACE and message.trace.error is not None:
                        failures.append(_stream_failure(message.trace.error))
                    yield message
            except AirbyteTracedException as error:
                if not failures:  # the CDK's closing summary of the streams' errors, already collected
                    failures.append(("", error.message or str(error), error.failure_type))
        bulk = BulkSync(runtime, catalog, state, raw_output=self.raw_sink is not None)
        for item in bulk.read():
            if isinstance(item, RawRecords):
                self.raw_sink(item)
            else:
                yield item
        logger.info(run_summary(runtime))
        self._raise_if_incomplete(runtime, failures, bulk)

    def _raise_if_incomplete(self, runtime: MarketoRuntime, failures: List[Tuple[str, str, FailureType]], bulk: BulkSync) -> None:
        """A daily limit ends the run as a clean, transient stop; anything else that failed, as a failure
        that names each stream and its cause (a config error if any cause was the user's to fix)."""
        stop = bulk.stopped or runtime.client.stopped_by  # the bulk one says how much of the backfill is done
        if stop is not None:
            self.logger.warning(stop.message)
            raise stop
        failures = failures + [("bulk streams", user_message(error), _failure_type_of(error)) for error in bulk.errors]
        if failures:
            problems = [f"{stream}: {message}" if stream else message for stream, message, _ in failures]
            kinds = {kind for _, _, kind in failures}
            raise AirbyteTracedException(
                message="Some streams did not sync completely. " + " | ".join(problems),
                internal_message="; ".join(problems),
                failure_type=FailureType.config_error if FailureType.config_error in kinds else FailureType.system_error,
            )


def _stream_failure(error: Any) -> Tuple[str, str, FailureType]:
    """A CDK trace error (AirbyteErrorTraceMessage) -> (stream, message, failure type)."""
    stream = error.stream_descriptor.name if error.stream_descriptor is not None else ""
    return stream, error.message or error.internal_message or "unknown error", error.failure_type or FailureType.system_error


def _failure_type_of(error: BaseException) -> FailureType:
    return error.failure_type if isinstance(error, MarketoFailure) else FailureType.system_error


def normalize_config(config: Optional[Mapping[str, Any]]) -> MutableMapping[str, Any]:
    """The config the manifest interpolates: ``start_date`` in one datetime format (a bare date is midnight UTC).

    Invalid values are left as they are; parse_settings reports them with a proper message.
    """
    normalized = dict(config or {})
    start = normalized.get("start_date")
    if isinstance(start, str):
        try:
            normalized["start_date"] = format_datetime(parse_datetime(start).replace(microsecond=0))
        except ValueError:
            pass
    return normalized
