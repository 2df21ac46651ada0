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
    // Built and tested on Linux (Debian 12, x86-64) only: the code reads /proc and uses Glibc.
    // The macOS minimum is what the dependencies (Hummingbird 2, Synchronization) would need there.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trajectory", targets: ["trajectory"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Engine", targets: ["Engine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // zlib, for reading .gz logs directly (Debian: zlib1g-dev).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Small shared pieces: seeded randomness, parallel loops, atomic files, memory maps and readings.
        .target(name: "Core"),
        // OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // The CUDA driver API, NVRTC, cuBLAS and NVML, dlopen()ed at run time: no link-time CUDA dependency.
        .target(name: "CCUDA", linkerSettings: [.linkedLibrary("dl")]),
        // The GPU backend through CCUDA: devices, memory, NVRTC-compiled kernels (checked against
        // Engine's CPU ops), cuBLAS, NCCL, NVML. Knows nothing of models (ModelsCUDA does).
        .target(name: "CUDA", dependencies: ["CCUDA", "Core", "Engine"], resources: [.embedInCode("Resources/engine.cu")]),
        // The models' steps on CUDA (one per family, beside its CPU model) and their self-tests.
        .target(name: "ModelsCUDA", dependencies: ["CUDA", "Core", "Engine", "Models"]),
        // Tensors as flat buffers, ops as forward/backward pairs, optimizers, safetensors.
        .target(
            name: "Engine",
            dependencies: ["Core", "CBLAS", "CZlib"],
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
        // Next-item models as families (seed LSTM, SASRec, GRU4Rec; ModelFamilies.all), baselines,
        // top-k, negative samplers, training options.
        .target(
            name: "Models",
            dependencies: ["Core", "Engine", "Datasets"],
            swiftSettings: numericSettings
        ),
        // Run directories: config.json, checkpoints, metrics, loading a trained model; what the
        // trainer writes and the server, evaluator and reports read.
        .target(name: "Runs", dependencies: ["Core", "Engine", "Datasets", "Models"]),
        // Training loop, full-ranking evaluation, warm starts, reports.
        .target(name: "Training", dependencies: ["Core", "Engine", "Datasets", "Models", "Runs"]),
        // The prediction service: Hummingbird routes, auth, metrics, micro-batching, history stores.
        .target(
            name: "Serving",
            dependencies: [
                "Core",
                "Datasets",
                "Engine",
                "Models",
                "Runs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            // The web page and the OpenAPI document, as files, compiled into the binary.
            resources: [.embedInCode("Resources/index.html"), .embedInCode("Resources/openapi.yaml")]
        ),
        // ONNX's protobuf messages, generated from onnx.proto (scripts/codegen/onnx-proto.sh).
        .target(name: "ONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // A run's model as an ONNX graph (every family) and a Triton model repository.
        .target(name: "Export", dependencies: ["Core", "Engine", "Datasets", "Models", "Runs", "ONNXProto"]),
        .target(
            name: "TrajectoryCLI",
            dependencies: [
                "Core",
                "Datasets",
                "Engine",
                "Models",
                "Runs",
                "Training",
                "Serving",
                "Export",
                "CUDA",
                "ModelsCUDA",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "trajectory", dependencies: ["TrajectoryCLI"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Core"]),
        // Helpers shared by the test targets (finite-difference gradient checks).
        .target(name: "TestSupport", dependencies: ["Core"], path: "Tests/TestSupport"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Core", "TestSupport"]),
        .testTarget(name: "CUDATests", dependencies: ["CUDA", "ModelsCUDA", "Models", "Engine", "Core", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Runs", "Engine", "Datasets", "Core", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Runs", "Models", "Engine", "Datasets", "Core", "TestSupport"]),
        .testTarget(name: "ExportTests", dependencies: ["Export", "ONNXProto", "Runs", "Models", "Engine", "Datasets", "Core", "TestSupport"]),
        .testTarget(name: "TrajectoryCLITests", dependencies: ["TrajectoryCLI", "Datasets", "TestSupport"]),
        .testTarget(
            name: "ServingTests",
            dependencies: [
                "Serving", "Runs", "Training", "Models", "Datasets", "Core", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
