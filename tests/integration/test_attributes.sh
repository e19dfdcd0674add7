#!/usr/bin/env bash
# tests/integration/test_attributes.sh BUILD_DIR: object attributes and multipart details
# (issue 16) on a whole cluster (1 manager, 3 storage nodes, 1 gateway) with Debian's boto3
# (attributes.py): GetObjectAttributes, GET/HEAD ?partNumber, multipart checksums, a second
# CompleteMultipartUpload, ListMultipartUploads with a delimiter.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

t_cluster_boot attrs 3 --user alice
t_main_user alice
t_other_user bob
t_run_py "$here/attributes.py" 300
t_summary
