#!/usr/bin/env bash
# API fuzzing with Schemathesis against /openapi.json of a fresh server on
# 127.0.0.1, once with an admin token and once with a member token: every
# default check, the coverage, fuzzing and stateful phases, bounded in
# examples and time. Exits non-zero on any failure.
#
# `positive_data_acceptance` is excluded on purpose: a body that matches the
# document can still be refused with 422, because a connector's config is
# validated against the schema of the catalog entry its `catalog_key` names,
# which the static document cannot express.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${CONNECTORS_BIN:-$root/target/debug/connectors}"
venv="$here/.venv"
version="4.32.5"
examples="${FUZZ_EXAMPLES:-40}"

if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

data="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

run() { env -u CONNECTORS_DATABASE_URL -u CONNECTORS_ENCRYPTION_KEYS CONNECTORS_DATA_DIR="$data" "$bin" "$@"; }

# Connection checks the fuzzer triggers never leave the machine: every
# built-in's check goes to 127.0.0.1, which the guard refuses before
# connecting, and no scheduled checks run.
export CONNECTORS_CHECK_INTERVAL=off
export CONNECTORS_PROVIDER_URLS="wordpress=http://127.0.0.1:9,medium=http://127.0.0.1:9,twitter=http://127.0.0.1:9,linkedin=http://127.0.0.1:9"

CONNECTORS_BIND="127.0.0.1:$port" CONNECTORS_BOOTSTRAP_PASSWORD="fuzz-password-1" CONNECTORS_LOG_LEVEL=warn \
  run serve >"$data/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$data/server.log"; exit 1; }

admin="$(run token create --tenant default --email admin@localhost 2>/dev/null)"
run user create --tenant default --email member@localhost --role member >/dev/null 2>&1
member="$(run token create --tenant default --email member@localhost 2>/dev/null)"
# Something to find for the operations that take an id.
curl -sf -o /dev/null -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"catalog_key":"wordpress","name":"fuzz seed","config":{"site_url":"https://blog.example.com","username":"editor"}}' \
  "http://127.0.0.1:$port/features/connectors/api/connectors"

status=0
for who in admin member; do
  token="$admin"; [ "$who" = member ] && token="$member"
  echo "==> schemathesis as $who"
  timeout 600 "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks all --exclude-checks positive_data_acceptance \
    --phases coverage,fuzzing,stateful \
    --max-examples "$examples" --no-color || status=1
done
if grep -q "panicked" "$data/server.log"; then
  echo "the server logged a panic" >&2
  status=1
fi
exit $status
