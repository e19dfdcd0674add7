# tests/integration/lib.sh: checks and reporting for the cluster tests (bash).
# Each test script sources this, calls check/expect_* and ends with t_summary, which prints
# "N passed, N failed" and exits non-zero on any failure.

T_PASS=0
T_FAIL=0
# On TERM/INT (the runner's time limit, ^C) exit through the script's EXIT trap, which stops
# the daemons it started.
trap 'echo "FAIL interrupted by a signal"; exit 143' TERM INT

t_ok() {
    T_PASS=$((T_PASS + 1))
    echo "ok   $1"
}

t_bad() {
    T_FAIL=$((T_FAIL + 1))
    echo "FAIL $1"
    if [ -n "${2:-}" ]; then printf '%s\n' "$2" | tail -n 15 | sed 's/^/     | /'; fi
}

# check NAME CMD...: passes when CMD exits 0; returns CMD's success so callers can stop early.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        t_ok "$name"
    else
        t_bad "$name" "$out"
        return 1
    fi
}

# t_abort REASON: records a failure and ends the test script now (cleanup runs from its trap).
t_abort() {
    t_bad "$1"
    t_summary
    exit 1
}

# expect_eq NAME WANT GOT
expect_eq() {
    if [ "$2" = "$3" ]; then t_ok "$1"; else t_bad "$1" "want: $2
got:  $3"; fi
}

# expect_match NAME REGEX TEXT
expect_match() {
    if printf '%s' "$3" | grep -E -- "$2" >/dev/null; then t_ok "$1"; else t_bad "$1" "no match for /$2/ in:
$3"; fi
}

# expect_match_i NAME REGEX TEXT: the same, ignoring case (HTTP header names).
expect_match_i() {
    if printf '%s' "$3" | grep -Eiq -- "$2"; then t_ok "$1"; else t_bad "$1" "no match for /$2/i in:
$3"; fi
}

t_summary() {
    echo
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
}
