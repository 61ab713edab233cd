#!/usr/bin/env bash
# The whole path: network-up.sh, then chaincode-server.sh and deploy-chaincode.sh for the
# medledger chaincode. Afterwards, clients connect with connections/<MSP>.json.
#
#   FABRIC_BIN=<release>/bin MEDLEDGER_CHAINCODE=target/release/medledger-chaincode scripts/up.sh

here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/common.sh"

"$here/network-up.sh"
for cc in "${CHAINCODES[@]}"; do
  if [[ "$cc" == medledger ]]; then
    "$here/chaincode-server.sh" medledger
  else
    log "start the $cc server yourself: scripts/chaincode-server.sh $cc <command>..."
  fi
  "$here/deploy-chaincode.sh" "$cc"
done
log "ready: connection files in $KIT/connections (one per organisation)"
