# Sourced by the check and test scripts: runs their steps as named stages,
# keeps how long each took, and prints one table of them when the outermost
# script ends, whether it passed or failed (CI reads it at the end of its log).

# The scripts nest (test.sh runs check.sh): the outermost one owns the list.
if [ -z "${MDN_STAGES:-}" ]; then
  MDN_STAGES=$(mktemp "${TMPDIR:-/tmp}/mdn-stages.XXXXXX")
  export MDN_STAGES
  MDN_STAGES_START=$(date +%s)
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
  printf '%s\t%s\t%s\n' "$name" "$(($(date +%s) - t0))" "$([ "$rc" -eq 0 ] && echo ok || echo "FAILED ($rc)")" >>"$MDN_STAGES"
  return "$rc"
}

minutes() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

stages_report() {
  local rc=$? name seconds outcome
  printf '\n==> stage timings (m:ss)\n\n| stage | time | result |\n| --- | --- | --- |\n'
  while IFS=$'\t' read -r name seconds outcome; do
    printf '| %s | %s | %s |\n' "$name" "$(minutes "$seconds")" "$outcome"
  done <"$MDN_STAGES"
  printf '| total | %s | %s |\n' "$(minutes $(($(date +%s) - MDN_STAGES_START)))" "$([ "$rc" -eq 0 ] && echo passed || echo "FAILED ($rc)")"
  rm -f "$MDN_STAGES"
}
