#!/usr/bin/env bash
# s3-compat-tests/js.sh: the AWS SDK for JavaScript v3 (js/sdk_compat.mjs) against a running
# gateway (run by s3-compat-tests/run, which exports S3_ENDPOINT, COMPAT_BUILD and the
# credentials). The npm packages are installed with `npm ci` from js/package-lock.json into
# $CAIRN_COMPAT_NPM_DIR (default BUILD/s3-compat-js), once: a later run reuses them while the
# lock file is unchanged. Needs node >= 20 (the pinned SDK's "engines"; Debian 12's nodejs 18
# is not enough) and npm; registry access the first time only.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "SKIPSUITE node >= 20 and npm are not on PATH (NodeSource nodejs 20+)"; exit 2; }
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
    echo "FAIL node $(node --version) is older than 20, the floor of the pinned AWS SDK v3 (Debian 12's nodejs 18 is not enough; install NodeSource's node 20+)"
    exit 1
fi
echo "# node $(node --version), npm $(npm --version 2>/dev/null)"

dir=${CAIRN_COMPAT_NPM_DIR:-${COMPAT_BUILD:?}/s3-compat-js}
mkdir -p "$dir"
if ! cmp -s "$here/js/package-lock.json" "$dir/package-lock.json" || [ ! -d "$dir/node_modules/@aws-sdk/client-s3" ]; then
    cp "$here/js/package.json" "$here/js/package-lock.json" "$dir/"
    rm -rf "$dir/node_modules"
    if ! (cd "$dir" && timeout 180 npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
        echo "FAIL npm ci of @aws-sdk/client-s3 and @aws-sdk/lib-storage (see $dir/npm.log)"
        tail -n 10 "$dir/npm.log" | sed 's/^/     | /'
        rm -f "$dir/package-lock.json" # try again next time
        exit 1
    fi
fi
cp "$here/js/sdk_compat.mjs" "$dir/"
v=$(node -p 'require(process.argv[1] + "/node_modules/@aws-sdk/client-s3/package.json").version' "$dir" 2>/dev/null)
echo "# @aws-sdk/client-s3 $v"
# NODE_NO_WARNINGS: the SDK warns that its 2027 releases will want node 22
NODE_NO_WARNINGS=1 exec node "$dir/sdk_compat.mjs" compat-js
