#!/usr/bin/env bash
# tests/integration/test_soak.sh BUILD_DIR: the CI version of bench/soak (issue 8): a bounded
# mixed S3 load for SOAK_SECONDS (default 120) with 4 clients on a fresh cluster; passes when
# the load saw no error, no daemon died, and no daemon's RSS grew by more than 64 MiB or its
# open descriptors by more than 16 between the end of the warm-up and the end of the run.
# The long run (20 minutes, the default of bench/soak) is documented in docs/SECURITY.md.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

out=$(SOAK_SECONDS=${SOAK_SECONDS:-120} SOAK_CLIENTS=${SOAK_CLIENTS:-4} "$src/bench/soak" "$build" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/     /'
expect_match "the soak load saw no errors" '^errors: 0$' "$out"
if [ $rc -eq 0 ]; then
    t_ok "soak: no daemon died, RSS and descriptors flat"
else
    t_bad "soak: no daemon died, RSS and descriptors flat" "$(printf '%s\n' "$out" | grep 'soak:')"
fi
t_summary
