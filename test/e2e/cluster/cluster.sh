#!/usr/bin/env bash
# Thin wrapper around the e2e cluster harness (see docs/e2e.md):
#   test/e2e/cluster/cluster.sh up [-cni bridge|flannel-vxlan|flannel-host-gw] [-nodes N] [-ip-family dual|4]
#   test/e2e/cluster/cluster.sh status | down | build | logs | kubectl ARGS...
#   test/e2e/cluster/cluster.sh restart-apiserver [-away 10s]
set -euo pipefail
cd "$(dirname "$0")/../../.."
exec go run ./test/e2e/cluster/cmd "$@"
