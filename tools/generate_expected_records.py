"""Generate integration_tests/expected_records.jsonl (and, with --catalogs, the configured catalogs)
from the bundled Marketo emulator's seeded data.

The emulator is the acceptance tests' one (integration_tests/acceptance/environment.py: seed, sizes,
anchor and clock fixed), so the output is the same on every machine and every day. The config and the
output path are those of the basic_read entry of acceptance-test-config.yml; records are computed from
the emulator's ground truth (integration_tests/acceptance/expected_records.py), not recorded from a
sync. The connector only runs `discover`, for the instance's lead columns.

--catalogs also rewrites the configured catalogs of the full_refresh (every stream, full refresh) and
incremental (every incremental stream, incremental) entries from the discovered catalog.
--check writes nothing and exits 1 when a file differs from what would be generated.

Usage: python tools/generate_expected_records.py [--catalogs] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from integration_tests.acceptance import environment, runner  # noqa: E402
from integration_tests.acceptance.expected_records import expected_by_stream, jsonl  # noqa: E402


def catalog_text(catalog: Dict) -> str:
    return json.dumps(catalog, indent=2, ensure_ascii=False) + "\n"


def generate(with_catalogs: bool) -> Dict[str, str]:
    """File path -> content."""
    config = environment.load_acceptance_test_config()
    basic_read = runner.entries(config, "basic_read")[0]
    emulator = environment.start_emulator()
    try:
        connector_config = environment.load_config(basic_read["config_path"], emulator.base_url)
        discovered = runner.discover(connector_config)
        empty = {stream["name"] for stream in basic_read.get("empty_streams") or []}
        streams = [stream for stream in discovered["streams"] if stream["name"] not in empty]
        files = {str(environment.path_of(basic_read["expect_records"]["path"])):
                 jsonl(expected_by_stream(emulator, connector_config, {"streams": streams}))}
        if with_catalogs:
            for section, mode in (("full_refresh", "full_refresh"), ("incremental", "incremental")):
                for entry in runner.entries(config, section):
                    catalog = runner.configure(discovered["streams"], mode)
                    if mode == "incremental":
                        catalog = runner.incremental_only(catalog)
                    files[str(environment.path_of(entry["configured_catalog_path"]))] = catalog_text(catalog)
        return files
    finally:
        emulator.stop()


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogs", action="store_true", help="also write the configured catalogs")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is not current")
    args = parser.parse_args(argv)
    stale = []
    for path, content in generate(args.catalogs).items():
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        relative = os.path.relpath(path, ROOT)
        if current == content:
            print(f"{relative}: current")
        elif args.check:
            stale.append(relative)
            print(f"{relative}: NOT current")
        else:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(content)
            print(f"{relative}: written ({content.count(chr(10))} lines)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
