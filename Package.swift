// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "CoachSpool",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coachspool", targets: ["coachspool"]),
        .executable(name: "coachspool-bench", targets: ["coachspool-bench"]),
        .library(name: "LibPQ", targets: ["LibPQ"]),
        .library(name: "Stages", targets: ["Stages"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "Embeddings", targets: ["Embeddings"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Only the HTTP/1 server: no swift-configuration support, no full-Foundation extras.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // Tests only: parse deploy/'s compose file and Kubernetes manifests.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Debian's libpq (libpq-dev), found through pkg-config.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // CPUID: the processor's features and brand string (for choosing OpenBLAS's kernels).
        .target(name: "CCPUInfo"),
        // What every target shares: the one error shape, the log metadata keys, and the one way
        // to run blocking work off Swift's cooperative pool.
        .target(name: "CoachSpoolCore"),
        // Our Swift layer over libpq: connections, parameterized queries, typed rows, COPY, LISTEN/NOTIFY.
        .target(name: "LibPQ", dependencies: ["CLibPQ"]),
        // Tokenizers, pure: OpenAI's cl100k_base (byte-level BPE, identical to tiktoken).
        .target(name: "Tokenizers", dependencies: ["CoachSpoolCore"]),
        // Pure processing stages: input validation, quality filter, PII redaction, chunking. No I/O.
        .target(
            name: "Stages",
            dependencies: ["CoachSpoolCore", "Tokenizers", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The encoder's element-wise kernels (softmax, exact GELU, LayerNorm) in C with clang vector
        // types, compiled for AVX-512, AVX2 and baseline x86-64 and chosen at run time. Always
        // optimised: the tests run the model in debug builds too.
        .target(
            name: "CEncoderKernels",
            cSettings: [.unsafeFlags(["-O2"])]
        ),
        // Embedders behind one protocol: all-MiniLM-L6-v2 in process (WordPiece, BERT on Debian's
        // OpenBLAS, opened at run time: see BLAS/OpenBLAS.swift), OpenAI-compatible endpoints, and a
        // deterministic hashing embedder.
        .target(
            name: "Embeddings",
            dependencies: ["CoachSpoolCore", "CCPUInfo", "CEncoderKernels"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // The queue runtime, apart from the product's stages: jobs, leases and fencing, the claim
        // loops, the completer, heartbeats and the reaper, LISTEN wake-ups, graceful shutdown. It
        // knows no job kind: a worker claims the kinds of the handlers it is given.
        .target(
            name: "Queue",
            dependencies: [
                "CoachSpoolCore", "LibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The product on the database: schema migrations, the stage graph and its job kinds,
        // ingest of interactions, status, replication.
        .target(
            name: "Spool",
            dependencies: [
                "CoachSpoolCore", "LibPQ", "Queue", "Stages", "Tokenizers",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Knowledge and retrieval: documents and their ingest, embedding spaces and their
        // indexes, the one retrieval service (search, RAG context, memory recall) that the CLI
        // and HTTP both call, and retrieval evaluation.
        .target(
            name: "Knowledge",
            dependencies: [
                "CoachSpoolCore", "LibPQ", "Queue", "Spool", "Stages", "Embeddings",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Fine-tuning datasets: exports and their manifests and accounting, rebuild queueing,
        // the records of exports and training runs.
        .target(
            name: "Datasets",
            dependencies: [
                "CoachSpoolCore", "LibPQ", "Queue", "Spool", "Stages",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Consent per purpose and erasure everywhere (its SQL reaches every table; it names the
        // export and run records it flags).
        .target(
            name: "Privacy",
            dependencies: [
                "CoachSpoolCore", "LibPQ", "Spool", "Datasets", "Stages",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // People in the loop: the review queue and decisions, and the audit log of the console.
        .target(
            name: "Review",
            dependencies: ["CoachSpoolCore", "LibPQ", "Stages", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The product's stages, one folder each (job kind, load query, pure function, rows,
        // handler), and the worker process that runs them on the queue runtime.
        .target(
            name: "Pipeline",
            dependencies: [
                "CoachSpoolCore", "LibPQ", "Queue", "Spool", "Knowledge", "Stages", "Tokenizers", "Embeddings",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Training: an export, TRL + PEFT in the trainer's Python environment as a child process,
        // and the run with its lineage recorded.
        .target(
            name: "Training",
            dependencies: [
                "CoachSpoolCore", "Embeddings", "LibPQ", "Queue", "Spool", "Knowledge", "Datasets", "Stages", "Tokenizers",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The worker's HTTP endpoint: Prometheus metrics and a readiness probe (Hummingbird).
        .target(
            name: "MetricsEndpoint",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `coachspool serve`: the coach app's HTTP API (Hummingbird) and OpenAI-compatible embeddings.
        .target(
            name: "HTTPAPI",
            dependencies: [
                "CoachSpoolCore", "LibPQ", "Queue", "Spool", "Knowledge", "Datasets", "Privacy", "Review", "Stages", "Tokenizers",
                "Embeddings", "MetricsEndpoint",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What the binary was built from (`coachspool --version`): the commit and the newest
        // migration, stamped at build time by BuildInfoPlugin through the BuildStamp tool, so that
        // a plain `swift build` does it, from a clone or (commit `unknown`) a tarball.
        .target(name: "BuildInfo", plugins: ["BuildInfoPlugin"]),
        // Under Sources/ (the top-level layout is fixed), hence the path.
        .plugin(name: "BuildInfoPlugin", capability: .buildTool(), dependencies: ["BuildStamp"], path: "Sources/BuildInfoPlugin"),
        .executableTarget(name: "BuildStamp"),
        // The commands: parse arguments, call one library function, print.
        .target(
            name: "CoachSpoolCLI",
            dependencies: [
                "BuildInfo", "CoachSpoolCore", "LibPQ", "Queue", "Spool", "Knowledge", "Datasets", "Privacy", "Review", "Pipeline", "Stages",
                "Tokenizers", "Embeddings", "Training", "HTTPAPI",
                "MetricsEndpoint",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "coachspool", dependencies: ["CoachSpoolCLI"]),
        // Benchmarks of the pure stages (scripts/bench-text.sh runs it beside the Python peers).
        .executableTarget(
            name: "coachspool-bench",
            dependencies: ["CoachSpoolCore", "Stages", "Tokenizers", "Embeddings", "LibPQ", "Queue", "Spool", "Knowledge", "Datasets"]),
        .testTarget(name: "StagesTests", dependencies: ["CoachSpoolCore", "Stages", "Tokenizers", "Embeddings", "Pipeline"]),
        .testTarget(
            name: "SpoolTests",
            dependencies: [
                "CoachSpoolCore", "LibPQ", "Queue", "Spool", "Knowledge", "Datasets", "Privacy", "Review", "Pipeline", "Stages",
                "Tokenizers", "Embeddings", "HTTPAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
