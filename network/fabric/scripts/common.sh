# Shared by the kit's scripts (sourced, not run). Part of the MedLedger real-Fabric kit
# (`medledger network config`); the network's names, ports and chaincodes are in settings.sh.
#
# Environment:
#   FABRIC_BIN            directory with peer, orderer, osnadmin, configtxgen (else: PATH)
#   FABRIC_CFG_PATH       directory with the release's core.yaml and orderer.yaml
#                         (default: <release>/config, next to the binaries' bin/)
#   FABRIC_CCAAS_BUILDER  the release's builders/ccaas (default: <release>/builders/ccaas)
#   KIT_TIMEOUT           seconds to wait for each node or step (default 60)
#   KIT_CLI_LOGGING_SPEC  FABRIC_LOGGING_SPEC of the peer CLI and osnadmin (default warning;
#                         the nodes log with FABRIC_LOGGING_SPEC, Fabric's default info)

set -euo pipefail

KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export KIT
# shellcheck source=/dev/null
source "$KIT/scripts/settings.sh"
KIT_TIMEOUT="${KIT_TIMEOUT:-60}"

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Finds Fabric's binaries, its configuration and its CCaaS builder; exports what the nodes need.
fabric_setup() {
  if [[ -n "${FABRIC_BIN:-}" ]]; then
    [[ -d "$FABRIC_BIN" ]] || die "FABRIC_BIN=$FABRIC_BIN is not a directory"
    PATH="$FABRIC_BIN:$PATH"
  fi
  local tool
  for tool in peer orderer osnadmin configtxgen; do
    command -v "$tool" >/dev/null 2>&1 ||
      die "$tool not found: put the bin/ directory of a Fabric release (v2.5 or v3.x) on PATH or set FABRIC_BIN"
  done
  local home
  home="$(cd "$(dirname "$(command -v peer)")/.." && pwd)"
  export FABRIC_CFG_PATH="${FABRIC_CFG_PATH:-$home/config}"
  [[ -f "$FABRIC_CFG_PATH/core.yaml" && -f "$FABRIC_CFG_PATH/orderer.yaml" ]] ||
    die "no core.yaml and orderer.yaml in $FABRIC_CFG_PATH: set FABRIC_CFG_PATH to the release's config/ directory"
  export FABRIC_CCAAS_BUILDER="${FABRIC_CCAAS_BUILDER:-$home/builders/ccaas}"
  [[ -x "$FABRIC_CCAAS_BUILDER/bin/detect" && -x "$FABRIC_CCAAS_BUILDER/bin/build" && -x "$FABRIC_CCAAS_BUILDER/bin/release" ]] ||
    die "no ccaas builder in $FABRIC_CCAAS_BUILDER (bin/detect, bin/build, bin/release): set FABRIC_CCAAS_BUILDER to the release's builders/ccaas directory"
}

pid_file() { printf '%s/run/%s.pid' "$KIT" "$1"; }

# Whether the process recorded for $1 is alive.
is_running() {
  local f
  f="$(pid_file "$1")"
  [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# start_process NAME ENV_FILE COMMAND...: runs COMMAND in the background with ENV_FILE sourced,
# logging to logs/NAME.log and recording its pid in run/NAME.pid.
start_process() {
  local name="$1" env_file="$2"
  shift 2
  mkdir -p "$KIT/logs" "$KIT/run"
  (
    # shellcheck source=/dev/null
    source "$env_file"
    exec "$@"
  ) >"$KIT/logs/$name.log" 2>&1 &
  echo $! >"$(pid_file "$name")"
}

# wait_for NAME WHAT COMMAND...: polls COMMAND until it succeeds, failing (with the log's tail)
# if process NAME exits or KIT_TIMEOUT passes.
wait_for() {
  local name="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + KIT_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if ! is_running "$name"; then
      tail -n 30 "$KIT/logs/$name.log" >&2 || true
      die "$name exited (log: $KIT/logs/$name.log)"
    fi
    ((SECONDS < deadline)) || die "$name: $what not ready after ${KIT_TIMEOUT}s (log: $KIT/logs/$name.log)"
    sleep 0.2
  done
}

# port_open HOST PORT: whether HOST:PORT accepts TCP connections.
port_open() { (: >"/dev/tcp/$1/$2") 2>/dev/null; }

# healthy HOST PORT: whether the operations endpoint at HOST:PORT answers /healthz with 200.
healthy() {
  local out
  out="$(http_get "$1" "$2" /healthz)" || return 1
  [[ "$out" == "HTTP/1."?" 200"* ]]
}

# http_get HOST PORT PATH: the response to a plain HTTP GET (bash's /dev/tcp; no curl needed).
http_get() {
  (
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$1" >&3
    cat <&3
  )
}

# retry_until WHAT COMMAND...: runs COMMAND until it succeeds or KIT_TIMEOUT passes.
retry_until() {
  local what="$1"
  shift
  local deadline=$((SECONDS + KIT_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what: no success after ${KIT_TIMEOUT}s (last attempt: $*)"
    sleep 0.5
  done
}

# stop_process NAME: SIGTERM, then SIGKILL after KIT_TIMEOUT seconds.
stop_process() {
  local name="$1" f pid
  f="$(pid_file "$name")"
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + KIT_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
    log "stopped $name"
  fi
  rm -f "$f"
}

# as_admin MSP COMMAND...: runs a peer CLI command as MSP's admin against its first peer, with
# the ordering service's address and TLS CA in ORDERER_ADDRESS / ORDERER_CA.
as_admin() {
  local msp="$1"
  shift
  (
    # shellcheck source=/dev/null
    source "$KIT/admins/$ORDERER_MSP.env"
    # shellcheck source=/dev/null
    source "$KIT/admins/$msp.env"
    export FABRIC_LOGGING_SPEC="${KIT_CLI_LOGGING_SPEC:-warning}"
    "$@"
  )
}

# as_admin_at MSP PEER_ADDRESS COMMAND...: the same against another peer of the organisation.
as_admin_at() {
  local msp="$1" address="$2"
  shift 2
  (
    # shellcheck source=/dev/null
    source "$KIT/admins/$ORDERER_MSP.env"
    # shellcheck source=/dev/null
    source "$KIT/admins/$msp.env"
    export CORE_PEER_ADDRESS="$address"
    export FABRIC_LOGGING_SPEC="${KIT_CLI_LOGGING_SPEC:-warning}"
    "$@"
  )
}

# osn ORDERER_INDEX ARGS...: osnadmin against orderer ORDERER_INDEX's admin endpoint, as the
# ordering organisation's admin (mutual TLS).
osn() {
  local i="$1"
  shift
  (
    # shellcheck source=/dev/null
    source "$KIT/admins/$ORDERER_MSP.env"
    osnadmin "$@" -o "${ORDERER_ADMIN_ADDRESSES[$i]}" --ca-file "$ORDERER_CA" \
      --client-cert "$ORDERER_ADMIN_TLS_CERT" --client-key "$ORDERER_ADMIN_TLS_KEY"
  )
}
