# Sourced by the other scripts: a virtual environment in .venv with the connector (and, when
# SOURCE_MARKETO_EXTRAS is set, its extras) installed from this checkout. Idempotent and quick when done.
VENV="${SOURCE_MARKETO_VENV:-$PWD/.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.installed-$(cat setup.py | sha256sum | cut -c1-16)-${SOURCE_MARKETO_EXTRAS:-none}"
if [ ! -f "$stamp" ]; then
  target="."
  [ -n "${SOURCE_MARKETO_EXTRAS:-}" ] && target=".[${SOURCE_MARKETO_EXTRAS}]"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -e "$target" > "$VENV/pip-install.log" 2>&1; then
    cat "$VENV/pip-install.log" >&2
    echo "Installing the connector into $VENV failed (log above)." >&2
    exit 1
  fi
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
