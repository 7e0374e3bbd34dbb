#!/usr/bin/env python3
"""Turns the benchmark's raw results into docs/performance.md, the CSV
beside it and an SVG plot of throughput and p99 per endpoint and database.

    report.py RESULTS.tsv WORK_DIR DOCS_DIR

WORK_DIR holds what the run wrote beside the figures: the dataset checks
(check-DB.txt), the query plans (plan-DB.txt) and the profiles
(profile-DB.txt, perf's self time per symbol)."""
import csv
import datetime
import os
import platform
import re
import subprocess
import sys

results_path, work, docs = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [line.rstrip("\n").split("\t") for line in open(results_path) if line.strip()]
data = {}
for db, metric, endpoint, value in rows:
    data[(db, metric, endpoint)] = value


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def get(db, metric, endpoint="-"):
    return data.get((db, metric, endpoint))


def ratio(a, b):
    a, b = num(a), num(b)
    return a / b if a is not None and b else None


READS = [
    ("list", "GET installed (page of 50)"),
    ("one", "GET one connector"),
    ("publish_targets", "GET publish targets (page of 50)"),
    ("audit", "GET audit (page of 50)"),
    ("catalog", "GET catalog"),
    ("catalog_entry", "GET one catalog entry"),
    ("catalog_html", "catalog page (HTML)"),
    ("installed_html", "installed page (HTML)"),
    ("form_new_html", "add dialog (HTML)"),
    ("form_edit_html", "configure dialog (HTML)"),
    ("credentials", "GET credentials (audited: writes an event)"),
]
WRITES = [("create", "POST create"), ("update", "PUT update")]
ENDPOINTS = READS + WRITES
DBS = ["sqlite", "postgres"]
DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
MIX = "40% WordPress, 25% LinkedIn, 20% X, 15% Medium"

