# Everyday commands. `make test` is the one CI runs.
CARGO ?= cargo
export CONNECTORS_TEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run test migrate seed-connectors lint fmt

## Serve on the embedded default (SQLite in ./data) at http://127.0.0.1:8080
run:
	$(CARGO) run --release

## Every test: unit, and integration on SQLite and PostgreSQL
test:
	$(CARGO) test --all-targets

## Apply pending migrations to the configured database
migrate:
	$(CARGO) run --release -- migrate

## Seed the built-in catalog (idempotent)
seed-connectors:
	$(CARGO) run --release -- seed

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
