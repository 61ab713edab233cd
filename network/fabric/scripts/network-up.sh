#!/usr/bin/env bash
# Starts the ordering service and one peer per organisation natively (Fabric's release binaries),
# creates the channel and joins every node to it. Safe to run again: running nodes and joined
# channels are left as they are.
#
#   scripts/network-up.sh            (FABRIC_BIN=<release>/bin if the binaries are not on PATH)
#
# 1. Each orderer starts with nodes/<orderer>.env over the release's orderer.yaml: TLS, the
#    channel participation API on its admin port, no system channel. Ready when its operations
#    endpoint answers /healthz and osnadmin can list its channels.
# 2. Each peer starts with nodes/<peer>.env over the release's core.yaml: TLS, gossip to its
#    own address (anchor peers are in the genesis block), the Gateway, the ccaas builder.
#    Ready when its gRPC port accepts connections and `peer channel list` works over TLS.
# 3. configtxgen makes the channel's genesis block from configtx.yaml (profile $PROFILE).
# 4. osnadmin channel join gives the block to every orderer; the raft leader is elected.
# 5. peer channel join, as each organisation's admin, joins each peer.
# 6. Wait until every peer's gossip knows every other peer of the channel (the peers' metric
#    gossip_membership_total_peers_known on their operations endpoint): from then on each
#    organisation's Gateway can find the other organisations' peers for endorsement.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fabric_setup
mkdir -p "$KIT/data" "$KIT/logs" "$KIT/run"

for i in "${!ORDERERS[@]}"; do
  name="${ORDERERS[$i]}"
  if is_running "$name"; then
    log "$name is already running"
  else
    log "starting orderer $name on $HOST:${ORDERER_PORTS[$i]} (admin ${ORDERER_ADMIN_ADDRESSES[$i]})"
    start_process "$name" "$KIT/nodes/$name.env" orderer
  fi
done
for i in "${!ORDERERS[@]}"; do
  wait_for "${ORDERERS[$i]}" "operations /healthz" healthy "$HOST" "${ORDERER_OPERATIONS_PORTS[$i]}"
  wait_for "${ORDERERS[$i]}" "admin endpoint (osnadmin channel list)" osn "$i" channel list
done

for i in "${!PEERS[@]}"; do
  name="${PEERS[$i]}"
  if is_running "$name"; then
    log "$name is already running"
  else
    log "starting peer $name (${PEER_MSPS[$i]}) on ${PEER_ADDRESSES[$i]}"
    start_process "$name" "$KIT/nodes/$name.env" peer node start
  fi
done
for i in "${!PEERS[@]}"; do
  wait_for "${PEERS[$i]}" "listening on ${PEER_ADDRESSES[$i]}" port_open "$HOST" "${PEER_PORTS[$i]}"
  wait_for "${PEERS[$i]}" "gRPC (peer channel list)" as_admin_at "${PEER_MSPS[$i]}" "${PEER_ADDRESSES[$i]}" peer channel list
done

block="$KIT/data/$CHANNEL.block"
if [[ ! -f "$block" ]]; then
  log "making the genesis block of $CHANNEL (configtxgen, profile $PROFILE)"
  configtxgen -configPath "$KIT" -profile "$PROFILE" -channelID "$CHANNEL" -outputBlock "$block"
fi

orderer_active() {
  local out
  out="$(osn "$1" channel list --channelID "$CHANNEL")" || return 1
  grep -Eq '"status": *"active"' <<<"$out"
}
for i in "${!ORDERERS[@]}"; do
  if grep -q '"name"' <<<"$(osn "$i" channel list --channelID "$CHANNEL")"; then
    log "${ORDERERS[$i]} already has $CHANNEL"
  else
    log "joining ${ORDERERS[$i]} to $CHANNEL (osnadmin channel join)"
    osn "$i" channel join --channelID "$CHANNEL" --config-block "$block"
  fi
done
for i in "${!ORDERERS[@]}"; do
  retry_until "${ORDERERS[$i]}: channel $CHANNEL active" orderer_active "$i"
done

for i in "${!PEERS[@]}"; do
  msp="${PEER_MSPS[$i]}"
  address="${PEER_ADDRESSES[$i]}"
  if as_admin_at "$msp" "$address" peer channel getinfo -c "$CHANNEL" >/dev/null 2>&1; then
    log "${PEERS[$i]} already joined $CHANNEL"
  else
    log "joining ${PEERS[$i]} to $CHANNEL (peer channel join as $msp admin)"
    as_admin_at "$msp" "$address" peer channel join -b "$block"
  fi
  retry_until "${PEERS[$i]}: channel $CHANNEL" as_admin_at "$msp" "$address" peer channel getinfo -c "$CHANNEL"
done

peer_knows_all() {
  local metrics
  metrics="$(http_get "$HOST" "${PEER_OPERATIONS_PORTS[$1]}" /metrics)" || return 1
  grep -Eq "^gossip_membership_total_peers_known\{channel=\"$CHANNEL\"\} $((${#PEERS[@]} - 1))\$" <<<"$metrics"
}
for i in "${!PEERS[@]}"; do
  retry_until "${PEERS[$i]}: gossip knows the ${#PEERS[@]} peers of $CHANNEL" peer_knows_all "$i"
done

log "network up: channel $CHANNEL on ${#ORDERERS[@]} orderer(s) and ${#PEERS[@]} peer(s); logs in $KIT/logs"
