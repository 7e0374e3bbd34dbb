#!/usr/bin/env python3
"""Turns the benchmark's raw results into docs/performance.md, the CSV
beside it and an SVG plot of throughput and p99 per endpoint and database."""
import csv
import datetime
import os
import platform
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


ENDPOINTS = [
    ("list", "GET installed (page of 50)"),
    ("catalog", "GET catalog"),
    ("one", "GET one connector"),
    ("create", "POST create"),
    ("update", "PUT update"),
    ("catalog_html", "GET catalog page (HTML)"),
]
DBS = ["sqlite", "postgres"]

# CSV of every figure.
with open(os.path.join(docs, "performance.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["database", "metric", "endpoint", "value"])
    for r in rows:
        w.writerow(r)

# Ratios and targets.
checks = []


def ratio(a, b):
    a, b = num(a), num(b)
    return a / b if a is not None and b else None


for db in DBS:
    raw_list = get(db, "raw_rps", "list")
    r = ratio(get(db, "rps", "list"), raw_list)
    need = 0.6 if db == "postgres" else 0.5
    checks.append((f"{db}: list ≥ {need} of raw", r, r is not None and r >= need))
    r = ratio(get(db, "rps", "create"), get(db, "raw_rps", "create"))
    checks.append((f"{db}: create ≥ 0.5 of raw insert", r, r is not None and r >= 0.5))
    for ep in ["list", "catalog", "one", "catalog_html"]:
        p99 = num(get(db, "p99_ms", ep))
        checks.append((f"{db}: p99 ≤ 2 ms at 1,000 req/s, {ep}", p99, p99 is not None and p99 <= 2.0))
    rss = num(get(db, "peak_rss_mb"))
    checks.append((f"{db}: peak memory ≤ 100 MB", rss, rss is not None and rss <= 100))
startup = num(get("sqlite", "startup_ms"))
checks.append(("sqlite: start-up to ready ≤ 300 ms", startup, startup is not None and startup <= 300))
invalid = [r for r in rows if r[3] == "invalid"]
checks.append(("zero non-2xx answers in every run", len(invalid), not invalid))

# SVG: two panels (throughput, p99) of grouped bars.
def svg_plot():
    width, height, pad = 900, 420, 60
    colors = {"sqlite": "#3949ab", "postgres": "#00897b"}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height * 2}" font-family="sans-serif" font-size="12">']
    parts.append(f'<rect width="{width}" height="{height * 2}" fill="#fff"/>')
    panels = [("Throughput, requests/s (32 connections)", "rps", [e for e in ENDPOINTS]),
              ("p99 latency, ms, at 1,000 requests/s", "p99_ms", [e for e in ENDPOINTS if e[0] in ("list", "catalog", "one", "catalog_html")])]
    for pi, (title, metric, eps) in enumerate(panels):
        top = pi * height
        vals = [num(get(db, metric, e[0])) or 0 for e in eps for db in DBS]
        vmax = max(vals + [1]) * 1.15
        parts.append(f'<text x="{pad}" y="{top + 25}" font-size="15" font-weight="bold">{title}</text>')
        plot_h = height - 110
        base_y = top + 40 + plot_h
        parts.append(f'<line x1="{pad}" y1="{base_y}" x2="{width - 20}" y2="{base_y}" stroke="#333"/>')
        group_w = (width - pad - 20) / len(eps)
        bar_w = group_w / 3
        for gi, (key, label) in enumerate(eps):
            gx = pad + gi * group_w
            for di, db in enumerate(DBS):
                v = num(get(db, metric, key)) or 0
                h = plot_h * v / vmax
                x = gx + bar_w * (di + 0.5)
                parts.append(f'<rect x="{x:.1f}" y="{base_y - h:.1f}" width="{bar_w * 0.9:.1f}" height="{h:.1f}" fill="{colors[db]}"/>')
                parts.append(f'<text x="{x + bar_w * 0.45:.1f}" y="{base_y - h - 4:.1f}" text-anchor="middle" font-size="10">{v:.0f}</text>' if metric == "rps" else
                             f'<text x="{x + bar_w * 0.45:.1f}" y="{base_y - h - 4:.1f}" text-anchor="middle" font-size="10">{v:.2f}</text>')
            parts.append(f'<text x="{gx + group_w / 2:.1f}" y="{base_y + 16}" text-anchor="middle" font-size="11">{label.replace("GET ", "").replace(" (page of 50)", "")}</text>')
        for di, db in enumerate(DBS):
            parts.append(f'<rect x="{width - 190 + di * 90}" y="{top + 12}" width="12" height="12" fill="{colors[db]}"/><text x="{width - 174 + di * 90}" y="{top + 22}">{db}</text>')
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


mem = "unknown"
try:
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
except OSError:
    pass
pg_version = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()

out = []
out.append("# Performance\n")
out.append("Measured by `make bench` (`bench/run.sh`): the release binary on 127.0.0.1, "
           "load from `wrk` (closed loop, 2 threads, 32 connections) and from the project's "
           "open-loop generator (`connectors-bench rate`, fixed 1,000 requests/s after one second "
           "of warm-up, latency counted from when each request is sent), beside the raw database "
           "doing the same query on the same machine in the same run (`pgbench` with the store's "
           "own list query, prepared, for PostgreSQL; an in-project rusqlite loop on 2 threads "
           "with the store's query and connection settings for SQLite, its JSON written from a "
           "derived struct with config and tags passed through as they are stored). Any non-2xx "
           "answer marks a run invalid.\n")
out.append(f"- Date: {datetime.date.today().isoformat()}")
out.append(f"- Machine: {os.cpu_count()} cores ({cpu_model()}), {mem} RAM, {platform.system()} {platform.release()}; load generator on the same machine")
out.append(f"- Databases: SQLite (bundled), {pg_version}")
out.append(f"- Dataset: {os.environ.get('BENCH_TENANTS', '1000')} tenants × {os.environ.get('BENCH_PER', '50')} connectors, plus tenants with 10, 100 and 1,000 connectors")
out.append(f"- Binary size: {fmt(get('-', 'binary_mb'))} MB\n")
out.append("![Throughput and p99 latency per endpoint and database](performance.svg)\n")
out.append("The figures are also in [performance.csv](performance.csv).\n")
out.append("## Throughput and latency\n")
out.append("p50/p99 are measured at a fixed 1,000 requests/s from when each request is sent; "
           "the generator's own lag behind its schedule (its p99, in brackets) would add to them "
           "if latency were counted from the schedule.\n")
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
out.append("| work | service req/s | raw database /s | ratio |")
out.append("|---|---:|---:|---:|")
for db in DBS:
    for key, raw_key, label in [("list", "list", "list a page of 50"), ("create", "create", "insert one connector")]:
        r = ratio(get(db, "rps", key), get(db, "raw_rps", raw_key))
        out.append(f"| {db}: {label} | {fmt(get(db, 'rps', key))} | {fmt(get(db, 'raw_rps', raw_key))} | {fmt(r, 2) if r else '—'} |")
out.append(f"| sqlite: list without JSON encoding (raw only) | — | {fmt(get('sqlite', 'raw_rps', 'list_nojson'))} | — |")
out.append("\n## Growth and footprint\n")
out.append("| | SQLite | PostgreSQL |")
out.append("|---|---:|---:|")
for g in ["g10", "g100", "g1000"]:
    out.append(f"| list p50 ms, tenant with {g[1:]} connectors (page of 50) | {fmt(get('sqlite', 'growth_p50_ms', g), 2)} | {fmt(get('postgres', 'growth_p50_ms', g), 2)} |")
for label, rows_label in [("rows_1k", "1k"), ("rows_1M", "1M")]:
    out.append(f"| list p50 / p99 ms, tenant with 100 connectors, {rows_label} rows in the table | {fmt(get('sqlite', 'scale_p50_ms', label), 2)} / {fmt(get('sqlite', 'scale_p99_ms', label), 2)} | {fmt(get('postgres', 'scale_p50_ms', label), 2)} / {fmt(get('postgres', 'scale_p99_ms', label), 2)} |")
out.append(f"| peak memory under load, MB | {fmt(get('sqlite', 'peak_rss_mb'), 1)} | {fmt(get('postgres', 'peak_rss_mb'), 1)} |")
out.append(f"| start-up to ready, ms | {fmt(get('sqlite', 'startup_ms'))} | {fmt(get('postgres', 'startup_ms'))} |")
for db in DBS:
    p = os.path.join(work, f"plan-{db}.txt")
    if os.path.exists(p):
        out.append(f"\nQuery plan of the list query on {db}: `{open(p).read().strip()}`")
out.append("\n## Targets\n")
out.append("| target | measured | met |")
out.append("|---|---:|:---:|")
for name, value, ok in checks:
    shown = fmt(value, 2) if isinstance(value, float) else str(value)
    out.append(f"| {name} | {shown} | {'yes' if ok else '**no**'} |")
notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
if os.path.exists(notes):
    out.append("\n" + open(notes).read().strip() + "\n")
with open(os.path.join(docs, "performance.md"), "w") as f:
    f.write("\n".join(out) + "\n")
print("\n".join(out))
