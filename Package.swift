// swift-tools-version: 6.1
import PackageDescription

/// Numerical code: AVX2 + FMA (without it SIMD fma becomes libm calls), and optimised even in
/// debug builds, so tests that train small models run in seconds instead of minutes.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
    name: "Trajectory",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trajectory", targets: ["trajectory"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Engine", targets: ["Engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // zlib, for reading .gz logs directly (Debian: zlib1g-dev).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Small shared pieces: seeded randomness, parallel loops.
        .target(name: "Core"),
        // OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // Tensors as flat buffers, ops as forward/backward pairs, optimizers, safetensors.
        .target(
            name: "Engine",
            dependencies: ["Core", "CBLAS"],
            swiftSettings: numericSettings
        ),
        .target(
            name: "Datasets",
            dependencies: [
                "Core",
                "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Next-item models: the seed LSTM and baselines.
        .target(
            name: "Models",
            dependencies: ["Core", "Engine", "Datasets"],
            swiftSettings: numericSettings
        ),
        // Training loop, full-ranking evaluation, run directories.
        .target(name: "Training", dependencies: ["Core", "Engine", "Datasets", "Models"]),
        .target(
            name: "TrajectoryCLI",
            dependencies: [
                "Core",
                "Datasets",
                "Engine",
                "Models",
                "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "trajectory", dependencies: ["TrajectoryCLI"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Core"]),
        // Helpers shared by the test targets (finite-difference gradient checks).
        .target(name: "TestSupport", dependencies: ["Core"], path: "Tests/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Core", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Training", "Engine", "Datasets", "Core", "TestSupport"]),
        .testTarget(name: "TrajectoryCLITests", dependencies: ["TrajectoryCLI", "Datasets"]),
    ],
    swiftLanguageModes: [.v6]
)
