#!/usr/bin/env bash
# Starts a chaincode server (chaincode as a service) with chaincode/<NAME>/server.env: the
# address the package's connection.json points at and the package id it registers with.
#
#   scripts/chaincode-server.sh [NAME [COMMAND...]]
#
# NAME defaults to medledger; its COMMAND defaults to the medledger-chaincode binary
# ($MEDLEDGER_CHAINCODE, else medledger-chaincode on PATH; build it with
# `cargo build --release -p medledger-chaincode`). Peers dial the server when a transaction
# first needs the chaincode, so it may start before or after the deployment.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

cc="${1:-medledger}"
[[ $# -gt 0 ]] && shift
def="$KIT/chaincode/$cc/definition.sh"
[[ -f "$def" ]] || die "no chaincode $cc in this kit (known: ${CHAINCODES[*]})"
# shellcheck source=/dev/null
source "$def"
if [[ $# -eq 0 ]]; then
  [[ "$cc" == medledger ]] || die "give the command that runs the $cc server: scripts/chaincode-server.sh $cc <command>..."
  bin="${MEDLEDGER_CHAINCODE:-$(command -v medledger-chaincode || true)}"
  [[ -n "$bin" && -x "$bin" ]] ||
    die "medledger-chaincode not found: build it (cargo build --release -p medledger-chaincode) and set MEDLEDGER_CHAINCODE to it or put it on PATH"
  set -- "$bin"
fi

name="chaincode-$cc"
if is_running "$name"; then
  log "$name is already running"
else
  log "starting the $cc chaincode server ($CC_PACKAGE_ID) on $CC_LISTEN"
  start_process "$name" "$KIT/chaincode/$cc/server.env" "$@"
fi
host="${CC_LISTEN%:*}"
[[ "$host" == 0.0.0.0 ]] && host=127.0.0.1
wait_for "$name" "listening on $CC_LISTEN" port_open "$host" "${CC_LISTEN##*:}"
log "$name serves on $CC_LISTEN"
