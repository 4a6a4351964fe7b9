#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 needs Python < 3.11), looking in
# the usual places: $PYTHON310, python3.10 on PATH, pyenv, uv-managed Pythons.
# Exit 1 with a message naming what to install when there is none.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for d in "$root"/versions/3.10*; do [ -x "$d/bin/python3.10" ] && candidates+=("$d/bin/python3.10"); done
fi
for d in "$HOME"/.pyenv/versions/3.10* "$HOME"/.local/share/uv/python/cpython-3.10*; do
  [ -x "$d/bin/python3.10" ] && candidates+=("$d/bin/python3.10")
done
if command -v uv >/dev/null 2>&1; then
  p=$(uv python find 3.10 2>/dev/null) && candidates+=("$p")
fi
for c in "${candidates[@]}"; do
  if ok "$c"; then echo "$c"; exit 0; fi
done
cat >&2 <<'MSG'
No Python 3.10 found. Rasa 3.6 runs only on Python 3.8-3.10. Install one of:
  - Debian/Ubuntu:  apt-get install python3.10 python3.10-venv
  - pyenv:          pyenv install 3.10.13
  - uv:             uv python install 3.10
or set PYTHON310=/path/to/python3.10, then run make again.
MSG
exit 1
