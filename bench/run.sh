#!/usr/bin/env bash
# make bench: throughput and latency of the main endpoints on SQLite and on
# PostgreSQL, on a mixed dataset (WordPress, LinkedIn, X and Medium
# connectors with realistic configs and secrets), beside the raw database
# doing the same work on the same machine in the same run. Loads stay on
# 127.0.0.1 and are bounded in time.
#
#   BENCH_TENANTS (200) x BENCH_PER (50) connectors, plus tenants with 10,
#     100 and 1,000 connectors;
#   BENCH_SECONDS (10) per closed-loop run, BENCH_RATE_SECONDS (same) per
#     fixed-rate run;
#   BENCH_SCALE_TENANTS (2000) x BENCH_PER for the cold scale run on a fresh
#     service (0 skips it);
#   BENCH_PROFILE (1 when perf can sample, else 0): perf profiles of the
#     service under the list load;
#   BENCH_CHECKS (10000) due connectors for the scheduled-checks run
#     against a stand-in answering after BENCH_CHECK_DELAY_MS (50) ms
#     (0 skips it);
#   BENCH_PARTS ("main scale checks"): which parts run (a part left out
#     leaves its figures empty in the report);
#   BENCH_RESULTS_DIR: where to keep the raw results (no secrets in them),
#     to render the report again with bench/report.py RESULTS_DIR/results.tsv
#     RESULTS_DIR docs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
TENANTS="${BENCH_TENANTS:-200}"
PER="${BENCH_PER:-50}"
SECS="${BENCH_SECONDS:-10}"
RATE_SECS="${BENCH_RATE_SECONDS:-$SECS}"
SCALE_TENANTS="${BENCH_SCALE_TENANTS:-2000}"
CHECKS="${BENCH_CHECKS:-10000}"
PARTS=" ${BENCH_PARTS:-main scale checks} "
CHECK_DELAY_MS="${BENCH_CHECK_DELAY_MS:-50}"
PG_ADMIN="${CONNECTORS_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
API=/features/connectors/api
work="$(mktemp -d)"
results="$work/results.tsv"
: > "$results"
bin="$root/target/release/connectors"
helper="$root/target/release/connectors-bench"
began="$(date +%s)"

log() { printf '\n==> %s\n' "$*" >&2; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$results"; }   # db metric endpoint value

cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ -n "${standin:-}" ] && kill "$standin" 2>/dev/null && wait "$standin" 2>/dev/null || true
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

# Profiling needs perf able to sample this user's own processes: root, or
# perf_event_paranoid at most 2. Without hardware counters (virtual
# machines) it samples the CPU clock instead of cycles.
perf_event=cycles
perf_usable() {
  command -v perf >/dev/null 2>&1 || return 1
  [ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 3)" -le 2 ] || return 1
  if perf stat -x, -e instructions true 2>&1 | grep -q 'not supported'; then perf_event=cpu-clock; fi
  perf record -q -e "$perf_event" -o "$work/perf-check.data" -- true >/dev/null 2>&1
}
PROFILE="${BENCH_PROFILE:-auto}"
if [ "$PROFILE" = auto ] || [ "$PROFILE" = 1 ]; then
  if perf_usable; then PROFILE=1; else
    [ "$PROFILE" = 1 ] && echo "perf cannot sample here; no profile" >&2
    PROFILE=0
  fi
fi
record - profile_event - "$( [ "$PROFILE" = 1 ] && echo "$perf_event" || echo none)"

keys="$("$bin" keys generate)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
clk_tck="$(getconf CLK_TCK)"
# CPU time (user + system, in clock ticks) a process has used so far.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

