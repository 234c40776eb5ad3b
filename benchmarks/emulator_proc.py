"""Start the bundled Marketo emulator for the benchmarks: the emulator's own command line, plus
``--asset-scale K`` (K times the default number of programs, emails, landing pages, ...) and
``--programs N`` (N programs, the other assets as they are), which its command line does not offer.
Prints the base URL on the first line of stdout, like the emulator.

Usage: python benchmarks/emulator_proc.py [--asset-scale K] [--programs N] <python -m integration_tests.marketo_emulator arguments>
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from integration_tests.marketo_emulator.__main__ import options_from, parser, serve  # noqa: E402
from integration_tests.marketo_emulator.emulator import MarketoEmulator  # noqa: E402
from integration_tests.marketo_emulator.options import asset_counts  # noqa: E402


def main(argv: list[str]) -> int:
    p = parser()
    p.add_argument("--asset-scale", type=float, default=1.0, help="multiply the default asset counts")
    p.add_argument("--programs", type=int, default=None, help="number of programs (after --asset-scale)")
    args = p.parse_args(argv)
    options = options_from(args)
    counts = {kind: max(1, int(round(n * args.asset_scale))) for kind, n in asset_counts(options).items()}
    if args.programs is not None:
        counts["programs"] = args.programs
    if counts != asset_counts(options):
        options = dataclasses.replace(options, asset_counts=counts)
    return serve(MarketoEmulator(options), describe=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
