#!/usr/bin/env bash
# A portable `trajectory`: Swift's standard library and Foundation linked in (--static-swift-stdlib),
# OpenBLAS, SQLite and zlib from their static archives, so it runs on any x86-64 glibc >= 2.34
# host without Swift, OpenBLAS or SQLite (GPU hosts, slim containers). Writes
# dist/trajectory-VERSION-linux-x86_64.tar.gz with the binary, README and docs.
set -euo pipefail
cd "$(dirname "$0")/../.."
STATIC_LIBS=$PWD/.build-static/libs
mkdir -p "$STATIC_LIBS" dist
# Only .a files in this folder: searched first, so -lopenblas/-lsqlite3/-lz resolve statically.
ln -sf /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a "$STATIC_LIBS/libopenblas.a"
ln -sf /usr/lib/x86_64-linux-gnu/libsqlite3.a "$STATIC_LIBS/libsqlite3.a"
ln -sf /usr/lib/x86_64-linux-gnu/libz.a "$STATIC_LIBS/libz.a"
swift build -c release --product trajectory --static-swift-stdlib --scratch-path .build-static \
  -Xlinker -L"$STATIC_LIBS" -Xlinker -lm -Xlinker -lpthread
BIN=.build-static/release/trajectory
VERSION=$($BIN --version)
NAME=trajectory-$VERSION-linux-x86_64
rm -rf "dist/$NAME" && mkdir -p "dist/$NAME"
cp "$BIN" README.md "dist/$NAME/"
cp -r docs "dist/$NAME/docs"
strip "dist/$NAME/trajectory"
tar -C dist -czf "dist/$NAME.tar.gz" "$NAME"
echo "dist/$NAME.tar.gz"
ldd "dist/$NAME/trajectory" || true
