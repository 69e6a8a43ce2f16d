#!/usr/bin/env bash
# Regenerates Sources/GoldmaneAPI from proto/goldmane/api.proto. Run by hand after changing the
# proto; the output is committed, so builds and CI never run protoc. Needs Debian's
# protobuf-compiler; builds swift-protobuf's and grpc-swift-protobuf's protoc plugins (the
# versions Package.swift depends on) in a scratch package first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
command -v protoc >/dev/null || apt-get install -y -qq protobuf-compiler
gen=${GEN_DIR:-/tmp/swift-calico-protoc-plugins}
mkdir -p "$gen/Dummy"
cat > "$gen/Package.swift" <<'PKG'
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "gen",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
    ],
    targets: [.target(name: "Dummy", path: "Dummy")]
)
PKG
echo "public let x = 1" > "$gen/Dummy/x.swift"
(cd "$gen" && swift build -c release --product protoc-gen-swift && swift build -c release --product protoc-gen-grpc-swift-2)
out=Sources/GoldmaneAPI
mkdir -p "$out"
protoc --proto_path=proto \
  --plugin=protoc-gen-swift="$gen/.build/release/protoc-gen-swift" \
  --plugin=protoc-gen-grpc-swift-2="$gen/.build/release/protoc-gen-grpc-swift-2" \
  --swift_opt=Visibility=Public --swift_out="$out" \
  --grpc-swift-2_opt=Visibility=Public --grpc-swift-2_out="$out" \
  goldmane/api.proto
echo "generated into $out"
