"""What every bulk lane of a run shares: the runtime, the bulk endpoints, the clock's "now", the output mode,
and how an export's file becomes rows (downloaded, verified, parsed)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterator, Mapping

from source_marketo.components.bulk.csv_rows import ExportRows, located_errors, report_cleanup
from source_marketo.components.bulk.download import ExportFile
from source_marketo.components.bulk.jobs import BulkApi, ExportJob
from source_marketo.components.bulk.records import RecordSink
from source_marketo.components.runtime import MarketoRuntime


@dataclass
class BulkContext:
    runtime: MarketoRuntime
    api: BulkApi
    now: datetime  # the end of this run's last window
    raw_output: bool
    selected: Dict[str, Mapping[str, Any]]  # selected bulk stream -> its configured JSON schema
    full_refresh: Dict[str, bool]  # stream -> read from the start date, ignoring state
    states: Dict[str, Dict[str, Any]]  # stream -> input state

    def sink(self, stream: str) -> RecordSink:
        return RecordSink(stream, self.raw_output)

    def open_export(self, job: ExportJob) -> ExportFile:
        """The job's file as a stream: resumed with Range, verified against Marketo's size and checksum."""
        return ExportFile(self.runtime.client, self.api.file_path(job), job.file_size, job.checksum, read_timeout=self.runtime.settings.download_timeout)

    @contextmanager
    def export_rows(self, job: ExportJob) -> Iterator[ExportRows]:
        """The rows of the job's file as it streams in; a bad value or row becomes an error naming the
        export, line and column; what was cleaned from the file (NUL bytes, invalid UTF-8) is logged."""
        with self.open_export(job) as binary:
            rows = ExportRows(binary, job.name())
            with located_errors(rows):
                yield rows
            report_cleanup(rows, binary.nul_bytes, self.runtime.logger)

    def input_state(self, stream: str) -> Dict[str, Any]:
        return {} if self.full_refresh.get(stream) else dict(self.states.get(stream) or {})

    def count(self, stream: str, records: int) -> None:
        self.runtime.records[stream] += records
