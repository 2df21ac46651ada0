// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Trajectory",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trajectory", targets: ["trajectory"]),
        .library(name: "Datasets", targets: ["Datasets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // zlib, for reading .gz logs directly (Debian: zlib1g-dev).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(
            name: "Datasets",
            dependencies: [
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TrajectoryCLI",
            dependencies: [
                "Datasets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "trajectory", dependencies: ["TrajectoryCLI"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "TrajectoryCLITests", dependencies: ["TrajectoryCLI", "Datasets"]),
    ],
    swiftLanguageModes: [.v6]
)
