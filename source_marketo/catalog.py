"""source-marketo-catalog: print a configured catalog for ``read``, made from what ``discover`` finds.

Usage:
    source-marketo-catalog --config config.json [--streams leads,email] [--full-refresh] > catalog.json
    python -m source_marketo.catalog ...            (the same without the console script)

Every stream is selected unless ``--streams`` names some. Each stream syncs the way the user guide
recommends: **Incremental | Append + Deduped** where the stream supports it (cursor and primary key
as the stream defines them), else **Full refresh | Overwrite**; ``--full-refresh`` makes every
stream full refresh. Discovery runs as ``source-marketo discover`` does (same checks, same errors);
its log lines go to stderr, the catalog alone to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence

from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException


def configure(streams: Sequence[Mapping[str, Any]], full_refresh: bool = False) -> Dict[str, Any]:
    """A configured catalog of ``streams`` (discovered AirbyteStream dicts)."""
    configured = []
    for stream in streams:
        incremental = not full_refresh and "incremental" in stream.get("supported_sync_modes", [])
        configured.append({
            "stream": dict(stream),
            "sync_mode": "incremental" if incremental else "full_refresh",
            "destination_sync_mode": "append_dedup" if incremental else "overwrite",
            "cursor_field": list(stream.get("default_cursor_field") or []) if incremental else [],
            "primary_key": [list(key) for key in stream.get("source_defined_primary_key") or []],
        })
    return {"streams": configured}


def select(catalog: Mapping[str, Any], names: Optional[Sequence[str]] = None) -> List[Dict[str, Any]]:
    """The streams of a discovered catalog named in ``names`` (all when None), in discovery order."""
    streams = list(catalog["streams"])
    if names is None:
        return streams
    known = [stream["name"] for stream in streams]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown stream(s): {', '.join(unknown)}; the streams are: {', '.join(known)}")
    return [stream for stream in streams if stream["name"] in set(names)]


def discover(config_path: str) -> Dict[str, Any]:
    """The discovered catalog, through the connector's own entrypoint (``source-marketo discover``)."""
    from source_marketo.run import MarketoEntrypoint, create_source  # after the logging set-up below

    args = ["discover", "--config", config_path]
    entrypoint = MarketoEntrypoint(create_source(args))
    for line in entrypoint.run(entrypoint.parse_args(args)):
        message = json.loads(line)
        if message["type"] == "CATALOG":
            return message["catalog"]
        if message["type"] == "TRACE" and message["trace"]["type"] == "ERROR":
            raise RuntimeError(message["trace"]["error"]["message"])
    raise RuntimeError("discover returned no catalog")


class _StderrFormatter(logging.Formatter):
    """Plain log lines on stderr (stdout carries the catalog), secrets masked as the CDK masks them."""

    def format(self, record: logging.LogRecord) -> str:
        return filter_secrets(f"{record.levelname}: {super().format(record)}")


def _logs_to_stderr() -> None:
    import airbyte_cdk.entrypoint  # noqa: F401  (its import installs the CDK's stdout log handler: replaced here)

    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_StderrFormatter("%(message)s"))
    handler.setLevel(logging.WARNING)
    root.addHandler(handler)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="source-marketo-catalog", description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the connector config (as for source-marketo read)")
    parser.add_argument("--streams", help="comma-separated stream names (default: every stream)")
    parser.add_argument("--full-refresh", action="store_true", help="full refresh | overwrite for every stream")
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    names = [name.strip() for name in args.streams.split(",") if name.strip()] if args.streams else None
    _logs_to_stderr()
    try:
        streams = select(discover(args.config), names)
    except AirbyteTracedException as error:
        print(f"source-marketo-catalog: {filter_secrets(error.message or str(error))}", file=sys.stderr)
        return 1
    except (RuntimeError, ValueError, OSError) as error:
        print(f"source-marketo-catalog: {filter_secrets(str(error))}", file=sys.stderr)
        return 1
    try:
        sys.stdout.write(json.dumps(configure(streams, args.full_refresh), indent=2) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def run() -> None:
    """Console script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
