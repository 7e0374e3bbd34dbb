# Everyday commands. `make test` is the one CI runs.
CARGO ?= cargo
export CONNECTORS_TEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run test test-rust test-browser test-oidc test-api-fuzz test-api-clients browser-deps oidc-deps bench migrate seed-connectors lint fmt

## Serve on the embedded default (SQLite in ./data) at http://127.0.0.1:8080
run:
	$(CARGO) run --release

## Every test: the OAuth test server's self-test, unit, integration on SQLite
## and PostgreSQL, browser, API fuzzing, the OpenAPI document and the clients
## generated from it
test: test-oidc test-rust test-browser test-api-fuzz test-api-clients

## The local OAuth 2.0 authorization server the Rust and browser tests start
## (tests/support/oidc, oidc-provider), checked on its own
test-oidc: oidc-deps
	cd tests/support/oidc && npm test

test-rust: oidc-deps
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --test it -- --ignored --exact --test-threads=1 faults::postgres_restarted_under_load

## End-to-end tests in headless Chromium (needs /usr/bin/chromium)
test-browser: browser-deps oidc-deps
	$(CARGO) build
	cd tests/browser && npm test

## Schemathesis against /openapi.json, as an admin and as a member
test-api-fuzz:
	$(CARGO) build
	bash tests/api-fuzz/run.sh

## /openapi.json through openapi-spec-validator and Redocly (recommended), then
## Python (openapi-python-client) and TypeScript (openapi-typescript +
## openapi-fetch, tsc --strict) clients generated from it run the main flows
test-api-clients:
	$(CARGO) build
	bash tests/api-clients/run.sh

browser-deps: tests/browser/node_modules/.package-lock.json

tests/browser/node_modules/.package-lock.json: tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund

oidc-deps: tests/support/oidc/node_modules/.package-lock.json

tests/support/oidc/node_modules/.package-lock.json: tests/support/oidc/package.json tests/support/oidc/package-lock.json
	cd tests/support/oidc && npm ci --no-audit --no-fund

## Benchmark both databases beside the raw database; writes docs/performance.md
bench:
	bash bench/run.sh

## Apply pending migrations to the configured database
migrate:
	$(CARGO) run --release -- migrate

## Seed the built-in catalog (idempotent)
seed-connectors:
	$(CARGO) run --release -- seed

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all
