#!/usr/bin/env bash
# stress-tests.sh: run the measuring test packages N times in a row with a
# bounded CPU hog beside them, and print pass/fail per run. It checks that
# the tests' assertions hold on a loaded machine (docs/reliability.md).
# Not part of CI's default path: it takes minutes per run.
#
#   scripts/stress-tests.sh [-n RUNS] [-j HOGS] [-l LOCKFILE] [PACKAGE...]
#
#   -n RUNS      runs in a row (default 10)
#   -j HOGS      busy-loop processes beside the tests (default 1: another
#                measurement on the machine, as in the issue)
#   -l LOCKFILE  hold this flock(1) lock during each run, so that tests of other
#                checkouts on the machine do not measure at the same time
#                (default: none; e.g. -l /tmp/cnibench-test.lock)
#   PACKAGE...   default: the packages that measure or build namespaces
#
# Test binaries are built once, before the first run. Each run starts the
# hogs (each bounded by timeout(1)), runs every package's test binary in its
# directory, then ends the hogs by PID. Logs stay in a temporary directory
# whose path is printed. Exit status: 0 when every run passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

runs=10
hogs=1
lock=""
while getopts "n:j:l:h" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    j) hogs=$OPTARG ;;
    l) lock=$OPTARG ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
case $runs$hogs in *[!0-9]*) echo "stress-tests: -n and -j take whole numbers, e.g. -n 10 -j 2" >&2; exit 2 ;; esac
packages=("$@")
if [ ${#packages[@]} -eq 0 ]; then
  packages=(./internal/engine ./internal/netns ./internal/cluster/lab ./internal/bench ./internal/cli)
fi

# A package that runs longer than go test's default timeout is hung.
per_package_timeout=600
hog_seconds=$((per_package_timeout * ${#packages[@]}))

work=$(mktemp -d /tmp/cnibench-stress.XXXXXX)
echo "logs in $work"
echo "building test binaries for: ${packages[*]}"
for pkg in "${packages[@]}"; do
  go test -c -o "$work/$(basename "$pkg").test" "$pkg"
done

hog_pids=()
stop_hogs() {
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hog_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  hog_pids=()
}
trap stop_hogs EXIT

# one_run RUN: hogs on, every package once, hogs off; a line per package.
one_run() {
  local run=$1 failed=0 name log start
  for _ in $(seq "$hogs"); do
    timeout "$hog_seconds" sh -c 'while :; do :; done' &
    hog_pids+=($!)
  done
  for pkg in "${packages[@]}"; do
    name=$(basename "$pkg")
    log="$work/run$run-$name.log"
    start=$SECONDS
    if (cd "$pkg" && timeout "$per_package_timeout" "$work/$name.test" -test.count=1 -test.v >"$log" 2>&1); then
      printf 'run %d  %-8s PASS  %4ds\n' "$run" "$name" $((SECONDS - start))
    else
      failed=1
      printf 'run %d  %-8s FAIL  %4ds  %s\n' "$run" "$name" $((SECONDS - start)) \
        "$(grep -E '^\s*--- FAIL' "$log" | awk '{print $3}' | paste -sd' ' || true)"
      { grep -E -A3 '^\s*--- FAIL' "$log" | grep -E '_test\.go:[0-9]+:' | head -5 | sed 's/^ */        /'; } || true
    fi
  done
  stop_hogs
  return $failed
}

if [ -n "$lock" ]; then exec {lock_fd}>"$lock"; fi
passed=0
for run in $(seq "$runs"); do
  if [ -n "$lock" ]; then flock "$lock_fd"; fi
  if one_run "$run"; then passed=$((passed + 1)); fi
  if [ -n "$lock" ]; then flock -u "$lock_fd"; fi
done
echo "stress-tests: $passed of $runs runs passed with $hogs CPU hog(s) beside them (logs in $work)"
[ "$passed" -eq "$runs" ]
