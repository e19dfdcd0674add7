# scripts/lib/deps.sh: install the Debian packages cairn needs to build, test and run.
# Sourced by scripts/quickstart and scripts/test. Installs only what is missing.

CAIRN_BUILD_PKGS="build-essential autoconf automake libtool pkg-config git
libh2o-dev libuv1-dev libmicrohttpd-dev libssl-dev libcurl4-openssl-dev librocksdb-dev
libmsgpack-dev libcriterion-dev libisal-dev libjansson-dev libexpat1-dev libinih-dev
libraft-dev"
CAIRN_RUN_PKGS="curl ca-certificates python3 openssl"  # openssl: the link certificates (issue 22)
# iproute2: ip and bridge, for the multi-host tests in network namespaces (scripts/lib/netns.sh)
CAIRN_TEST_PKGS="awscli python3-boto3 s3cmd rclone iproute2"
# s3-compat-tests/js.sh also needs node >= 20 and npm on PATH: the AWS SDK for JavaScript v3
# pinned in s3-compat-tests/js/package-lock.json declares node >= 20, and Debian 12's nodejs is
# 18.20, so it is not installed from here (the CI machine has NodeSource's node 20, which
# brings npm; Debian's npm package would conflict with it).
# clang with libFuzzer and the sanitizer runtimes, for the fuzz stage of scripts/test (tests/fuzz/)
CAIRN_FUZZ_PKGS="clang libclang-rt-14-dev"
CAIRN_DASHBOARD_PKGS="chromium chromium-driver"  # headless browser for tests/integration/test_dashboard.sh, test_browser.sh
# HTTP load generator for bench/gateway-cache (ops/s and latency percentiles)
CAIRN_BENCH_PKGS="wrk"
# perf, for the profiles of bench/s3-load-run --perf (issue 19)
CAIRN_PROFILE_PKGS="linux-perf"

# cairn_deps_install [extra packages...]: apt-get install whatever is not installed yet.
cairn_deps_install() {
    local want="$CAIRN_BUILD_PKGS $CAIRN_RUN_PKGS $*" missing="" p sudo=""
    for p in $want; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { echo "cairn: need root (or sudo) to install:$missing" >&2; return 1; }
        sudo="sudo"
    fi
    echo "cairn: installing Debian packages:$missing"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
        >/dev/null || return 1
}