# CSV of every figure.
with open(os.path.join(docs, "performance.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["database", "metric", "endpoint", "value"])
    for r in rows:
        w.writerow(r)

# Ratios and targets.
checks = []
for db in DBS:
    name = DB_NAMES[db]
    if db == "postgres":
        r = ratio(get(db, "rps", "list"), get(db, "raw_rps", "list"))
        checks.append((f"{name}: list ≥ 0.8 of pgbench, mixed data", r, r is not None and r >= 0.8))
        if get(db, "rps", "scale_list"):
            r = ratio(get(db, "rps", "scale_list"), get(db, "raw_rps", "scale_list"))
            checks.append((f"{name}: list ≥ 0.8 of pgbench, scale run (cold service)", r, r is not None and r >= 0.8))
    else:
        r = ratio(get(db, "rps", "list"), get(db, "raw_rps", "list"))
        checks.append((f"{name}: list ≥ 0.7 of the raw loop, mixed data", r, r is not None and r >= 0.7))
    r = ratio(get(db, "rps", "create"), get(db, "raw_rps", "create"))
    checks.append((f"{name}: create ≥ 0.5 of raw insert", r, r is not None and r >= 0.5))
    for key, label in READS:
        p99 = num(get(db, "p99_ms", key))
        checks.append((f"{name}: p99 ≤ 1 ms at 1,000 req/s, {label}", p99, p99 is not None and p99 <= 1.0))
    rss = num(get(db, "peak_rss_mb"))
    checks.append((f"{name}: peak memory ≤ 100 MB", rss, rss is not None and rss <= 100))
startup = num(get("sqlite", "startup_ms"))
checks.append(("SQLite: start-up to ready ≤ 300 ms", startup, startup is not None and startup <= 300))
invalid = [r for r in rows if r[3] == "invalid"]
checks.append(("zero non-2xx answers in every run", len(invalid), not invalid))


# SVG: two panels (throughput, p99) of grouped bars.
def short(label):
    return (label.replace("GET ", "").replace(" (page of 50)", "").replace(" (HTML)", "")
            .replace(" (audited: writes an event)", ""))


def svg_plot():
    width, height, pad = 1200, 420, 60
    colors = {"sqlite": "#3949ab", "postgres": "#00897b"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height * 2}" font-family="sans-serif" font-size="12">']
    parts.append(f'<rect width="{width}" height="{height * 2}" fill="#fff"/>')
    closed = [e for e in ENDPOINTS if any(get(db, "rps", e[0]) for db in DBS)]
    panels = [("Throughput, requests/s (closed loop, 32 connections)", "rps", closed),
              ("p99 latency, ms, at 1,000 requests/s", "p99_ms", READS)]
    for pi, (title, metric, eps) in enumerate(panels):
        top = pi * height
        vals = [num(get(db, metric, e[0])) or 0 for e in eps for db in DBS]
        vmax = max(vals + [1]) * 1.15
        parts.append(f'<text x="{pad}" y="{top + 25}" font-size="15" font-weight="bold">{title}</text>')
        plot_h = height - 110
        base_y = top + 40 + plot_h
        parts.append(f'<line x1="{pad}" y1="{base_y}" x2="{width - 20}" y2="{base_y}" stroke="#333"/>')
        group_w = (width - pad - 20) / max(len(eps), 1)
        bar_w = group_w / 3
        for gi, (key, label) in enumerate(eps):
            gx = pad + gi * group_w
            for di, db in enumerate(DBS):
                v = num(get(db, metric, key)) or 0
                h = plot_h * v / vmax
                x = gx + bar_w * (di + 0.5)
                text = f"{v:.0f}" if metric == "rps" else f"{v:.2f}"
                parts.append(f'<rect x="{x:.1f}" y="{base_y - h:.1f}" width="{bar_w * 0.9:.1f}" height="{h:.1f}" fill="{colors[db]}"/>')
                parts.append(f'<text x="{x + bar_w * 0.45:.1f}" y="{base_y - h - 4:.1f}" text-anchor="middle" font-size="9">{text}</text>')
            parts.append(f'<text x="{gx + group_w / 2:.1f}" y="{base_y + 16}" text-anchor="middle" font-size="10">{short(label)}</text>')
        if metric == "p99_ms":
            y = base_y - plot_h * 1.0 / vmax
            parts.append(f'<line x1="{pad}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" stroke="#c62828" stroke-dasharray="4 3"/>')
            parts.append(f'<text x="{width - 22}" y="{y - 4:.1f}" text-anchor="end" font-size="10" fill="#c62828">target 1 ms</text>')
        for di, db in enumerate(DBS):
            parts.append(f'<rect x="{width - 220 + di * 100}" y="{top + 12}" width="12" height="12" fill="{colors[db]}"/><text x="{width - 204 + di * 100}" y="{top + 22}">{DB_NAMES[db]}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


with open(os.path.join(docs, "performance.svg"), "w") as f:
    f.write(svg_plot())


def fmt(v, digits=0):
    n = num(v)
    if n is None:
        return str(v) if v else "—"
    return f"{n:,.{digits}f}"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def read(path):
    try:
        return open(path).read().strip()
    except OSError:
        return None


# Profile: perf's self time per (object, symbol), grouped by what the code
# does. The first rule that matches a symbol names its group.
GROUPS = [
    ("kernel/syscalls", lambda dso, s: dso.startswith("[kernel") or s.startswith("[k]") or dso == "[vdso]"
     or re.search(r"__libc_(recv|send|read|write)|writev|readv|epoll|fcntl|getrandom|clock_gettime|pread|pwrite", s)),
    ("JSON encoding", lambda dso, s: re.search(r"serde_json::ser|serde(_core)?::ser|as serde(_core)?::ser::Serialize|SizedJson|format_escaped_str|itoa|ryu::", s)),
    ("JSON decoding", lambda dso, s: re.search(r"serde_json::(de|read|value::de)|serde(_core)?::de|Deserialize", s)),
    ("decryption/AEAD and secret states", lambda dso, s: re.search(r"aes|Aes|ghash|GHash|polyval|Polyval|aead|ctr::|cipher::|base64|secrets::|Envelope|KeyRing|zeroize", s)),
    ("schema/validation", lambda dso, s: re.search(r"jsonschema|regex|referencing::|CompiledEntry|validation", s)),
    ("allocation", lambda dso, s: re.search(r"\bmi_|_mi_|mimalloc|malloc|\bfree\b|realloc|__rust_(alloc|dealloc|realloc)|alloc::alloc|raw_vec|RawVec|_int_free|unlink_chunk|tcache", s)),
    ("JSON values, maps and hashing", lambda dso, s: re.search(r"indexmap|hashbrown|btree::|BTreeMap|core::hash|sip::Hasher|serde_json::(value|map)", s)),
    ("postgres protocol and rows", lambda dso, s: re.search(r"tokio_postgres|postgres_protocol|postgres_types|deadpool|fallible_iterator|storage::postgres", s)),
    # SQLite is compiled into the binary: its C functions are the binary's
    # symbols without a Rust path.
    ("SQLite engine and rows", lambda dso, s: re.search(r"sqlite3|rusqlite|storage::sqlite", s)
     or (dso == "connectors" and "::" not in s and not s.startswith("[.] 0x"))),
    ("locks (pthread)", lambda dso, s: re.search(r"pthread_mutex|lll_lock|futex", s)),
    ("HTTP (hyper, axum, tower)", lambda dso, s: re.search(r"hyper|\bhttp::|httparse|axum|tower|matchit|http_body", s)),
    ("tokio runtime", lambda dso, s: re.search(r"tokio::|mio::|parking_lot|futures_|std::sync|crossbeam|std::thread|syscall", s)),
    ("memory copy/compare (libc)", lambda dso, s: re.search(r"mem(move|cpy|set|cmp|chr)|str(len|cmp)", s)),
    ("UTF-8 checks", lambda dso, s: re.search(r"from_utf8|core::str::", s)),
    ("time formatting", lambda dso, s: re.search(r"chrono|domain::time", s)),
    ("service code (other)", lambda dso, s: "connectors::" in s),
]


def group_of(dso, sym):
    for name, rule in GROUPS:
        if rule(dso, sym):
            return name
    return "other"


def read_profile(db, name):
    text = read(os.path.join(work, f"profile-{db}-{name}.txt"))
    if not text:
        return None
    entries = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) < 3 or not parts[0].endswith("%"):
            continue
        pct = num(parts[0].rstrip("%"))
        if pct is None:
            continue
        entries.append((pct, parts[1], parts[2]))
    return entries or None


def clean_symbol(sym):
    sym = re.sub(r"^\[[.k]\]\s*", "", sym)
    if len(sym) > 90:
        sym = sym[:87] + "…"
    return sym.replace("|", "\\|").replace("`", "'")


def profile_section(db, name, title):
    entries = read_profile(db, name)
    if not entries:
        return []
    out = []
    rps, cores = num(get(db, "profile_rps", name)), num(get(db, "profile_cores", name))
    us = 1e6 * cores / rps if rps and cores is not None else None
    total = sum(p for p, _, _ in entries) or 1.0
    by_sym = {}
    for pct, dso, sym in entries:
        key = clean_symbol(sym)
        by_sym.setdefault(key, [0.0, dso])[0] += pct
    top = sorted(by_sym.items(), key=lambda kv: -kv[1][0])[:12]
    groups = {}
    for pct, dso, sym in entries:
        g = group_of(dso, sym)
        groups[g] = groups.get(g, 0.0) + pct
    out.append(f"\n### {DB_NAMES[db]}, {title}\n")
    out.append(f"{fmt(rps)} requests/s during the recording (perf costs some), the service "
               f"using {fmt(cores, 2)} cores: **{fmt(us, 0)} µs of service CPU per request** "
               f"(1e6 × cores busy / requests per second).\n")
    out.append("| symbol (self time) | object | % |")
    out.append("|---|---|---:|")
    for sym, (pct, dso) in top:
        out.append(f"| `{sym}` | {dso} | {pct * 100 / total:.1f} |")
    out.append("")
    out.append("| group | % of samples | µs per request |")
    out.append("|---|---:|---:|")
    for g, pct in sorted(groups.items(), key=lambda kv: -kv[1]):
        share = pct / total
        out.append(f"| {g} | {share * 100:.1f} | {fmt(us * share, 1) if us else '—'} |")
    line = ", ".join(f"{g} {us * pct / total:.0f}" for g, pct in sorted(groups.items(), key=lambda kv: -kv[1])) if us else ""
    if line:
        out.append(f"\nµs per request = {us:.0f}: {line}.")
    return out


mem = "unknown"
try:
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
except OSError:
    pass
pg_version = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
tenants = int(num(get("-", "dataset_tenants")) or 0)
per = int(num(get("-", "dataset_per")) or 0)
scale_tenants = int(num(get("-", "scale_tenants")) or 0)

out = []
out.append("# Performance\n")
out.append("Measured by `make bench` (`bench/run.sh`): the release binary on 127.0.0.1, "
           "load from `wrk` (closed loop, 2 threads, 32 connections) and from the project's "
           "open-loop generator (`connectors-bench rate`, fixed 1,000 requests/s after one second "
           "of warm-up, latency counted from when each request is sent), beside the raw database "
           "doing the same query on the same rows for the same tenants in the same run "
           "(`pgbench` with the store's own list query, prepared, for PostgreSQL; an in-project "
           "rusqlite loop on 2 threads with the store's query and connection settings for SQLite, "
           "its JSON written from a derived struct with config and tags passed through as they "
           "are stored). The tenant-scoped API reads (list, one connector, publish targets, "
           "audit) go round every tenant's token, so the whole table is read, not one tenant's "
           "rows. Any non-2xx answer marks a run invalid.\n")
out.append(f"- Date: {datetime.date.today().isoformat()}")
out.append(f"- Machine: {os.cpu_count()} cores ({cpu_model()}), {mem} RAM, {platform.system()} {platform.release()}; load generator and databases on the same machine")
out.append(f"- Databases: SQLite (bundled), {pg_version}")
if get("-", "loadavg_start"):
    out.append(f"- The machine's 1-minute load average when the run started (other work sharing the cores): {get('-', 'loadavg_start')}")
out.append(f"- Dataset: {tenants:,} tenants × {per} connectors ({tenants * per:,}), plus tenants with 10, 100 and 1,000 "
           f"connectors; mixed types ({MIX}), configs and secrets varied per row and valid for their type, "
           "rows created round-robin over the tenants across a year (so a tenant's rows are spread over the table), "
           "one or two audit events per connector")
if scale_tenants:
    out.append(f"- Scale run: {scale_tenants:,} tenants × {per} connectors ({scale_tenants * per:,}) of the same mix, on a fresh service process")
for db in DBS:
    c = read(os.path.join(work, f"check-{db}.txt"))
    if c:
        out.append(f"- Dataset check on {DB_NAMES[db]} (`connectors-bench check-dataset`): {c}")
out.append(f"- Binary size: {fmt(get('-', 'binary_mb'))} MB; the whole run took {fmt(get('-', 'bench_minutes'), 1)} minutes\n")
out.append("![Throughput and p99 latency per endpoint and database](performance.svg)\n")
out.append("The figures are also in [performance.csv](performance.csv).\n")
out.append("## Throughput and latency\n")
out.append("p50/p99 are measured at a fixed 1,000 requests/s from when each request is sent; "
           "the generator's own lag behind its schedule (its p99, in brackets) would add to them "
           "if latency were counted from the schedule. Pages are read as one signed-in owner; "
           "the credentials read (a token with `credentials:read`) writes an audit event each time.\n")
out.append("| endpoint | SQLite req/s | SQLite p50 / p99 ms (lag) | PostgreSQL req/s | PostgreSQL p50 / p99 ms (lag) |")
out.append("|---|---:|---:|---:|---:|")
for key, label in ENDPOINTS:
    cells = [label]
    for db in DBS:
        cells.append(fmt(get(db, "rps", key)))
        p50, p99, lag = get(db, "p50_ms", key), get(db, "p99_ms", key), get(db, "generator_lag_p99_ms", key)
        cells.append(f"{fmt(p50, 2)} / {fmt(p99, 2)} ({fmt(lag, 2)})" if p50 else "—")
    out.append("| " + " | ".join(cells) + " |")

out.append("\n## Beside the raw database\n")
out.append("`pgbench` runs with 4, 16 (the service's pool size) and 32 clients; the best of the three "
           "is the raw rate. Each of its transactions is for a tenant drawn at random from the same "
           "tenants the service run goes round, the tenant's id looked up inside the statement.\n")
out.append("| work | service req/s | raw database /s | ratio | target |")
out.append("|---|---:|---:|---:|---:|")


def ratio_row(label, svc, raw, target):
    r = ratio(svc, raw)
    out.append(f"| {label} | {fmt(svc)} | {fmt(raw)} | {fmt(r, 2) if r else '—'} | {target} |")


ratio_row("PostgreSQL: list a page of 50, mixed data", get("postgres", "rps", "list"), get("postgres", "raw_rps", "list"), "≥ 0.8")
if scale_tenants:
    ratio_row(f"PostgreSQL: list a page of 50, {scale_tenants * per:,} rows, cold service", get("postgres", "rps", "scale_list"), get("postgres", "raw_rps", "scale_list"), "≥ 0.8")
ratio_row("SQLite: list a page of 50, mixed data", get("sqlite", "rps", "list"), get("sqlite", "raw_rps", "list"), "≥ 0.7")
if scale_tenants:
    ratio_row(f"SQLite: list a page of 50, {scale_tenants * per:,} rows, cold service", get("sqlite", "rps", "scale_list"), get("sqlite", "raw_rps", "scale_list"), "—")
ratio_row("PostgreSQL: insert one connector", get("postgres", "rps", "create"), get("postgres", "raw_rps", "create"), "≥ 0.5")
ratio_row("SQLite: insert one connector", get("sqlite", "rps", "create"), get("sqlite", "raw_rps", "create"), "≥ 0.5")
out.append(f"| SQLite: list without JSON encoding (raw only) | — | {fmt(get('sqlite', 'raw_rps', 'list_nojson'))} | — | — |")
for key, label in [("list", "mixed data"), ("scale_list", "scale run")]:
    cs = [f"{c} clients {fmt(get('postgres', 'raw_rps', f'{key}_c{c}'))}" for c in (4, 16, 32) if get("postgres", "raw_rps", f"{key}_c{c}")]
    if cs:
        out.append(f"\npgbench, {label}: " + ", ".join(cs) + " transactions/s.")
cores = [f"{DB_NAMES[db]} {fmt(get(db, 'cores', 'list'), 2)}" for db in DBS if get(db, "cores", "list")]
if cores:
    out.append(f"\nCores the service kept busy during the list run (of {os.cpu_count()}, shared with wrk and the database): " + ", ".join(cores) + ".")

if scale_tenants:
    out.append("\n## Scale run\n")
    out.append(f"{scale_tenants:,} tenants × {per} connectors. The service is started fresh on the seeded "
               "database and the closed-loop list run starts right after the readiness probe, with no "
               "warm-up; every tenant's token is used in turn. The fixed-rate run follows it on the same "
               "process.\n")
    out.append("| | SQLite | PostgreSQL |")
    out.append("|---|---:|---:|")
    out.append(f"| list req/s, closed loop, cold | {fmt(get('sqlite', 'rps', 'scale_list'))} | {fmt(get('postgres', 'rps', 'scale_list'))} |")
    out.append(f"| list p50 / p99 ms, closed loop (32 connections) | {fmt(get('sqlite', 'scale_wrk_p50_ms', 'list'), 2)} / {fmt(get('sqlite', 'scale_wrk_p99_ms', 'list'), 2)} | {fmt(get('postgres', 'scale_wrk_p50_ms', 'list'), 2)} / {fmt(get('postgres', 'scale_wrk_p99_ms', 'list'), 2)} |")
    out.append(f"| list p50 / p99 ms (lag) at 1,000 req/s | {fmt(get('sqlite', 'p50_ms', 'scale_list'), 2)} / {fmt(get('sqlite', 'p99_ms', 'scale_list'), 2)} ({fmt(get('sqlite', 'generator_lag_p99_ms', 'scale_list'), 2)}) | {fmt(get('postgres', 'p50_ms', 'scale_list'), 2)} / {fmt(get('postgres', 'p99_ms', 'scale_list'), 2)} ({fmt(get('postgres', 'generator_lag_p99_ms', 'scale_list'), 2)}) |")
    out.append(f"| cores busy, closed loop | {fmt(get('sqlite', 'cores', 'scale_list'), 2)} | {fmt(get('postgres', 'cores', 'scale_list'), 2)} |")
    out.append(f"| peak memory, MB | {fmt(get('sqlite', 'scale_rss_mb'), 1)} | {fmt(get('postgres', 'scale_rss_mb'), 1)} |")

out.append("\n## Growth and footprint\n")
out.append("| | SQLite | PostgreSQL |")
out.append("|---|---:|---:|")
for g in ["g10", "g100", "g1000"]:
    out.append(f"| list p50 ms, tenant with {g[1:]} connectors (page of 50) | {fmt(get('sqlite', 'growth_p50_ms', g), 2)} | {fmt(get('postgres', 'growth_p50_ms', g), 2)} |")
out.append(f"| peak memory under load, MB | {fmt(get('sqlite', 'peak_rss_mb'), 1)} | {fmt(get('postgres', 'peak_rss_mb'), 1)} |")
out.append(f"| start-up to ready, ms | {fmt(get('sqlite', 'startup_ms'))} | {fmt(get('postgres', 'startup_ms'))} |")
for db in DBS:
    p = read(os.path.join(work, f"plan-{db}.txt"))
    if p:
        out.append(f"\nQuery plan of the list query on {DB_NAMES[db]}: `{p}`")

if any(get(db, "checks_due") for db in DBS):
    out.append("\n## Scheduled checks\n")
    out.append(f"The connectors of a fresh dataset of the same mix made active and due for a check "
               f"(`connectors-bench make-due`), every catalog entry's check sent to a stand-in on "
               f"127.0.0.2 that answers each request after {fmt(get('-', 'checks_delay_ms'))} ms "
               "(`connectors-bench standin`, through `CONNECTORS_PROVIDER_URLS` and "
               "`CONNECTORS_CHECK_ALLOW_NETWORKS=127.0.0.2/32`), and a fresh service process whose "
               "scheduler checks them at its default concurrency with an interval of 10 minutes "
               "(so none is due again during the run). Timed from the process's start until "
               "`connectors_checks_total` in `/metrics` counts every due connector.\n")
    out.append("| | SQLite | PostgreSQL |")
    out.append("|---|---:|---:|")
    out.append(f"| due connectors | {fmt(get('sqlite', 'checks_due'))} | {fmt(get('postgres', 'checks_due'))} |")
    out.append(f"| checks per second | {fmt(get('sqlite', 'checks_per_s'), 1)} | {fmt(get('postgres', 'checks_per_s'), 1)} |")
    out.append(f"| seconds until all were checked | {fmt(get('sqlite', 'checks_seconds'), 1)} | {fmt(get('postgres', 'checks_seconds'), 1)} |")
    out.append(f"| checks answered ok | {fmt(get('sqlite', 'checks_ok'))} | {fmt(get('postgres', 'checks_ok'))} |")
    out.append(f"| peak memory while they ran, MB | {fmt(get('sqlite', 'checks_rss_mb'), 1)} | {fmt(get('postgres', 'checks_rss_mb'), 1)} |")

profile_runs = [("list", "list of 50, mixed data"),
                ("scale_list", f"list of 50, scale run ({scale_tenants * per:,} rows)")]
profiles = [line for name, title in profile_runs for db in DBS for line in profile_section(db, name, title)]
if profiles:
    out.append("\n## Where the service's time goes\n")
    out.append(f"`perf record --call-graph dwarf` (event `{get('-', 'profile_event')}`, 999 Hz) of the service "
               "process during a closed-loop list run of its own after the measured one (mixed data; scale run); self time per symbol, "
               "then grouped by what the code does (the first matching rule in `bench/report.py` names a "
               "symbol's group; code inlined into a caller counts for the caller). The µs per request of "
               "a group is its share of the samples times the service's CPU time per request.")
    out.extend(profiles)

out.append("\n## Targets\n")
out.append("| target | measured | met |")
out.append("|---|---:|:---:|")
for name, value, ok in checks:
    shown = fmt(value, 2) if isinstance(value, float) else str(value)
    out.append(f"| {name} | {shown} | {'yes' if ok else '**no**'} |")
met = sum(1 for _, _, ok in checks if ok)
out.append(f"\n{met} of {len(checks)} targets met.")
notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
if os.path.exists(notes):
    out.append("\n" + open(notes).read().strip() + "\n")
with open(os.path.join(docs, "performance.md"), "w") as f:
    f.write("\n".join(out) + "\n")
print("\n".join(out))
