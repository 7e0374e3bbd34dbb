# Starts a fresh service on 127.0.0.1 for the API checks (Schemathesis, the
# generated clients), with its own SQLite data directory, and makes tokens.
# Source it from bash with `set -euo pipefail`; it sets:
#   base      http://127.0.0.1:PORT
#   data      the data directory (removed on exit, with the server stopped)
#   admin     a token of the owner admin@localhost of tenant `default`
#   member    a token of member@localhost (role member)
#   reader    a token of broadcaster@localhost (member) with the
#             credentials:read scope
# and the functions `connectors ARGS…` (the CLI on that data directory) and
# `serve_log` (prints the server's log). Needs CONNECTORS_BIN or a debug
# build in target/.
serve_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
serve_bin="${CONNECTORS_BIN:-$serve_root/target/debug/connectors}"
[ -x "$serve_bin" ] || { echo "no binary at $serve_bin: run cargo build first" >&2; exit 1; }

data="$(mktemp -d)"
serve_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$serve_port"
serve_cleanup() {
  if [ -n "${serve_pid:-}" ]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap serve_cleanup EXIT

connectors() { env -u CONNECTORS_DATABASE_URL -u CONNECTORS_ENCRYPTION_KEYS CONNECTORS_DATA_DIR="$data" "$serve_bin" "$@"; }
serve_log() { cat "$data/server.log"; }

# Started directly (not through the function) so that $! is the server.
env -u CONNECTORS_DATABASE_URL -u CONNECTORS_ENCRYPTION_KEYS CONNECTORS_DATA_DIR="$data" \
  CONNECTORS_BIND="127.0.0.1:$serve_port" CONNECTORS_BOOTSTRAP_PASSWORD="api-check-password-1" CONNECTORS_LOG_LEVEL=warn \
  "$serve_bin" serve >"$data/server.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do
  curl -sf "$base/readyz" >/dev/null && break
  sleep 0.1
done
curl -sf "$base/readyz" >/dev/null || { serve_log; exit 1; }

admin="$(connectors token create --tenant default --email admin@localhost 2>/dev/null)"
connectors user create --tenant default --email member@localhost --role member >/dev/null 2>&1
member="$(connectors token create --tenant default --email member@localhost 2>/dev/null)"
connectors user create --tenant default --email broadcaster@localhost --role member >/dev/null 2>&1
reader="$(connectors token create --tenant default --email broadcaster@localhost --scope credentials:read 2>/dev/null)"
export base admin member reader
