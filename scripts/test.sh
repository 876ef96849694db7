#!/usr/bin/env bash
# Runs eddy's whole test suite: formatting and lints, the Rust unit and integration tests, then the end-to-end
# suites that start the real binary and drive it with boto3 and the AWS CLI.
# Needs: a Rust toolchain, Python 3 with boto3, pytest, pytest-xdist and requests, the AWS CLI, Node.js
# (.ci/run installs what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt / clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== build"
cargo build --workspace --bins --quiet

echo "== Rust tests"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --test-threads 8 --no-tests=pass
else
  cargo test --workspace --quiet
fi

echo "== end-to-end tests"
export EDDY_BIN="$PWD/target/debug/eddy"
python3 -m pytest tests/e2e -n "${EDDY_TEST_WORKERS:-4}" "$@"
