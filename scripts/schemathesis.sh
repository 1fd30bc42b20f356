#!/usr/bin/env bash
# Property-based API test of one throwaway node with Schemathesis.
#
# Usage: bash scripts/schemathesis.sh path/to/concord
#
# Makes a node in a temporary directory (SQLite, an admin token), serves it on 127.0.0.1 on a free port and
# runs Schemathesis against the OpenAPI document the node serves (GET /api/v1/openapi.json, the bundled copy of
# Sources/ConcordWeb/Resources/openapi.json), with the checks:
#   not_a_server_error        no 5xx, ever
#   content_type_conformance  each answer's Content-Type is one the document declares for its status
#   problem_json_for_errors   every 4xx/5xx is application/problem+json (scripts/schemathesis_hooks.py)
# The federation routes (/federation/v1/...) are not in the document and are not tested: they need requests
# signed with a peer's node key, which Schemathesis cannot make.
#
# Bounded: at most SCHEMATHESIS_MAX_EXAMPLES test cases per operation and phase (default 50) and
# SCHEMATHESIS_MAX_TIME seconds in all (default 300; at the limit the run is interrupted and reported as it
# stands). SCHEMATHESIS_SEED makes a run repeatable; SCHEMATHESIS_REPORT=FILE keeps the JSON run report.
# Ends with a `schemathesis: ...` line of counts; exits 1 when Schemathesis found failures or errors.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-50}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-300}"

if [ $# -ne 1 ]; then
  echo "usage: bash scripts/schemathesis.sh path/to/concord" >&2
  exit 2
fi
case "$1" in
  */*) BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
  *) BIN="$(command -v "$1" || true)" ;;
esac
if [ ! -x "$BIN" ]; then
  echo "schemathesis: $1 is not an executable concord binary" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HOOKS="$ROOT/scripts/schemathesis_hooks.py"

python3 -m pip install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/concord-schemathesis.XXXXXX")"
DATA="$WORK/node"
REPORT="${SCHEMATHESIS_REPORT:-$WORK/report.json}"
case "$REPORT" in /*) ;; *) REPORT="$PWD/$REPORT" ;; esac
NODE_PID=""
cleanup() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$NODE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" init --data-dir "$DATA" --organisation "Schema Test" --jurisdiction TH --kind anti_scam_centre >/dev/null
TOKEN="$("$BIN" token create --data-dir "$DATA" --role admin --label schemathesis | tail -1)"

# --port 0: the node picks a free port and prints `concord node <id> listening on http://127.0.0.1:<port>`.
"$BIN" serve --data-dir "$DATA" --host 127.0.0.1 --port 0 --log-level warning >"$WORK/node.log" 2>&1 &
NODE_PID=$!
BASE=""
for _ in $(seq 300); do
  if ! kill -0 "$NODE_PID" 2>/dev/null; then
    echo "schemathesis: the node exited before it was ready:" >&2
    cat "$WORK/node.log" >&2
    exit 1
  fi
  BASE="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$WORK/node.log" | head -1 | sed 's/^listening on //' || true)"
  if [ -n "$BASE" ] && python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=2)' "$BASE" 2>/dev/null; then
    break
  fi
  BASE=""
  sleep 0.1
done
if [ -z "$BASE" ]; then
  echo "schemathesis: the node did not answer /healthz within 30 s:" >&2
  cat "$WORK/node.log" >&2
  exit 1
fi
echo "node up at $BASE"

# Run from the temporary directory so Schemathesis neither reads a schemathesis.toml nor leaves files in the
# checkout. SIGINT at the time limit lets it stop and still print (and write) what it found.
set +e
(
  cd "$WORK"
  SCHEMATHESIS_HOOKS="$HOOKS" timeout --signal=INT --kill-after=30 "$MAX_TIME" \
    schemathesis run "$BASE/api/v1/openapi.json" \
      --url "$BASE" \
      --header "Authorization: Bearer $TOKEN" \
      --checks not_a_server_error,content_type_conformance,problem_json_for_errors \
      --max-examples "$MAX_EXAMPLES" \
      --workers 2 \
      --request-timeout 30 \
      --generation-database none \
      --report json --report-json-path "$REPORT" \
      --no-color \
      ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"}
)
status=$?
set -e

if [ "$status" -ne 0 ] && ! kill -0 "$NODE_PID" 2>/dev/null; then
  echo "the node died during the run; its log:" >&2
  tail -50 "$WORK/node.log" >&2
fi

summary="$(python3 - "$REPORT" "$status" <<'EOF'
import json, sys
path, status = sys.argv[1], int(sys.argv[2])
try:
    with open(path, encoding="utf-8") as f:
        r = json.load(f)
except (OSError, ValueError):
    print(f"no report (schemathesis exit {status})")
    sys.exit()
ops, cases = r["operations"], r["test_cases"]
errors = sum(group["count"] for group in r["errors"])
stop = ", stopped at the time limit" if status == 124 or not r.get("complete", True) else ""
print(f"{ops['tested']} of {ops['selected']} operations tested, {cases['generated']} test cases, "
      f"{cases['unique_failures']} failures, {errors} errors{stop}")
EOF
)"
echo
echo "schemathesis: $summary"
# 124: stopped at the time limit; that alone is not a failure.
if [ "$status" -eq 124 ] && grep -q ' 0 failures, 0 errors' <<<"$summary"; then
  exit 0
fi
[ "$status" -eq 0 ] || exit 1