# A database for one part of the run: sets url and data.
new_db() { # db label
  data="$work/$2-$1"
  mkdir -p "$data"
  if [ "$1" = postgres ]; then
    local name="bench_$$_$RANDOM"
    psql "$PG_ADMIN" -q -c "CREATE DATABASE $name" >/dev/null
    pg_dbs="${pg_dbs:-} $name"
    url="${PG_ADMIN%/*}/$name"
  else
    url="sqlite://$data/connectors.db"
  fi
}
cli() { env -u CONNECTORS_DATABASE_URL CONNECTORS_DATA_DIR="$data" CONNECTORS_ENCRYPTION_KEYS="$keys" "$bin" --database-url "$url" "$@"; }

# A fresh service process on the current database: sets server, port, base
# and start_ns. Scheduled checks are off unless the extra NAME=VALUE
# settings turn them on.
serve() { # log-name [NAME=VALUE...]
  local name="$1"; shift
  port="$(free_port)"
  local ready_ns
  start_ns="$(date +%s%N)"
  # Started directly (not through a shell function) so that $! is the server.
  env -u CONNECTORS_DATABASE_URL CONNECTORS_DATA_DIR="$data" CONNECTORS_ENCRYPTION_KEYS="$keys" \
    CONNECTORS_BIND="127.0.0.1:$port" CONNECTORS_LOG_LEVEL=warn CONNECTORS_CHECK_INTERVAL=off "$@" \
    "$bin" --database-url "$url" serve >"$work/$name.log" 2>&1 &
  server=$!
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.005; done
  ready_ns="$(date +%s%N)"
  startup_ms=$(( (ready_ns - start_ns) / 1000000 ))
  base="http://127.0.0.1:$port"
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# A wrk script that goes round the tenants of a targets file (slug, tenant
# id, token, connector id per line), each request as that tenant's token
# and, with {id} in the path, for that tenant's first connector. Each of
# wrk's two threads starts half way round from the other.
targets_lua() { # targets path-template out
  {
    echo "local tokens = {"; awk -F'\t' '{printf "\"%s\",\n", $3}' "$1"; echo "}"
    echo "local paths = {"; awk -F'\t' -v t="$2" '{p = t; k = index(t, "{id}"); if (k) p = substr(t, 1, k - 1) $4 substr(t, k + 4); printf "\"%s\",\n", p}' "$1"; echo "}"
    cat <<'LUA'
local n = #tokens
local threads = 0
function setup(thread) thread:set("first", threads); threads = threads + 1 end
function init(args) i = math.floor(first * n / 2) end
function request()
  i = i % n + 1
  return wrk.format("GET", paths[i], {["Authorization"] = "Bearer " .. tokens[i]})
end
LUA
  } > "$3"
}

# wrk: closed loop, 32 connections; refuses the run on any non-2xx answer.
# Prints requests/s; the whole output stays in $work/wrk-NAME.txt.
wrk_rps() { # name url [lua]
  local out="$work/wrk-$1.txt"
  if [ -n "${3:-}" ]; then
    wrk -t2 -c32 -d"${SECS}s" --latency -s "$3" "$2" > "$out"
  else
    wrk -t2 -c32 -d"${SECS}s" --latency -H "Authorization: Bearer $token" -H "Cookie: $cookie" "$2" > "$out"
  fi
  if grep -q "Non-2xx" "$out"; then
    echo "INVALID run for $1: $(grep Non-2xx "$out")" >&2
    echo "invalid"
    return
  fi
  awk '/Requests\/sec/ {print $2}' "$out"
}
# A percentile of the last wrk run of NAME, in ms.
wrk_pct() { # name 50|99
  awk -v p="$2%" '$1 == p {v = $2; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; printf "%.3f", v}' "$work/wrk-$1.txt"
}
# A closed-loop run with the service's CPU use beside it (cores busy).
wrk_measured() { # db name url [lua]
  local t0 t1 rps
  t0="$(cpu_ticks "$server")"
  rps="$(wrk_rps "$2" "$3" "${4:-}")"
  t1="$(cpu_ticks "$server")"
  record "$1" rps "$2" "$rps"
  record "$1" cores "$2" "$(awk -v d=$((t1 - t0)) -v hz="$clk_tck" -v s="$SECS" 'BEGIN {printf "%.2f", d / hz / s}')"
}

# The fixed-rate generator at 1,000 requests/s: p50, p99 and its lag.
fixed_rate() { # db name url [rate args...]
  local db="$1" name="$2" u="$3"; shift 3
  log "$db: $name at 1,000 requests per second"
  read -r p50 p99 bad lag < <("$helper" rate --url "$u" --rps 1000 --seconds "$RATE_SECS" "$@")
  [ "$bad" = 0 ] || { echo "INVALID fixed-rate run for $name: $bad non-2xx" >&2; p50=invalid; p99=invalid; }
  record "$db" p50_ms "$name" "$p50"
  record "$db" p99_ms "$name" "$p99"
  record "$db" generator_lag_p99_ms "$name" "$lag"
}

# perf record of the service while wrk runs the list (a run of its own,
# after the measured one); the self time per symbol goes to
# $work/profile-DB-NAME.txt, and the service's CPU use and the rate during
# the recording beside it.
profile_list() { # db name lua
  local db="$1" t0 t1 wall0 wall1
  log "$db: profile of $2 (perf, $perf_event)"
  wrk -t2 -c32 -d"${SECS}s" -s "$3" "$base$API/installed?limit=50" > "$work/wrk-profile-$db-$2.txt" &
  local load=$!
  sleep 0.5
  t0="$(cpu_ticks "$server")"; wall0="$(date +%s%N)"
  perf record -q -e "$perf_event" -F 999 --call-graph dwarf,8192 -p "$server" -o "$work/perf-$db.data" -- sleep $((SECS > 2 ? SECS - 1 : 1)) >/dev/null 2>&1
  t1="$(cpu_ticks "$server")"; wall1="$(date +%s%N)"
  wait "$load"
  record "$db" profile_rps "$2" "$(awk '/Requests\/sec/ {print $2}' "$work/wrk-profile-$db-$2.txt")"
  record "$db" profile_cores "$2" "$(awk -v d=$((t1 - t0)) -v hz="$clk_tck" -v ns=$((wall1 - wall0)) 'BEGIN {printf "%.3f", d / hz / (ns / 1e9)}')"
  perf report -i "$work/perf-$db.data" --no-children --sort dso,sym -g none --stdio --percent-limit 0 \
    --field-separator=$'\t' 2>/dev/null | grep -v '^#' | grep -v '^$' > "$work/profile-$db-$2.txt" || true
  rm -f "$work/perf-$db.data"
}

bench_db() { # sqlite|postgres
  local db="$1"
  new_db "$db" main
  log "$db: seeding $TENANTS tenants x $PER mixed connectors (+ g10, g100, g1000)"
  "$helper" seed --database-url "$url" --keys "$keys" --tenants "$TENANTS" --per "$PER" --growth
  local targets="$work/$db-targets.tsv" growth="$work/$db-growth.tsv"
  "$helper" principals --database-url "$url" --tenants "$TENANTS" --out "$targets"
  "$helper" principals --database-url "$url" --slug g10 --slug g100 --slug g1000 --out "$growth"
  echo "bench-password-1" | cli user create --tenant t00000 --email bench@localhost --role owner --password-stdin >/dev/null 2>&1
  local cred; cred="$(cli token create --tenant t00000 --email bench@localhost --scope credentials:read 2>/dev/null)"
  log "$db: checking the dataset against the service's validation"
  "$helper" check-dataset --database-url "$url" --keys "$keys" --targets "$targets" --sample 20 | tee "$work/check-$db.txt" >&2

  serve "$db"
  record "$db" startup_ms - "$startup_ms"
  local api="$base$API"
  token="$(awk -F'\t' 'NR == 1 {print $3}' "$targets")"
  local one; one="$(awk -F'\t' 'NR == 1 {print $4}' "$targets")"
  cookie="$(curl -s -D - -o /dev/null -X POST -H "Origin: $base" -d 'email=bench@localhost&password=bench-password-1' "$base/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')"
  local gtoken; gtoken="$(awk -F'\t' '$1 == "g1000" {print $3}' "$growth")"
  curl -sf -H "Authorization: Bearer $gtoken" "$api/installed?limit=200&catalog_key=wordpress" \
    | python3 -c 'import json,sys; [print(i["id"]) for i in json.load(sys.stdin)["items"]]' > "$work/ids.txt"

  targets_lua "$targets" "$API/installed?limit=50" "$work/list.lua"
  targets_lua "$targets" "$API/connectors/{id}" "$work/one.lua"
  targets_lua "$targets" "$API/publish-targets?limit=50" "$work/targets.lua"

  # Every read endpoint; the API's tenant-scoped reads go round every
  # tenant's token, the pages read as t00000's signed-in owner.
  local -A urls=(
    [list]="$api/installed?limit=50"
    [one]="$api/connectors/{id}"
    [publish_targets]="$api/publish-targets?limit=50"
    [audit]="$api/audit?limit=50"
    [catalog]="$api/catalog"
    [catalog_entry]="$api/catalog/linkedin"
    [catalog_html]="$base/features/connectors/catalog"
    [installed_html]="$base/features/connectors/installed"
    [form_new_html]="$base/features/connectors/forms/new/twitter"
    [form_edit_html]="$base/features/connectors/forms/$one/edit"
    [credentials]="$api/connectors/$one/credentials"
  )
  local rotating="list one publish_targets audit" pages="catalog_html installed_html form_new_html form_edit_html"
  for name in list one publish_targets audit; do
    curl -sf -o /dev/null -H "Authorization: Bearer $token" "${urls[$name]/"{id}"/$one}" || { echo "first response of $name failed" >&2; exit 1; }
  done
  for name in catalog catalog_entry $pages; do
    curl -sf -o /dev/null -H "Authorization: Bearer $token" -H "Cookie: $cookie" "${urls[$name]}" || { echo "first response of $name failed" >&2; exit 1; }
  done
  curl -sf -o /dev/null -H "Authorization: Bearer $cred" "${urls[credentials]}" || { echo "first response of credentials failed" >&2; exit 1; }

  log "$db: list closed loop (every tenant in turn)"
  wrk_measured "$db" list "$api/installed?limit=50" "$work/list.lua"
  if [ "$PROFILE" = 1 ]; then profile_list "$db" list "$work/list.lua"; fi
  log "$db: one connector closed loop (every tenant in turn)"
  wrk_measured "$db" one "$api/connectors" "$work/one.lua"
  log "$db: publish targets closed loop (every tenant in turn)"
  wrk_measured "$db" publish_targets "$api/publish-targets" "$work/targets.lua"
  for name in catalog catalog_html installed_html; do
    log "$db: $name closed loop"
    wrk_measured "$db" "$name" "${urls[$name]}"
  done

  # Latency runs come before the write runs, so that they measure the
  # seeded dataset and not the database catching up after a burst of
  # writes (autovacuum, checkpoints); each starts with a second of warm-up.
  # The credentials read, which writes an audit event, comes last.
  for name in $rotating; do
    fixed_rate "$db" "$name" "${urls[$name]}" --targets "$targets"
  done
  for name in catalog catalog_entry $pages; do
    fixed_rate "$db" "$name" "${urls[$name]}" --header "Authorization: Bearer $token" --header "Cookie: $cookie"
  done
  fixed_rate "$db" credentials "${urls[credentials]}" --header "Authorization: Bearer $cred"

  log "$db: growth (list latency by tenant size)"
  for g in g10 g100 g1000; do
    local t; t="$(awk -F'\t' -v g="$g" '$1 == g {print $3}' "$growth")"
    read -r p50 _ bad _ < <("$helper" rate --url "$api/installed?limit=50" --rps 200 --seconds 3 --header "Authorization: Bearer $t")
    [ "$bad" = 0 ] || { echo "INVALID growth run for $g: $bad non-2xx" >&2; p50=invalid; }
    record "$db" growth_p50_ms "$g" "$p50"
  done

  # Creates go round install bodies of the four types in the dataset's mix.
  { echo "local bodies = {"; "$helper" install-bodies --count 20 | sed 's/^{\(.*\)}$/[==[\1]==],/'; echo "}"; cat <<LUA
local n = 0
local id = 0
function setup(thread) thread:set("tid", n); n = n + 1 end
function init(args) id = tid; counter = 0; math.randomseed(os.time() + tid * 7919) end
function request()
  counter = counter + 1
  local body = string.format('{"name":"bench %d-%d-%d",', id, counter, math.random(1, 1000000000)) .. bodies[counter % #bodies + 1] .. '}'
  return wrk.format("POST", "$API/connectors", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $token"}, body)
end
LUA
  } > "$work/create.lua"
  log "$db: create closed loop"
  record "$db" rps create "$(wrk_rps create "$api/connectors" "$work/create.lua")"

  { echo "local ids = {"; sed 's/.*/"&",/' "$work/ids.txt"; echo "}"; cat <<LUA
local i = 0
function request()
  i = i + 1
  local id = ids[(i * 7919) % #ids + 1]
  local body = string.format('{"config":{"site_url":"https://u%d.example.com","username":"editor","default_status":"draft"}}', i)
  return wrk.format("PUT", "$API/connectors/" .. id, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $gtoken"}, body)
end
LUA
  } > "$work/update.lua"
  log "$db: update closed loop"
  record "$db" rps update "$(wrk_rps update "$api/connectors" "$work/update.lua")"

  record "$db" peak_rss_mb - "$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$server/status)"
  stop_server

  log "$db: raw database"
  if [ "$db" = sqlite ]; then
    record "$db" raw_rps list "$("$helper" sqlite-raw --db "$data/connectors.db" --targets "$targets" --threads 2 --seconds "$SECS" --json)"
    record "$db" raw_rps list_nojson "$("$helper" sqlite-raw --db "$data/connectors.db" --targets "$targets" --threads 2 --seconds "$SECS")"
    record "$db" raw_rps create "$("$helper" sqlite-raw-insert --db "$data/connectors.db" --keys "$keys" --seconds "$SECS")"
    "$helper" sqlite-plan --db "$data/connectors.db" > "$work/plan-$db.txt"
  else
    pgbench_list "$db" list "$targets"
    local tid cid
    tid="$(psql "$url" -tAc "SELECT id FROM tenants WHERE slug = 't00001'")"
    cid="$(psql "$url" -tAc "SELECT id FROM connector_catalog WHERE key = 'wordpress'")"
    "$helper" pg-insert-sql --keys "$keys" > "$work/insert.sql"
    record "$db" raw_rps create "$(pgbench -n -M prepared -c 32 -j 2 -T "$SECS" -D tid="$tid" -D cid="$cid" -f "$work/insert.sql" "$url" 2>/dev/null | awk '/^tps/ {print $3}')"
    # The plan for the tenant with 1,000 connectors, where a page is a
    # small part of the tenant's rows.
    local gid; gid="$(psql "$url" -tAc "SELECT id FROM tenants WHERE slug = 'g1000'")"
    "$helper" pg-list-sql > "$work/list-fixed.sql"
    psql "$url" -tAc "EXPLAIN $(sed "s/:tid/'$gid'/; s/:lim/51/; s/;\$//" "$work/list-fixed.sql")" | tr '\n' ' ' > "$work/plan-$db.txt"
  fi
}

# pgbench running the store's own list query, prepared, each transaction
# for a tenant drawn at random from the targets file (the same tenants the
# service run goes round), its id looked up by index inside the statement.
# Run with 4, 16 (the service's pool size) and 32 clients; each figure is
# recorded, and the best of them is the raw database's rate.
pgbench_list() { # db key targets
  psql "$url" -q -c "DROP TABLE IF EXISTS bench_tenant_index; CREATE TABLE bench_tenant_index (i int PRIMARY KEY, tenant_id text NOT NULL)" >/dev/null 2>&1
  awk -F'\t' '{print NR - 1 "\t" $2}' "$3" | psql "$url" -q -c "\\copy bench_tenant_index FROM STDIN" >/dev/null
  psql "$url" -q -c "ANALYZE bench_tenant_index" >/dev/null
  { echo "\\set i random(0, :n - 1)"; "$helper" pg-list-sql --tenant-lookup bench_tenant_index; } > "$work/list.sql"
  local best=0 c tps
  for c in 4 16 32; do
    tps="$(pgbench -n -M prepared -c "$c" -j 2 -T "$SECS" -D n="$(wc -l < "$3")" -D lim=51 -f "$work/list.sql" "$url" 2>/dev/null | awk '/^tps/ {print $3}')"
    record "$1" raw_rps "${2}_c$c" "$tps"
    best="$(awk -v a="$best" -v b="$tps" 'BEGIN {print (b + 0 > a + 0) ? b : a}')"
  done
  record "$1" raw_rps "$2" "$best"
}

# The scale run: SCALE_TENANTS x PER connectors, a fresh service process
# measured cold (nothing before the load but the readiness probe), the list
# going round every tenant; then the raw database on the same rows and
# the same tenants.
scale_db() { # db
  local db="$1"
  new_db "$db" scale
  log "$db: scale run, seeding $SCALE_TENANTS tenants x $PER mixed connectors"
  "$helper" seed --database-url "$url" --keys "$keys" --tenants "$SCALE_TENANTS" --per "$PER"
  local targets="$work/scale-$db-targets.tsv"
  "$helper" principals --database-url "$url" --tenants "$SCALE_TENANTS" --out "$targets"
  targets_lua "$targets" "$API/installed?limit=50" "$work/scale-list.lua"
  serve "scale-$db"
  log "$db: scale run, list closed loop on a cold service"
  wrk_measured "$db" scale_list "$base$API/installed?limit=50" "$work/scale-list.lua"
  record "$db" scale_wrk_p50_ms list "$(wrk_pct scale_list 50)"
  record "$db" scale_wrk_p99_ms list "$(wrk_pct scale_list 99)"
  if [ "$PROFILE" = 1 ]; then profile_list "$db" scale_list "$work/scale-list.lua"; fi
  fixed_rate "$db" scale_list "$base$API/installed?limit=50" --targets "$targets"
  record "$db" scale_rss_mb - "$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$server/status)"
  stop_server
  log "$db: scale run, raw database"
  if [ "$db" = sqlite ]; then
    record "$db" raw_rps scale_list "$("$helper" sqlite-raw --db "$data/connectors.db" --targets "$targets" --threads 2 --seconds "$SECS" --json)"
  else
    pgbench_list "$db" scale_list "$targets"
  fi
}

# Scheduled checks: CHECKS connectors of the mixed dataset made active and
# due, every catalog key's check sent to a stand-in on 127.0.0.2 that
# answers after CHECK_DELAY_MS, and a fresh service whose scheduler checks
# them (its default concurrency, an interval of 10 minutes, so that none is
# due again during the run). Measured from the process's start until the
# checks counted in /metrics reach CHECKS, and the server's peak memory.
checks_db() { # db
  local db="$1"
  new_db "$db" checks
  log "$db: scheduled checks, $CHECKS due connectors, a stand-in answering after $CHECK_DELAY_MS ms"
  "$helper" seed --database-url "$url" --keys "$keys" --tenants $(( (CHECKS + PER - 1) / PER )) --per "$PER"
  local due; due="$("$helper" make-due --database-url "$url" --count "$CHECKS")"
  [ "$due" = "$CHECKS" ] || { echo "make-due left $due connectors due, not $CHECKS" >&2; exit 1; }
  rm -f "$work/standin.port"
  "$helper" standin --delay-ms "$CHECK_DELAY_MS" > "$work/standin.port" &
  standin=$!
  local i=0
  until [ -s "$work/standin.port" ]; do
    i=$((i + 1)); [ "$i" -le 500 ] || { echo "the stand-in did not start" >&2; exit 1; }
    sleep 0.01
  done
  local s; s="http://127.0.0.2:$(head -1 "$work/standin.port")"
  serve "checks-$db" CONNECTORS_CHECK_INTERVAL=10m CONNECTORS_CHECK_ALLOW_NETWORKS=127.0.0.2/32 \
    CONNECTORS_PROVIDER_URLS="wordpress=$s,medium=$s,twitter=$s,linkedin=$s"
  # Bounded: at most 20 minutes of polling every 0.2 s.
  local done_ns="" n=0 checked=0
  while [ "$n" -lt 6000 ]; do
    checked="$(curl -sf "$base/metrics" | awk '/^connectors_checks_total\{/ {s += $NF} END {printf "%d", s}')"
    if [ "$checked" -ge "$CHECKS" ]; then done_ns="$(date +%s%N)"; break; fi
    n=$((n + 1)); sleep 0.2
  done
  local ok; ok="$(curl -sf "$base/metrics" | awk '/^connectors_checks_total\{/ && /code="ok"/ {s += $NF} END {printf "%d", s}')"
  record "$db" checks_rss_mb - "$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$server/status)"
  stop_server
  kill "$standin"; wait "$standin" 2>/dev/null || true; standin=""
  record "$db" checks_due - "$CHECKS"
  record "$db" checks_ok - "$ok"
  if [ -z "$done_ns" ]; then
    echo "INVALID scheduled-checks run on $db: $checked of $CHECKS checked in 20 minutes" >&2
    record "$db" checks_per_s - invalid
    return
  fi
  [ "$ok" = "$CHECKS" ] || echo "scheduled checks on $db: $ok of $CHECKS answered ok" >&2
  local secs; secs="$(awk -v d=$((done_ns - start_ns)) 'BEGIN {printf "%.2f", d / 1e9}')"
  record "$db" checks_seconds - "$secs"
  record "$db" checks_per_s - "$(awk -v n="$CHECKS" -v s="$secs" 'BEGIN {printf "%.1f", n / s}')"
}

# Other work on the machine shares its cores with the run: the 1-minute
# load average before the run starts says how much there was.
record - loadavg_start - "$(cut -d' ' -f1 /proc/loadavg)"
record - dataset_tenants - "$TENANTS"
record - dataset_per - "$PER"
record - scale_tenants - "$SCALE_TENANTS"
part() { [[ "$PARTS" == *" $1 "* ]]; }
if part main; then
  bench_db sqlite
  bench_db postgres
fi
if [ "$SCALE_TENANTS" != 0 ] && part scale; then
  scale_db sqlite
  scale_db postgres
fi
record - checks_delay_ms - "$CHECK_DELAY_MS"
if [ "$CHECKS" != 0 ] && part checks; then
  checks_db sqlite
  checks_db postgres
fi
record - binary_mb - "$(du -m "$bin" | cut -f1)"
record - bench_minutes - "$(awk -v s=$(( $(date +%s) - began )) 'BEGIN {printf "%.1f", s / 60}')"

if [ -n "${BENCH_RESULTS_DIR:-}" ]; then
  mkdir -p "$BENCH_RESULTS_DIR"
  cp "$results" "$work"/profile-*.txt "$work"/check-*.txt "$work"/plan-*.txt "$BENCH_RESULTS_DIR"/ 2>/dev/null || true
fi
python3 "$root/bench/report.py" "$results" "$work" "$root/docs"
