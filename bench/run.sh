#!/usr/bin/env bash
# make bench: throughput and latency of the main endpoints on SQLite and on
# PostgreSQL, beside the raw database doing the same work on the same
# machine in the same run. Loads stay on 127.0.0.1 and are bounded in time.
#
#   BENCH_TENANTS (1000) x BENCH_PER (50) connectors, BENCH_SECONDS (10) per run,
#   BENCH_SCALE=0 skips the scale runs (list latency with 1k and 1M rows).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
TENANTS="${BENCH_TENANTS:-1000}"
PER="${BENCH_PER:-50}"
SECS="${BENCH_SECONDS:-10}"
PG_ADMIN="${CONNECTORS_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
work="$(mktemp -d)"
results="$work/results.tsv"
: > "$results"
bin="$root/target/release/connectors"
helper="$root/target/release/connectors-bench"

log() { printf '\n==> %s\n' "$*" >&2; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$results"; }   # db metric endpoint value

cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  for d in ${pg_dbs:-}; do psql "$PG_ADMIN" -q -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

log "building release binaries"
cargo build --release --workspace --bins >&2
if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
fi
keys="$("$bin" keys generate)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# wrk: closed loop, 32 connections; refuses the run on any non-2xx answer.
wrk_rps() { # name url [lua]
  local out
  if [ -n "${3:-}" ]; then
    out="$(wrk -t2 -c32 -d"${SECS}s" -s "$3" "$2")"
  else
    out="$(wrk -t2 -c32 -d"${SECS}s" -H "Authorization: Bearer $token" -H "Cookie: $cookie" "$2")"
  fi
  if grep -q "Non-2xx" <<<"$out"; then
    echo "INVALID run for $1: $(grep Non-2xx <<<"$out")" >&2
    echo "invalid"
    return
  fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

bench_db() { # sqlite|postgres
  local db="$1" url data port
  data="$work/$db"
  mkdir -p "$data"
  if [ "$db" = postgres ]; then
    local name="bench_$$_$RANDOM"
    psql "$PG_ADMIN" -q -c "CREATE DATABASE $name" >/dev/null
    pg_dbs="${pg_dbs:-} $name"
    url="${PG_ADMIN%/*}/$name"
  else
    url="sqlite://$data/connectors.db"
  fi
  log "$db: seeding $TENANTS tenants x $PER connectors"
  "$helper" seed --database-url "$url" --keys "$keys" --tenants "$TENANTS" --per "$PER"
  run() { env -u CONNECTORS_DATABASE_URL CONNECTORS_DATA_DIR="$data" CONNECTORS_ENCRYPTION_KEYS="$keys" "$bin" --database-url "$url" "$@"; }
  echo "bench-password-1" | run user create --tenant t00000 --email bench@localhost --role owner --password-stdin >/dev/null 2>&1
  run user create --tenant g1000 --email bench@localhost --role owner >/dev/null 2>&1
  for g in g10 g100; do run user create --tenant "$g" --email bench@localhost --role owner >/dev/null 2>&1; done

  port="$(free_port)"
  local start_ns ready_ns
  start_ns="$(date +%s%N)"
  # Started directly (not through a shell function) so that $! is the server.
  env -u CONNECTORS_DATABASE_URL CONNECTORS_DATA_DIR="$data" CONNECTORS_ENCRYPTION_KEYS="$keys" \
    CONNECTORS_BIND="127.0.0.1:$port" CONNECTORS_LOG_LEVEL=warn "$bin" --database-url "$url" serve >"$work/$db.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.005; done
  ready_ns="$(date +%s%N)"
  record "$db" startup_ms - "$(( (ready_ns - start_ns) / 1000000 ))"

  local base="http://127.0.0.1:$port" api="http://127.0.0.1:$port/features/connectors/api"
  token="$(run token create --tenant t00000 --email bench@localhost 2>/dev/null)"
  local gtoken; gtoken="$(run token create --tenant g1000 --email bench@localhost 2>/dev/null)"
  cookie="$(curl -s -D - -o /dev/null -X POST -H "Origin: $base" -d 'email=bench@localhost&password=bench-password-1' "$base/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')"
  local one; one="$(curl -sf -H "Authorization: Bearer $token" "$api/installed?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')"
  curl -sf -H "Authorization: Bearer $gtoken" "$api/installed?limit=200" | python3 -c 'import json,sys; [print(i["id"]) for i in json.load(sys.stdin)["items"]]' > "$work/ids.txt"

  # Literal URLs, each checked once before the load.
  declare -A reads=(
    [list]="$api/installed?limit=50"
    [catalog]="$api/catalog"
    [one]="$api/connectors/$one"
    [catalog_html]="$base/features/connectors/catalog"
  )
  for name in list catalog one catalog_html; do
    curl -sf -o /dev/null -H "Authorization: Bearer $token" -H "Cookie: $cookie" "${reads[$name]}" || { echo "first response of $name failed" >&2; exit 1; }
    log "$db: $name closed loop"
    record "$db" rps "$name" "$(wrk_rps "$name" "${reads[$name]}")"
  done

  # Latency runs come before the write runs, so that they measure the
  # seeded dataset and not the database catching up after a burst of
  # writes (autovacuum, checkpoints); each starts with a second of warm-up.
  for name in list catalog one catalog_html; do
    log "$db: $name at 1,000 requests per second"
    read -r p50 p99 bad lag < <("$helper" rate --url "${reads[$name]}" --rps 1000 --seconds "$SECS" --header "Authorization: Bearer $token" --header "Cookie: $cookie")
    [ "$bad" = 0 ] || { echo "INVALID fixed-rate run for $name: $bad non-2xx" >&2; p50=invalid; p99=invalid; }
    record "$db" p50_ms "$name" "$p50"
    record "$db" p99_ms "$name" "$p99"
    record "$db" generator_lag_p99_ms "$name" "$lag"
  done

  log "$db: growth (list latency by tenant size)"
  for g in g10 g100 g1000; do
    local t; t="$(run token create --tenant "$g" --email bench@localhost 2>/dev/null)"
    read -r p50 _ bad _ < <("$helper" rate --url "$api/installed?limit=50" --rps 200 --seconds 3 --header "Authorization: Bearer $t")
    [ "$bad" = 0 ] || { echo "INVALID growth run for $g: $bad non-2xx" >&2; p50=invalid; }
    record "$db" growth_p50_ms "$g" "$p50"
  done

  cat > "$work/create.lua" <<LUA
local n = 0
local id = 0
function setup(thread) thread:set("tid", n); n = n + 1 end
function init(args) id = tid; counter = 0; math.randomseed(os.time() + tid * 7919) end
function request()
  counter = counter + 1
  local body = string.format('{"catalog_key":"wordpress","name":"bench %d-%d-%d","config":{"site_url":"https://b.example.com","username":"u"},"auth":{"application_password":"abcd EFGH ijkl MNOP qrst UVWX"}}', id, counter, math.random(1, 1000000000))
  return wrk.format("POST", "/features/connectors/api/connectors", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $token"}, body)
end
LUA
  log "$db: create closed loop"
  record "$db" rps create "$(wrk_rps create "$api/connectors" "$work/create.lua")"

  { echo "local ids = {"; sed 's/.*/"&",/' "$work/ids.txt"; echo "}"; cat <<LUA
local i = 0
function request()
  i = i + 1
  local id = ids[(i * 7919) % #ids + 1]
  local body = string.format('{"config":{"site_url":"https://u%d.example.com","username":"editor"}}', i)
  return wrk.format("PUT", "/features/connectors/api/connectors/" .. id, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $gtoken"}, body)
end
LUA
  } > "$work/update.lua"
  log "$db: update closed loop"
  record "$db" rps update "$(wrk_rps update "$api/connectors" "$work/update.lua")"

  record "$db" peak_rss_mb - "$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$server/status)"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""

  log "$db: raw database"
  if [ "$db" = sqlite ]; then
    record "$db" raw_rps list "$("$helper" sqlite-raw --db "$data/connectors.db" --tenant-slug t00000 --threads 2 --seconds "$SECS" --json)"
    record "$db" raw_rps list_nojson "$("$helper" sqlite-raw --db "$data/connectors.db" --tenant-slug t00000 --threads 2 --seconds "$SECS")"
    record "$db" raw_rps create "$("$helper" sqlite-raw-insert --db "$data/connectors.db" --seconds "$SECS")"
    "$helper" sqlite-plan --db "$data/connectors.db" > "$work/plan-$db.txt"
  else
    local tid cid
    tid="$(psql "$url" -tAc "SELECT id FROM tenants WHERE slug = 't00000'")"
    cid="$(psql "$url" -tAc "SELECT id FROM connector_catalog WHERE key = 'wordpress'")"
    # The list query exactly as the PostgreSQL store sends it (prepared,
    # tenant id and limit as parameters).
    "$helper" pg-list-sql > "$work/list.sql"
    cat > "$work/insert.sql" <<SQL
INSERT INTO connectors (id, tenant_id, catalog_id, name, status, config, auth, tags, version, created_at, updated_at, created_by_name, updated_by_name) VALUES (gen_random_uuid()::text, '$tid', '$cid', 'raw ' || gen_random_uuid()::text, 'inactive', '{"site_url":"https://x.example","username":"u"}', '{"v":1,"kid":"x","n":"AAAA","ct":"AAAA"}', '[]', 1, NOW(), NOW(), 'bench', 'bench');
SQL
    record "$db" raw_rps list "$(pgbench -n -M prepared -c 32 -j 2 -T "$SECS" -D tid="$tid" -D lim=51 -f "$work/list.sql" "$url" 2>/dev/null | awk '/^tps/ {print $3}')"
    record "$db" raw_rps create "$(pgbench -n -M prepared -c 32 -j 2 -T "$SECS" -f "$work/insert.sql" "$url" 2>/dev/null | awk '/^tps/ {print $3}')"
    # The plan for the tenant with 1,000 connectors, where a page is a
    # small part of the tenant's rows.
    local gid; gid="$(psql "$url" -tAc "SELECT id FROM tenants WHERE slug = 'g1000'")"
    psql "$url" -tAc "EXPLAIN $(sed "s/:tid/'$gid'/; s/:lim/51/; s/;\$//" "$work/list.sql")" | tr '\n' ' ' > "$work/plan-$db.txt"
  fi
}

# Page cost against table size: a tenant with 100 connectors, in a table of
# 1k rows and of 1M rows (10,000 tenants x 100).
scale_db() { # db tenants per label
  local db="$1" url data port name
  data="$work/scale-$db-$4"
  mkdir -p "$data"
  if [ "$db" = postgres ]; then
    name="bench_scale_$$_$RANDOM"
    psql "$PG_ADMIN" -q -c "CREATE DATABASE $name" >/dev/null
    pg_dbs="${pg_dbs:-} $name"
    url="${PG_ADMIN%/*}/$name"
  else
    url="sqlite://$data/connectors.db"
  fi
  log "$db: scale run, $2 tenants x $3 connectors"
  "$helper" seed --database-url "$url" --keys "$keys" --tenants "$2" --per "$3"
  env -u CONNECTORS_DATABASE_URL CONNECTORS_DATA_DIR="$data" CONNECTORS_ENCRYPTION_KEYS="$keys" "$bin" --database-url "$url" \
    user create --tenant t00001 --email bench@localhost --role owner >/dev/null 2>&1
  local t; t="$(env -u CONNECTORS_DATABASE_URL CONNECTORS_DATA_DIR="$data" CONNECTORS_ENCRYPTION_KEYS="$keys" "$bin" --database-url "$url" token create --tenant t00001 --email bench@localhost 2>/dev/null)"
  port="$(free_port)"
  env -u CONNECTORS_DATABASE_URL CONNECTORS_DATA_DIR="$data" CONNECTORS_ENCRYPTION_KEYS="$keys" \
    CONNECTORS_BIND="127.0.0.1:$port" CONNECTORS_LOG_LEVEL=warn "$bin" --database-url "$url" serve >"$work/scale-$db.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.01; done
  read -r p50 p99 bad _ < <("$helper" rate --url "http://127.0.0.1:$port/features/connectors/api/installed?limit=50" --rps 200 --seconds 5 --header "Authorization: Bearer $t")
  [ "$bad" = 0 ] || { echo "INVALID scale run $4: $bad non-2xx" >&2; p50=invalid; p99=invalid; }
  record "$db" scale_p50_ms "$4" "$p50"
  record "$db" scale_p99_ms "$4" "$p99"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

bench_db sqlite
bench_db postgres
if [ "${BENCH_SCALE:-1}" != 0 ]; then
  for db in sqlite postgres; do
    scale_db "$db" 10 100 rows_1k
    scale_db "$db" 10000 100 rows_1M
  done
fi
record - binary_mb - "$(du -m "$bin" | cut -f1)"

python3 "$root/bench/report.py" "$results" "$work" "$root/docs"
