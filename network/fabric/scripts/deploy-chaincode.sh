#!/usr/bin/env bash
# Deploys a chaincode through Fabric's lifecycle, as every organisation's admin:
#
#   scripts/deploy-chaincode.sh [NAME]     (default: every chaincode of the kit)
#
# 1. peer lifecycle chaincode install on every peer (the CCaaS package: metadata.json +
#    code.tar.gz/connection.json; the peer's ccaas builder keeps connection.json), then
#    queryinstalled to check the package id.
# 2. approveformyorg per organisation: name, version, sequence, package id, the endorsement
#    policy (--signature-policy) and the private data collections (--collections-config).
# 3. checkcommitreadiness: which organisations approved.
# 4. commit, endorsed by one peer of every organisation (the channel's LifecycleEndorsement
#    policy), then querycommitted.
# Safe to run again: installed packages, approvals and a committed definition are kept.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fabric_setup

deploy() {
  local cc="$1"
  local def="$KIT/chaincode/$cc/definition.sh"
  [[ -f "$def" ]] || die "no chaincode $cc in this kit (known: ${CHAINCODES[*]})"
  # shellcheck source=/dev/null
  source "$def"
  local package="$KIT/$CC_PACKAGE_FILE"
  local definition=(--channelID "$CHANNEL" --name "$CC_NAME" --version "$CC_VERSION" --sequence "$CC_SEQUENCE")
  [[ -n "$CC_POLICY" ]] && definition+=(--signature-policy "$CC_POLICY")
  [[ -n "$CC_COLLECTIONS" ]] && definition+=(--collections-config "$KIT/$CC_COLLECTIONS")
  [[ "$CC_INIT_REQUIRED" == true ]] && definition+=(--init-required)
  local i msp address

  local committed
  committed="$(as_admin "${ORGS[0]}" peer lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CC_NAME" --output json 2>/dev/null || true)"
  if grep -Eq "\"sequence\": *$CC_SEQUENCE," <<<"$committed"; then
    log "$CC_NAME sequence $CC_SEQUENCE is already committed on $CHANNEL"
    return 0
  fi

  for i in "${!PEERS[@]}"; do
    msp="${PEER_MSPS[$i]}"
    address="${PEER_ADDRESSES[$i]}"
    if grep -q "\"$CC_PACKAGE_ID\"" <<<"$(as_admin_at "$msp" "$address" peer lifecycle chaincode queryinstalled --output json)"; then
      log "${PEERS[$i]} already has $CC_PACKAGE_ID"
    else
      log "installing $CC_LABEL on ${PEERS[$i]}"
      as_admin_at "$msp" "$address" peer lifecycle chaincode install "$package"
      grep -q "\"$CC_PACKAGE_ID\"" <<<"$(as_admin_at "$msp" "$address" peer lifecycle chaincode queryinstalled --output json)" ||
        die "${PEERS[$i]} did not report package id $CC_PACKAGE_ID after install"
    fi
  done

  local readiness
  for msp in "${ORGS[@]}"; do
    readiness="$(as_admin "$msp" peer lifecycle chaincode checkcommitreadiness "${definition[@]}" --output json)"
    if grep -Eq "\"$msp\": *true" <<<"$readiness"; then
      log "$msp already approved $CC_NAME sequence $CC_SEQUENCE"
      continue
    fi
    log "approving $CC_NAME $CC_VERSION sequence $CC_SEQUENCE for $msp"
    as_admin "$msp" bash -c 'peer lifecycle chaincode approveformyorg -o "$ORDERER_ADDRESS" --tls --cafile "$ORDERER_CA" --package-id "$0" "$@"' \
      "$CC_PACKAGE_ID" "${definition[@]}"
  done

  log "commit readiness of $CC_NAME:"
  as_admin "${ORGS[0]}" peer lifecycle chaincode checkcommitreadiness "${definition[@]}" --output json

  local endorsers=()
  for msp in "${ORGS[@]}"; do
    for i in "${!PEERS[@]}"; do
      if [[ "${PEER_MSPS[$i]}" == "$msp" ]]; then
        endorsers+=(--peerAddresses "${PEER_ADDRESSES[$i]}" --tlsRootCertFiles "$KIT/${PEER_TLS_CAS[$i]}")
        break
      fi
    done
  done
  log "committing $CC_NAME sequence $CC_SEQUENCE on $CHANNEL"
  as_admin "${ORGS[0]}" bash -c 'peer lifecycle chaincode commit -o "$ORDERER_ADDRESS" --tls --cafile "$ORDERER_CA" "$@"' \
    commit "${definition[@]}" "${endorsers[@]}"
  for i in "${!PEERS[@]}"; do
    retry_until "${PEERS[$i]}: $CC_NAME committed" as_admin_at "${PEER_MSPS[$i]}" "${PEER_ADDRESSES[$i]}" \
      peer lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CC_NAME"
  done
  as_admin "${ORGS[0]}" peer lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CC_NAME"
}

if [[ $# -gt 0 ]]; then
  deploy "$1"
else
  for cc in "${CHAINCODES[@]}"; do
    deploy "$cc"
  done
fi
