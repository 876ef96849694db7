#!/usr/bin/env bash
# Builds the function package of one handler: `./package.sh node|rust` writes $BUILD_DIR/function-<handler>.zip
# (BUILD_DIR defaults to ./build) and prints its path. Node.js: `npm ci` (production dependencies only) and a zip
# of index.js with node_modules.
# Rust: `cargo build --release` (target dir $CARGO_TARGET_DIR, default handler-rust/target) and a zip holding
# the executable as `bootstrap`, which is what the provided.al2023 runtime starts.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
handler="${1:?usage: package.sh node|rust}"
build="${BUILD_DIR:-$here/build}"
mkdir -p "$build"
build="$(cd "$build" && pwd)"
out="$build/function-$handler.zip"
rm -f "$out"
case "$handler" in
  node)
    stage="$build/node"
    rm -rf "$stage" && mkdir -p "$stage"
    cp "$here/handler-node/index.js" "$here/handler-node/package.json" "$here/handler-node/package-lock.json" "$stage/"
    # --omit=peer: @aws-sdk/util-dynamodb names the whole DynamoDB client as a peer but does not load it.
    (cd "$stage" && npm ci --omit=dev --omit=peer --no-audit --no-fund --silent >&2)
    (cd "$stage" && python3 -m zipfile -c "$out" index.js package.json node_modules)
    ;;
  rust)
    target="${CARGO_TARGET_DIR:-$here/handler-rust/target}"
    (cd "$here/handler-rust" && CARGO_TARGET_DIR="$target" cargo build --release --quiet >&2)
    stage="$build/rust"
    rm -rf "$stage" && mkdir -p "$stage"
    cp "$target/release/product-opensearch-sync" "$stage/bootstrap"
    (cd "$stage" && python3 -m zipfile -c "$out" bootstrap)
    ;;
  *)
    echo "unknown handler '$handler' (node or rust)" >&2
    exit 2
    ;;
esac
echo "$out"
