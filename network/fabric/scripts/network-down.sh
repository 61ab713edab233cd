#!/usr/bin/env bash
# Stops the kit's chaincode servers, peers and orderers (SIGTERM, then SIGKILL after
# KIT_TIMEOUT seconds).
#
#   scripts/network-down.sh            keep the ledgers (network-up.sh resumes them)
#   scripts/network-down.sh --clean    also remove data/, logs/ and run/

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for cc in "${CHAINCODES[@]}"; do
  stop_process "chaincode-$cc"
done
for name in "${PEERS[@]}"; do
  stop_process "$name"
done
for name in "${ORDERERS[@]}"; do
  stop_process "$name"
done
if [[ "${1:-}" == --clean ]]; then
  rm -rf "$KIT/data" "$KIT/logs" "$KIT/run"
  log "removed data/, logs/ and run/"
fi
