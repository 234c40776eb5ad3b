"""Command line: `python -m integration_tests.marketo_emulator --port 0 --seed 42 ...`

Prints the base URL (`http://127.0.0.1:PORT`) as the first line of stdout, flushed, then serves
until Ctrl-C or SIGTERM, and stops cleanly.
"""
from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
from datetime import datetime, timedelta, timezone

from .clock import FakeClock, RealClock
from .emulator import MarketoEmulator
from .options import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, EmulatorOptions
from .retention import parse_retention
from .timefmt import from_ms, parse_input


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m integration_tests.marketo_emulator",
                                description="Local, stateful emulator of the Marketo REST, Asset and Bulk Extract APIs.")
    add = p.add_argument
    add("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    add("--port", type=int, default=0, help="port; 0 picks a free one (default 0)")
    add("--seed", type=int, default=42, help="data seed (default 42)")
    add("--leads", type=int, default=10_000, help="number of generated leads (default 10000)")
    add("--activities", type=int, default=100_000, help="number of generated activities (default 100000)")
    add("--history-days", type=int, default=60, help="days of generated history before the anchor (default 60)")
    add("--data-begins", default=None, metavar="ISO",
        help="generated history begins here instead: leads from ISO, activities 14 days later (overrides --history-days)")
    add("--history-shape", choices=("uniform", "growing"), default="uniform",
        help="uniform: constant rate; growing: the rate of new leads and activities rises linearly (default uniform)")
    add("--client-id", default=DEFAULT_CLIENT_ID, help=f"accepted client id (default {DEFAULT_CLIENT_ID})")
    add("--client-secret", default=DEFAULT_CLIENT_SECRET, help=f"accepted client secret (default {DEFAULT_CLIENT_SECRET})")
    add("--token-ttl", type=int, default=3600, help="access token lifetime in seconds (default 3600)")
    add("--job-progression", default="seconds:5",
        help="bulk job progression: immediate | polls:N | seconds:S | rows:R | fixed:S,rows:R "
             "(S seconds plus records/R seconds) (default seconds:5)")
    add("--queue-latency-seconds", type=float, default=0.0,
        help="a job stays Queued at least this long after enqueue, even with a slot free (default 0)")
    add("--job-rows-per-second", type=float, default=None,
        help="processing time proportional to rows (same as --job-progression rows:R)")
    add("--status-refresh-seconds", type=float, default=60.0,
        help="job status visible to clients changes at most once per interval (default 60, Marketo's)")
    add("--daily-call-quota", type=int, default=50_000, help="daily REST call quota (default 50000)")
    add("--daily-export-mb", type=float, default=500.0, help="daily bulk export allocation in MB (default 500)")
    add("--rate-limit-calls", type=int, default=100, help="calls per window, 0 disables (default 100)")
    add("--rate-limit-window", type=float, default=20.0, help="rate-limit window in seconds (default 20)")
    add("--max-concurrent-calls", type=int, default=10, help="calls in flight, 0 disables (default 10)")
    add("--no-updated-at-filter", action="store_true",
        help="answer 1035 to bulk lead updatedAt/smart-list filters (a subscription without them)")
    add("--no-program-member-updated-at-filter", action="store_true",
        help="answer 1035 to the bulk program member updatedAt filter")
    add("--program-member-export-booleans", choices=("digits", "words"), default="digits",
        help="program member booleans in bulk files: digits (1/0) or words (true/false) (default digits)")
    add("--program-member-density", type=float, default=1.0,
        help="multiply each program's member rate (2-40%% of the leads) by this, at least 0.1%% (default 1)")
    add("--activity-list-limit", type=int, default=0,
        help="activities/leadchanges with a listId of a list of N or more leads answer 1003 (default 0: off)")
    add("--opportunities", type=int, default=40, help="number of opportunities (default 40)")
    add("--custom-object-types", type=int, default=3, help="how many of the three custom object types exist (default 3)")
    add("--crm-sync", action="store_true", help="a native CRM sync: opportunity role endpoints answer 1018")
    add("--max-bulk-activity-types", type=int, default=0,
        help="refuse bulk activity exports with more type ids than this with 1003 (default 0: no limit, as documented)")
    add("--activity-retention", action="store_true",
        help="apply Marketo's activity retention (Delete Lead 14 days; 90 days for 1,3,6,7,13,19,22,24,36,47; "
             "25 months for the rest; New Lead never) relative to the emulator clock")
    add("--retention", action="append", default=None, metavar="TYPES=DAYS",
        help="override retention per type, e.g. 1,6,7=90 (repeatable; 0: never removed; implies --activity-retention)")
    add("--hostile", action="store_true", help="hostile content: NUL bytes, control characters, 'null' strings...")
    add("--anchor", default=None, help="ISO instant where generated history ends (default: now)")
    add("--fake-clock", default=None, metavar="ISO",
        help="run on a clock starting at ISO (or now-3d, now-12h) that follows real time; "
             "/_emulator/clock/advance moves it")
    add("--clock-speed", type=float, default=None, metavar="K",
        help="the fake clock runs K times faster than real time (every time rule with it: K=60 turns "
             "Marketo's 60 s status refresh into 1 real second); without --fake-clock it starts at now")
    add("--export-dir", default=None, help="where export files are written (default: a temp dir)")
    add("--activity-page-scan", type=int, default=3000, help="candidates examined per activities page (default 3000)")
    add("--verbose", action="store_true", help="log requests to stderr")
    return p


def options_from(args) -> EmulatorOptions:
    progression = f"rows:{args.job_rows_per_second}" if args.job_rows_per_second else args.job_progression
    if args.fake_clock or args.clock_speed:
        start = fake_start(args.fake_clock) if args.fake_clock else None  # None: the real now
        clock = FakeClock(start, follow_real_time=True, speed=args.clock_speed or 1.0)
    else:
        clock = RealClock()
    anchor = from_ms(parse_input(args.anchor)) if args.anchor else None
    return EmulatorOptions(
        seed=args.seed, leads=args.leads, activities=args.activities, history_days=args.history_days,
        data_begins=from_ms(parse_input(args.data_begins)) if args.data_begins else None, history_shape=args.history_shape,
        client_id=args.client_id, client_secret=args.client_secret, token_ttl=args.token_ttl,
        job_progression=progression, status_refresh_seconds=args.status_refresh_seconds,
        queue_latency_seconds=args.queue_latency_seconds,
        daily_call_quota=args.daily_call_quota, daily_export_mb=args.daily_export_mb,
        rate_limit_calls=args.rate_limit_calls, rate_limit_window_seconds=args.rate_limit_window,
        max_concurrent_calls=args.max_concurrent_calls, updated_at_filter=not args.no_updated_at_filter,
        max_bulk_activity_types=args.max_bulk_activity_types,
        program_member_updated_at_filter=not args.no_program_member_updated_at_filter,
        program_member_export_booleans=args.program_member_export_booleans,
        program_member_density=args.program_member_density, activity_list_limit=args.activity_list_limit,
        opportunities=args.opportunities, custom_object_types=args.custom_object_types, crm_sync=args.crm_sync,
        activity_retention=args.activity_retention or bool(args.retention), retention_days=parse_retention(args.retention),
        hostile=args.hostile, anchor=anchor, clock=clock, export_dir=args.export_dir, host=args.host,
        port=args.port, activity_page_scan=args.activity_page_scan)


def fake_start(text: str):
    """An ISO instant, or `now-3d` / `now-12h` relative to the wall clock."""
    hit = re.fullmatch(r"now-(\d+(?:\.\d+)?)([dhm])", text.strip())
    if not hit:
        return text
    unit = {"d": 86400, "h": 3600, "m": 60}[hit.group(2)]
    return (datetime.now(timezone.utc) - timedelta(seconds=float(hit.group(1)) * unit)).replace(microsecond=0)


def serve(emulator: MarketoEmulator, describe: bool = True) -> int:
    """Start, print the base URL first (flushed), serve until SIGTERM or Ctrl-C, stop cleanly."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    emulator.start()
    print(emulator.base_url, flush=True)
    if describe:
        info = {k: v for k, v in emulator.info().items() if k != "options"}
        print(json.dumps(info), file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    try:
        emulator = MarketoEmulator(options_from(args))
    except ValueError as error:  # a bad option value: say so like any other argument error (exit 2)
        cli.error(str(error))
    emulator.verbose = args.verbose
    return serve(emulator)


if __name__ == "__main__":
    sys.exit(main())
