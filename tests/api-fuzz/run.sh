#!/usr/bin/env bash
# API fuzzing with Schemathesis against /openapi.json of a fresh server on
# 127.0.0.1 (tests/support/serve.sh), once with an admin token and once with
# a member token: every default check, the coverage, fuzzing and stateful
# phases, bounded in examples and time. Exits non-zero on any failure.
#
# `positive_data_acceptance` is excluded on purpose, for what a static
# document cannot express: a connector's config is validated against the
# schema of the catalog entry its `catalog_key` names (422), an update at a
# version that is no longer current answers 412, a `cursor` must be one the
# list returned (422), and text holding control characters is refused (400
# in a query, 422 in a body). No check is excluded for a loose schema: every
# schema-violating request must be refused.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
version="4.32.5"
examples="${FUZZ_EXAMPLES:-40}"

if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

source "$here/../support/serve.sh"

# Something to find for the operations that take an id.
curl -sf -o /dev/null -X POST -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"catalog_key":"wordpress","name":"fuzz seed","config":{"site_url":"https://blog.example.com","username":"editor"}}' \
  "$base/features/connectors/api/connectors"

status=0
for who in admin member; do
  token="$admin"; [ "$who" = member ] && token="$member"
  echo "==> schemathesis as $who"
  timeout 600 "$venv/bin/schemathesis" run "$base/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks all --exclude-checks positive_data_acceptance \
    --phases coverage,fuzzing,stateful \
    --max-examples "$examples" --no-color || status=1
done
if serve_log | grep -q "panicked"; then
  echo "the server logged a panic" >&2
  status=1
fi
exit $status
