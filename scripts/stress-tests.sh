#!/usr/bin/env bash
# stress-tests.sh: run the measuring test packages N times in a row with a
# bounded CPU hog beside them, print pass/fail per run and the totals at the
# end. It checks that the tests' assertions hold on a loaded machine
# (docs/reliability.md). Not part of CI's default path: it takes minutes per run.
#
#   scripts/stress-tests.sh [-n RUNS] [-j HOGS] [-l LOCKFILE] [-r REGEXP] [PACKAGE...]
#
#   -n RUNS      runs in a row (default 10)
#   -j HOGS      busy-loop processes beside the tests (default 1: another
#                measurement on the machine, as in the issue)
#   -l LOCKFILE  hold this flock(1) lock during each run, so that tests of other
#                checkouts on the machine do not measure at the same time
#                (default: none; e.g. -l /tmp/cnibench-test.lock)
#   -r REGEXP    run only the tests that match, as go test -run does
#                (e.g. -r 'TestLabGroundTruth|TestLabCompare')
#   PACKAGE...   default: the packages that measure or build namespaces
#
# Test binaries are built once, before the first run. Each run starts the
# hogs (each bounded by timeout(1)), runs every package's test binary in its
# directory, then ends the hogs by PID. A test that skips (a measuring test
# that was CPU-starved in every attempt says so and skips) is counted apart:
# it did not fail, and it checked nothing. Logs stay in a temporary directory
# whose path is printed. Exit status: 0 when every run passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

runs=10
hogs=1
lock=""
run_regexp=""
while getopts "n:j:l:r:h" opt; do
  case $opt in
    n) runs=$OPTARG ;;
    j) hogs=$OPTARG ;;
    l) lock=$OPTARG ;;
    r) run_regexp=$OPTARG ;;
    *) sed -n '2,24p' "$0"; exit 2 ;;
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

run_args=(-test.count=1 -test.v)
if [ -n "$run_regexp" ]; then run_args+=("-test.run=$run_regexp"); fi

# Totals over the runs: per package, runs passed; per test, times it failed
# or skipped ("package test" keys).
declare -A pkg_passed=() test_failed=() test_skipped=()

hog_pids=()
stop_hogs() {
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hog_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  hog_pids=()
}
trap stop_hogs EXIT

# tests_that STATUS LOG: the tests (and subtests) that ended so, on one line.
tests_that() {
  { grep -E "^\s*--- $1" "$2" | awk '{print $3}' | paste -sd' '; } || true
}

# one_run RUN: hogs on, every package once, hogs off; a line per package.
one_run() {
  local run=$1 failed=0 name log start status fails skips t
  for _ in $(seq "$hogs"); do
    timeout "$hog_seconds" sh -c 'while :; do :; done' &
    hog_pids+=($!)
  done
  for pkg in "${packages[@]}"; do
    name=$(basename "$pkg")
    log="$work/run$run-$name.log"
    start=$SECONDS
    if (cd "$pkg" && timeout "$per_package_timeout" "$work/$name.test" "${run_args[@]}" >"$log" 2>&1); then
      status=PASS
      pkg_passed[$name]=$((${pkg_passed[$name]:-0} + 1))
    else
      status=FAIL
      failed=1
    fi
    fails=$(tests_that FAIL "$log")
    skips=$(tests_that SKIP "$log")
    for t in $fails; do test_failed["$name $t"]=$((${test_failed["$name $t"]:-0} + 1)); done
    for t in $skips; do test_skipped["$name $t"]=$((${test_skipped["$name $t"]:-0} + 1)); done
    printf 'run %d  %-8s %s  %4ds  %s%s\n' "$run" "$name" "$status" $((SECONDS - start)) \
      "${fails:+failed: $fails}" "${skips:+ skipped: $skips}"
    if [ "$status" = FAIL ]; then
      { grep -E -B4 '^\s*--- FAIL' "$log" | grep -E '_test\.go:[0-9]+:' | head -5 | sed 's/^ */        /'; } || true
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
echo
echo "totals over $runs run(s) with $hogs CPU hog(s)${run_regexp:+, tests matching $run_regexp}:"
for pkg in "${packages[@]}"; do
  name=$(basename "$pkg")
  printf '  %-8s passed %d of %d\n' "$name" "${pkg_passed[$name]:-0}" "$runs"
done
for key in "${!test_failed[@]}"; do printf '  %-8s %s failed %d of %d\n' ${key} "${test_failed[$key]}" "$runs"; done | sort
for key in "${!test_skipped[@]}"; do printf '  %-8s %s skipped %d of %d (checked nothing)\n' ${key} "${test_skipped[$key]}" "$runs"; done | sort
echo "stress-tests: $passed of $runs runs passed with $hogs CPU hog(s) beside them (logs in $work)"
[ "$passed" -eq "$runs" ]
