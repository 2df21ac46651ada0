#!/usr/bin/env bash
# Regenerates Sources/ONNXProto/onnx.pb.swift, the ONNX protobuf types `trajectory export`
# writes models with, from the onnx.proto that the `onnx` package on PyPI ships (Apache-2.0).
# Needs protoc (Debian: protobuf-compiler) and builds swift-protobuf's protoc-gen-swift at the
# version Package.swift names (about a minute). The output is committed: builds never run this.
set -euo pipefail
cd "$(dirname "$0")/../.."
ONNX_VERSION=${ONNX_VERSION:-1.23.2}
PROTOBUF_VERSION=${PROTOBUF_VERSION:-1.39.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "onnx==$ONNX_VERSION"
cp "$("$work/venv/bin/python" -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')/onnx.proto" "$work/"
git clone -q -b "$PROTOBUF_VERSION" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
swift build -c release --package-path "$work/swift-protobuf" --product protoc-gen-swift
(cd "$work" && protoc --plugin="$work/swift-protobuf/.build/release/protoc-gen-swift" --swift_out=. --swift_opt=Visibility=Public onnx.proto)
cp "$work/onnx.pb.swift" Sources/ONNXProto/onnx.pb.swift
echo "wrote Sources/ONNXProto/onnx.pb.swift from onnx $ONNX_VERSION's onnx.proto"
