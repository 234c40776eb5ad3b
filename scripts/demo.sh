#!/usr/bin/env bash
# The connector's main job with no Marketo account: set up (once), start the bundled Marketo emulator,
# fully sync every stream through the source-marketo command, print what was synced.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-venv.sh
exec "$VENV/bin/python" tools/demo.py "$@"
