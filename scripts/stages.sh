# Sourced by the check and test scripts: runs their steps as named stages,
# keeps when each started and how long it took, and prints one table of them
# when the outermost script ends, whether it passed or failed (CI reads it at
# the end of its log). A lane runs stages in the background beside the
# script's own (test.sh builds the page while the native tests compile).
# Run as a script, `bash scripts/stages.sh NAME COMMAND...` is one stage
# (for a lane of one).

# The scripts nest (test.sh runs check.sh): the outermost one owns the list.
if [ -z "${MDN_STAGES:-}" ]; then
  MDN_STAGES=$(mktemp "${TMPDIR:-/tmp}/mdn-stages.XXXXXX")
  export MDN_STAGES
  MDN_STAGES_START=$(date +%s)
  export MDN_STAGES_START
  trap 'stages_report' EXIT
fi

# stage NAME COMMAND...: runs COMMAND under a heading and records its time
# and outcome; returns COMMAND's status (so `set -e` stops at a failure).
stage() {
  local name=$1
  shift
  printf '\n==> %s\n' "$name"
  local t0 rc=0
  t0=$(date +%s)
  "$@" || rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$((t0 - MDN_STAGES_START))" "$(($(date +%s) - t0))" "$([ "$rc" -eq 0 ] && echo ok || echo "FAILED ($rc)")" >>"$MDN_STAGES"
  return "$rc"
}

# lane COMMAND...: starts COMMAND (a script of stages) in the background,
# in a process group of its own so that it can be stopped whole, its output
# kept until it is joined. Several may run at once (test.sh starts the
# integration tests while the page still builds); they are joined in the
# order they started.
MDN_LANE_PIDS=()
MDN_LANE_LOGS=()
lane() {
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/mdn-lane.XXXXXX")
  printf '\n==> started in the background: %s (its output follows when it ends)\n' "$*"
  setsid -w "$@" >"$log" 2>&1 &
  MDN_LANE_PIDS+=("$!")
  MDN_LANE_LOGS+=("$log")
}

# end_lane HEADING: prints the oldest lane's output under HEADING and
# forgets that lane.
end_lane() {
  printf '\n==> %s\n' "$1"
  cat "${MDN_LANE_LOGS[0]}"
  rm -f "${MDN_LANE_LOGS[0]}"
  MDN_LANE_PIDS=("${MDN_LANE_PIDS[@]:1}")
  MDN_LANE_LOGS=("${MDN_LANE_LOGS[@]:1}")
}

# join_lane: waits for the oldest lane, prints its output, returns its
# status.
join_lane() {
  local rc=0
  wait "${MDN_LANE_PIDS[0]}" || rc=$?
  end_lane 'a background lane'
  return "$rc"
}

# A script that stops while its lanes still run (a failed stage) stops
# them too, and shows what they had printed.
stop_lanes() {
  while [ ${#MDN_LANE_PIDS[@]} -gt 0 ]; do
    kill -- "-${MDN_LANE_PIDS[0]}" 2>/dev/null || true
    wait "${MDN_LANE_PIDS[0]}" 2>/dev/null || true
    end_lane 'a background lane, stopped'
  done
}

minutes() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

stages_report() {
  local rc=$? name start seconds outcome
  stop_lanes
  printf '\n==> stage timings (m:ss; stages of background lanes overlap others)\n\n| stage | started | time | result |\n| --- | --- | --- | --- |\n'
  sort -s -t $'\t' -k2,2n "$MDN_STAGES" | while IFS=$'\t' read -r name start seconds outcome; do
    printf '| %s | %s | %s | %s |\n' "$name" "$(minutes "$start")" "$(minutes "$seconds")" "$outcome"
  done
  printf '| total | | %s | %s |\n' "$(minutes $(($(date +%s) - MDN_STAGES_START)))" "$([ "$rc" -eq 0 ] && echo passed || echo "FAILED ($rc)")"
  rm -f "$MDN_STAGES"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  stage "$@"
fi
