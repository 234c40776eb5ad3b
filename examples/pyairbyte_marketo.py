"""Sync Marketo into a local DuckDB database with PyAirbyte, then answer a few questions with SQL.

PyAirbyte runs the installed ``source-marketo`` command (no Docker, no connector registry), reads the
selected streams into a DuckDB cache, and the queries below run against that file.

    pip install -e '.[pyairbyte]'                              # once, from a checkout
    python examples/pyairbyte_marketo.py                       # bundled Marketo emulator, seeded data
    python examples/pyairbyte_marketo.py --config config.json  # your Marketo instance

Options: ``--cache PATH`` (a DuckDB file; default: PyAirbyte's default cache, ``.cache/default_cache/``
under the current directory), ``--streams leads,email`` or ``all``, ``--incremental`` (merge new and
changed rows into the cache, from the state saved by the previous run), ``--summary-json PATH`` (the
row counts and query results, for scripts), ``--leads``/``--activities`` (size of the emulated instance).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import unicodedata
import warnings
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

# PyAirbyte reads these when it is imported. Offline mode skips its connector-registry download
# (the connector is local) and turns its telemetry off.
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

ROOT = Path(__file__).resolve().parent.parent

# Enough for the queries below. lead_activity_attributes (several rows per activity) is left out
# unless asked for: it is the largest table by far.
DEFAULT_STREAMS = ["leads", "lead_activities", "lead_activity_types", "email", "programs", "campaigns"]

# Marketo's standard activity type ids (the same on every instance).
SEND_EMAIL, EMAIL_DELIVERED, OPEN_EMAIL, CLICK_EMAIL, DELETE_LEAD = 6, 7, 10, 11, 37

QUERIES: Dict[str, tuple] = {
    "lead_counts": (
        {"leads"},
        "Leads: live, and removed from Marketo (deleted_at is set for deleted and merged-away leads)",
        """
        select count(*) as rows,
               count(*) filter (where deleted_at is null) as live,
               count(*) filter (where deleted_at is not null) as deleted_or_merged
        from leads
        """,
    ),
    "removed_leads": (
        {"leads", "lead_activities"},
        "Most recently removed leads (a Delete Lead activity tells a deletion from a merge)",
        f"""
        select l.id, l.deleted_at,
               case when exists (select 1 from lead_activities d
                                 where d.activity_type_id = {DELETE_LEAD} and d.lead_id = l.id)
                    then 'deleted' else 'merged away' end as removal
        from leads l
        where l.deleted_at is not null
        order by l.deleted_at desc, l.id
        limit 10
        """,
    ),
    "activities_by_type": (
        {"lead_activities", "lead_activity_types"},
        "Activities per activity type",
        """
        select a.activity_type_id, coalesce(t.name, '(unknown type)') as activity_type,
               count(*) as activities, count(distinct a.lead_id) as leads
        from lead_activities a
        left join lead_activity_types t on t.id = a.activity_type_id
        group by a.activity_type_id, t.name
        order by activities desc, a.activity_type_id
        """,
    ),
    "emails_by_workspace": (
        {"email"},
        "Email assets per workspace (an email being edited has an approved and a draft version)",
        """
        select coalesce(workspace, '(none)') as workspace, count(distinct id) as emails,
               count(*) filter (where status = 'approved') as approved,
               count(*) filter (where status = 'draft') as draft
        from email
        group by workspace
        order by emails desc, workspace
        """,
    ),
    "email_engagement": (
        {"lead_activities"},
        "Top emails by deliveries, with opens and clicks (email activities' primary attribute is the email)",
        f"""
        select primary_attribute_value_id as email_id,
               max(primary_attribute_value) as email,
               count(*) filter (where activity_type_id = {SEND_EMAIL}) as sent,
               count(*) filter (where activity_type_id = {EMAIL_DELIVERED}) as delivered,
               count(*) filter (where activity_type_id = {OPEN_EMAIL}) as opened,
               count(*) filter (where activity_type_id = {CLICK_EMAIL}) as clicked
        from lead_activities
        where activity_type_id in ({SEND_EMAIL}, {EMAIL_DELIVERED}, {OPEN_EMAIL}, {CLICK_EMAIL})
        group by primary_attribute_value_id
        order by delivered desc, sent desc, email_id
        limit 10
        """,
    ),
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        import airbyte  # noqa: F401  (imported here so that a missing extra gets a plain message)
    except ImportError:
        print("PyAirbyte is not installed: pip install -e '.[pyairbyte]' (from the repository root).", file=sys.stderr)
        return 2
    if args.config:
        with open(args.config, encoding="utf-8") as handle:
            return sync_and_query(json.load(handle), args)
    emulator = start_emulator(args.leads, args.activities)
    try:
        base_url = emulator.stdout.readline().strip()
        if not base_url.startswith("http"):
            print("The Marketo emulator did not start (run this from a checkout of the repository).", file=sys.stderr)
            return 1
        print(f"Marketo emulator at {base_url} ({args.leads:,} leads, {args.activities:,} activities)", flush=True)
        return sync_and_query(emulator_config(base_url), args)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="connector config JSON for a real Marketo instance (default: start the bundled emulator)")
    parser.add_argument("--cache", help="DuckDB file to write (default: PyAirbyte's default cache)")
    parser.add_argument("--streams", default=",".join(DEFAULT_STREAMS), help="comma-separated stream names, or 'all'")
    parser.add_argument("--incremental", action="store_true",
                        help="merge new and changed rows into the cache, starting from its saved state (default: full reload)")
    parser.add_argument("--summary-json", help="also write the row counts and query results to this JSON file")
    parser.add_argument("--leads", type=int, default=1000, help="emulator only: number of seeded leads")
    parser.add_argument("--activities", type=int, default=10000, help="emulator only: number of seeded activities")
    return parser.parse_args(argv)


def start_emulator(leads: int, activities: int) -> subprocess.Popen:
    """The bundled emulator in a child process; its first output line is its base URL."""
    command = [sys.executable, "-m", "integration_tests.marketo_emulator", "--port", "0", "--leads", str(leads),
               "--activities", str(activities), "--job-progression", "immediate", "--status-refresh-seconds", "0"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def emulator_config(base_url: str) -> Dict[str, Any]:
    start = (datetime.now(timezone.utc) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"munchkin_id": base_url, "client_id": "emulator-client-id", "client_secret": "emulator-client-secret",
            "start_date": start, "status_poll_interval_seconds": 0, "activity_type_ids": "all"}


def connector_executable() -> str:
    """The ``source-marketo`` command installed beside this Python (the active virtualenv), else on PATH."""
    found = shutil.which("source-marketo", path=os.path.dirname(sys.executable)) or shutil.which("source-marketo")
    if not found:
        raise SystemExit("source-marketo is not installed: pip install -e '.[pyairbyte]' (from the repository root).")
    return found


def sync_and_query(config: Dict[str, Any], args: argparse.Namespace) -> int:
    from airbyte import exceptions as airbyte_errors

    try:
        source = connect(config)
    except airbyte_errors.PyAirbyteError as error:
        reason = (error.context or {}).get("failure_reason") or error.get_message()
        print(f"Connection check failed: {reason}", file=sys.stderr)
        return 1
    print("Connection check succeeded.", flush=True)
    if args.streams.strip() == "all":
        source.select_all_streams()
    else:
        source.select_streams([name.strip() for name in args.streams.split(",") if name.strip()])
    cache = open_cache(args.cache)
    try:
        result = read(source, cache, args.incremental)
    except airbyte_errors.PyAirbyteError as error:
        print(f"The sync failed: {error}", file=sys.stderr)
        return 1
    summary = {"cache": str(cache.db_path), "processed_records": result.processed_records,
               "row_counts": {name: len(dataset) for name, dataset in sorted(result.streams.items())},
               "queries": run_queries(cache, set(source.get_selected_streams()))}
    print_summary(summary)
    if args.summary_json:
        with open(args.summary_json, "w", encoding="utf-8") as handle:
            json.dump(summary, handle, indent=2, default=json_value, ensure_ascii=False)
    return 0


def connect(config: Dict[str, Any]):
    """The connector through PyAirbyte: get_source validates the config against its spec, check() asks Marketo."""
    import airbyte as ab

    source = ab.get_source("source-marketo", config=config, local_executable=connector_executable())
    source.check()
    return source


def read(source, cache, incremental: bool):
    with contextlib.redirect_stdout(WithoutTypeFallbackNotes(sys.stdout)):
        if incremental:
            # "auto" merges on each stream's primary key and resumes from the state stored in the cache.
            return source.read(cache=cache, write_strategy="auto")
        # A clean reload: every selected table is replaced by this sync's rows.
        return source.read(cache=cache, write_strategy="replace", force_full_refresh=True)


def open_cache(path: Optional[str]):
    import airbyte as ab
    from airbyte.caches import DuckDBCache

    if not path:
        return ab.get_default_cache()
    db_path = Path(path).resolve()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBCache(db_path=db_path, cache_dir=db_path.parent / f".{db_path.stem}-files")


def run_queries(cache, selected: set) -> Dict[str, List[Dict[str, Any]]]:
    """Each query whose tables were synced; the others are skipped (say, with --streams leads)."""
    return {name: cache.run_sql_query(sql) for name, (tables, _, sql) in QUERIES.items() if tables <= selected}


def print_summary(summary: Dict[str, Any]) -> None:
    print(f"\nDuckDB cache: {summary['cache']}")
    print_table("Rows per table", [{"table": name, "rows": rows} for name, rows in summary["row_counts"].items()])
    for name, rows in summary["queries"].items():
        print_table(QUERIES[name][1], rows)


def print_table(title: str, rows: List[Dict[str, Any]]) -> None:
    print(f"\n{title}")
    if not rows:
        print("  (no rows)")
        return
    columns = list(rows[0])
    cells = [[display(row[column]) for column in columns] for row in rows]
    widths = [max(width_of(column), *(width_of(line[i]) for line in cells)) for i, column in enumerate(columns)]
    for line in [columns] + cells:
        print(("  " + "  ".join(cell + " " * (width - width_of(cell)) for cell, width in zip(line, widths))).rstrip())


def display(value: Any, limit: int = 48) -> str:
    text = "" if value is None else str(json_value(value))
    # Marketo text can hold line and paragraph separators (U+2028/U+2029) and other breaks: one line per row.
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def width_of(text: str) -> int:
    """Columns on a terminal: CJK characters (common in Marketo asset names) take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def json_value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class WithoutTypeFallbackNotes:
    """Standard output without PyAirbyte's note for columns typed as a union such as ["null", "integer", "string"]
    (Marketo's folder ``value``: a folder id or a name). PyAirbyte stores them as VARCHAR, which is right here,
    but prints the note once per column and batch."""

    NOTE = "Could not determine airbyte type from JSON schema"

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return len(text) if self.NOTE in text else self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


if __name__ == "__main__":
    # Google's client libraries (PyAirbyte's BigQuery support) warn about Python 3.11 at import time.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\..*")
    sys.exit(main())
