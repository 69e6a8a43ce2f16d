// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "swift-calico",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "calicoctl", targets: ["calicoctl"]),
        .executable(name: "calico-bench", targets: ["calico-bench"]),
        .executable(name: "calico", targets: ["calico"]),
        .executable(name: "calico-ipam", targets: ["calico-ipam"]),
        .executable(name: "calico-node", targets: ["calico-node"]),
        .executable(name: "calico-lab", targets: ["calico-lab"]),
        .executable(name: "calico-probe", targets: ["calico-probe"]),
        .executable(name: "goldmane", targets: ["goldmane"]),
        .executable(name: "whisker", targets: ["whisker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        // Goldmane's and Whisker's gRPC (upstream's API), over HTTP/2 from SwiftNIO.
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        // Already in the graph (grpc-swift-nio-transport's TLS); Goldmane sets its cipher suites.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
    ],
    targets: [
        .target(name: "CalicoAPI", dependencies: ["Yams"], swiftSettings: strict),
        .target(name: "CalicoSelector", swiftSettings: strict),
        .target(name: "CalicoValidation", dependencies: ["CalicoAPI", "CalicoSelector"], swiftSettings: strict),
        .target(name: "CalicoBGP", dependencies: ["CalicoAPI", "CalicoSelector"], swiftSettings: strict),
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(
            name: "CalicoDatastore",
            dependencies: ["CalicoAPI", "CalicoValidation", "CCurl", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .target(name: "CalicoIPAM", dependencies: ["CalicoAPI", "CalicoDatastore", "CalicoSelector"], swiftSettings: strict),
        .target(name: "CalicoNetlink", swiftSettings: strict),
        .target(name: "CalicoCNI", dependencies: ["CalicoAPI", "CalicoDatastore", "CalicoIPAM", "CalicoNetlink"], swiftSettings: strict),
        .target(name: "CalicoNode", dependencies: ["CalicoAPI", "CalicoBGP", "CalicoDatastore", "CalicoIPAM", "CalicoNetlink"], swiftSettings: strict),
        .executableTarget(name: "calico", dependencies: ["CalicoCNI"], swiftSettings: strict),
        .executableTarget(name: "calico-ipam", dependencies: ["CalicoCNI"], swiftSettings: strict),
        .executableTarget(name: "calico-node", dependencies: ["CalicoNode", "CalicoDatastore", "Felix", "FelixCalc"], swiftSettings: strict),
        .systemLibrary(name: "CNftables", providers: [.apt(["libnftables-dev"])]),
        .target(name: "FelixDataplane", dependencies: ["FelixCalc", "CalicoAPI", "CalicoNetlink", "CNftables", "GoldmaneAPI"], swiftSettings: strict),
        // The composition root of calico-node -felix: syncer, shared graph, dataplane loop, health and metrics.
        .target(
            name: "Felix",
            dependencies: ["FelixCalc", "FelixDataplane", "CalicoAPI", "CalicoDatastore", "GoldmaneAPI", "Goldmane", .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")],
            swiftSettings: strict),
        .target(name: "CalicoLab", dependencies: ["CalicoAPI", "CalicoDatastore", "CalicoNetlink"], swiftSettings: strict),
        .executableTarget(name: "calico-lab", dependencies: ["CalicoLab"], swiftSettings: strict),
        .executableTarget(name: "calico-probe", swiftSettings: strict),
        .target(name: "FelixCalc", dependencies: ["CalicoAPI", "CalicoSelector"], swiftSettings: strict),
        // Test helpers: the root gate, built products, the lab's etcd, the in-memory network (MemoryNetwork).
        .target(name: "CalicoTestSupport", dependencies: ["CalicoAPI", "CalicoDatastore", "CalicoLab", "CalicoNetlink"], swiftSettings: strict),
        .target(name: "CalicoCtlCore", dependencies: ["CalicoAPI", "CalicoBGP", "CalicoValidation", "CalicoDatastore", "CalicoIPAM", "FelixCalc"], swiftSettings: strict),
        .executableTarget(name: "calicoctl", dependencies: ["CalicoCtlCore"], swiftSettings: strict),
        .executableTarget(
            name: "calico-bench", dependencies: ["CalicoSelector", "CalicoAPI", "CalicoValidation", "CalicoDatastore", "CalicoIPAM", "FelixCalc", "FelixDataplane", "Felix", "CalicoLab",
                           "Goldmane", "GoldmaneAPI", .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")],
            path: "bench/calico-bench", swiftSettings: strict),
        // Generated from proto/goldmane/api.proto (scripts/generate-proto.sh); committed.
        .target(
            name: "GoldmaneAPI",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf"), .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf")]),
        .target(
            name: "Goldmane",
            dependencies: ["GoldmaneAPI", "CalicoAPI", .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: strict),
        .executableTarget(name: "goldmane", dependencies: ["Goldmane"], swiftSettings: strict),
        .target(
            name: "Whisker",
            dependencies: ["GoldmaneAPI", "Goldmane", .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio")],
            resources: [.copy("ui")], swiftSettings: strict),
        .executableTarget(name: "whisker", dependencies: ["Whisker"], swiftSettings: strict),
        .testTarget(
            name: "GoldmaneTests",
            dependencies: ["Goldmane", "GoldmaneAPI", "Whisker", "CalicoNetlink", "CalicoTestSupport", .product(name: "GRPCCore", package: "grpc-swift-2"),
                           .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport")],
            swiftSettings: strict),
        .testTarget(name: "CalicoAPITests", dependencies: ["CalicoAPI"], swiftSettings: strict),
        .testTarget(name: "CalicoSelectorTests", dependencies: ["CalicoSelector", "CalicoAPI"], swiftSettings: strict),
        .testTarget(name: "CalicoValidationTests", dependencies: ["CalicoValidation", "CalicoAPI"], swiftSettings: strict),
        .testTarget(name: "CalicoCtlCoreTests", dependencies: ["CalicoCtlCore", "CalicoAPI", "CalicoTestSupport", "CalicoNetlink"], swiftSettings: strict),
        .testTarget(name: "CalicoBGPTests", dependencies: ["CalicoBGP", "CalicoAPI"], swiftSettings: strict),
        .testTarget(name: "FelixCalcTests", dependencies: ["FelixCalc", "CalicoAPI", "CalicoSelector"], swiftSettings: strict),
        .testTarget(name: "FelixTests", dependencies: ["Felix", "FelixCalc", "CalicoAPI", "CalicoDatastore", "GoldmaneAPI"], swiftSettings: strict),
        .testTarget(name: "FelixDataplaneTests", dependencies: ["FelixDataplane", "FelixCalc", "CalicoAPI", "CalicoNetlink", "GoldmaneAPI"], swiftSettings: strict),
        .testTarget(name: "LabTests", dependencies: ["CalicoLab", "CalicoAPI", "CalicoDatastore", "CalicoIPAM", "CalicoNetlink", "CalicoTestSupport"], swiftSettings: strict),
        .testTarget(name: "CalicoIPAMTests", dependencies: ["CalicoIPAM", "CalicoTestSupport"], swiftSettings: strict),
        .testTarget(name: "CalicoNetlinkTests", dependencies: ["CalicoNetlink", "CalicoTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "CalicoCNITests", dependencies: ["CalicoCNI", "CalicoAPI", "CalicoDatastore", "CalicoIPAM", "CalicoNetlink", "CalicoTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "CalicoNodeTests", dependencies: ["CalicoNode", "CalicoAPI", "CalicoDatastore", "CalicoNetlink", "CalicoTestSupport"], swiftSettings: strict),
        .testTarget(name: "CalicoDatastoreTests", dependencies: ["CalicoDatastore", "CalicoTestSupport"], swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (Fuzz/, see docs/fuzzing.md): declared only when CALICO_FUZZ=1, since they
// link only with `-sanitize=fuzzer` (libFuzzer's driver). scripts/fuzz.sh builds them.
if Context.environment["CALICO_FUZZ"] == "1" {
    let fuzzers: [(name: String, dependencies: [Target.Dependency])] = [
        ("fuzz-selector", ["CalicoSelector"]),
        ("fuzz-resource", ["CalicoAPI", "CalicoValidation"]),
        ("fuzz-netconf", ["CalicoCNI"]),
        ("fuzz-gotemplate", ["CalicoCtlCore", "CalicoAPI"]),
    ]
    package.targets.append(.systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"))
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/Support", swiftSettings: strict))
    for f in fuzzers {
        package.targets.append(.executableTarget(name: f.name, dependencies: f.dependencies + ["FuzzSupport"], path: "Fuzz/\(f.name)",
                                                 swiftSettings: strict))
        package.products.append(.executable(name: f.name, targets: [f.name]))
    }
}
