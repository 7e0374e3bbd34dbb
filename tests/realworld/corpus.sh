#!/usr/bin/env bash
# Checks a directory of Airbyte connector specs end to end, outside the
# test suite: every spec is imported with `connectors catalog import`
# (--key from the file name up to its first dot, --name and --category from
# a KEY.metadata.yaml beside it, as Airbyte's metadata.yaml has them),
# installed with sample values through the API of a running service on a
# fresh SQLite database (the first branch of every choice, then the second
# where there is one), and checked: no secret in any answer (create, read,
# list, publish targets, the configure dialog) or in the SQLite file in
# clear, and the credentials read gives each back at its place.
#
# Prints: total, worked end to end, refused (by the structural keyword the
# refusal names), other failures (listed). Exits non-zero below 95% worked,
# on a refusal for a keyword that is not structural, or on a secret found in
# clear.
#
# Usage: tests/realworld/corpus.sh DIR
#   DIR holds spec files (KEY.spec.json, KEY.spec.yaml, KEY.manifest.yaml:
#   a spec.json/spec.yaml with `connectionSpecification`, or a declarative
#   manifest.yaml with `spec`), one per connector, and optionally
#   KEY.metadata.yaml files.
set -euo pipefail

if [ "$#" -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    [ "$#" -eq 1 ] && exit 0 || exit 2
fi
if [ ! -d "$1" ]; then
    echo "corpus.sh: $1 is not a directory" >&2
    exit 2
fi
dir=$(cd "$1" && pwd)
cd "$(dirname "$0")/../.."
CONNECTORS_REALWORLD_CORPUS="$dir" exec cargo test --test it \
    realworld::corpus_end_to_end -- --ignored --exact --nocapture
