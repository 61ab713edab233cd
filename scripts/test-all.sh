#!/usr/bin/env bash
# Runs every MedLedger test: formatting, lints, the Rust test suite (unit, vectors, property,
# end-to-end) and the interop tests against the official Hyperledger Fabric Node packages.
# Installs what the tests need (npm packages for tests/interop) itself.
set -euo pipefail
export CARGO_TERM_COLOR=never
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "checking tools"
command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
command -v node >/dev/null || { echo "node not found: the interop tests need Node.js >= 18 (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm not found: the interop tests need npm (apt-get install npm)" >&2; exit 1; }

step "installing the official Fabric Node packages for tests/interop (npm ci)"
npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
npm ci --prefix tests/interop/chaincode-node --no-audit --no-fund --loglevel=error

step "SoftHSM2 for the PKCS#11 signer tests (skipped by those tests when absent)"
if command -v softhsm2-util >/dev/null; then
    echo "SoftHSM2 present"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    if apt-get install -y -qq softhsm2 >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq softhsm2 >/dev/null 2>&1; }; then
        echo "installed softhsm2"
    else
        echo "warning: could not install softhsm2; the PKCS#11 tests will skip" >&2
    fi
else
    echo "SoftHSM2 not installed and not root: the PKCS#11 tests will skip (apt-get install softhsm2)"
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (default features and the pure-Rust build)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p fabric-sdk --no-default-features --features pure-rust --all-targets --locked -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "cargo test (every crate, every test, including tests/interop against the Node packages)"
cargo test --workspace --locked 2>&1 | tee -a "$log"

step "the demo (the README's first command; the dev build the tests above made, exit 0 required)"
cargo run -p medledger-cli --locked -- demo

step "cargo test, pure-Rust crypto build"
cargo test -p fabric-sdk --no-default-features --features pure-rust --locked 2>&1 | tee -a "$log"

# One closing line with the totals of every test binary above.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "\nall tests: %d passed, %d failed\n", p, f }' "$log"
