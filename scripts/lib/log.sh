# Sourced by the scripts: `log <tag> <message>` prints a progress line with the time elapsed since
# the first script of this command started (COUPONS_T0, exported so child scripts share it).
export COUPONS_T0=${COUPONS_T0:-$(date +%s)}
log_as() {
  local tag=$1 elapsed=$(($(date +%s) - COUPONS_T0))
  shift
  printf '\033[1;34m[%s %02d:%02d]\033[0m %s\n' "$tag" $((elapsed / 60)) $((elapsed % 60)) "$*"
}
