// swift-tools-version: 6.1
import PackageDescription

// Dependencies point one way: sweep (CLI) → SweepStore → SweepKit → Datasets → NeuralNet → CKernels;
// the report and the dashboard sit beside the store: sweep → SweepDashboard → SweepReport → SweepKit.
// Release builds of the training code skip Swift's run-time exclusivity checks: every access to
// a class's stored property in the training loop called into the runtime (swift_beginAccess),
// about 4% of a sweep of small networks. Debug builds, and so the tests, keep the checks.
let exclusivityUnchecked: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
]

let package = Package(
    name: "sweep",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sweep", targets: ["sweep"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The dashboard's HTTP server; without its optional traits (swift-configuration support).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The PostgreSQL store (`--db postgresql://…`): one sweep shared by many machines.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Matrix kernels in C so that they are optimised even in debug builds and can pick
        // AVX2/FMA code at run time without the user setting anything.
        .target(
            name: "CKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])],
            linkerSettings: [.linkedLibrary("mvec", .when(platforms: [.linux]))]
        ),
        .target(name: "NeuralNet", dependencies: ["CKernels"], swiftSettings: exclusivityUnchecked),
        .target(name: "Datasets", dependencies: ["NeuralNet"]),
        .target(name: "SweepKit", dependencies: ["CKernels", "NeuralNet", "Datasets"], swiftSettings: exclusivityUnchecked),
        .target(
            name: "SweepStore",
            dependencies: [
                "SweepKit", .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the per-epoch insert that binds values without boxing them.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A sweep's report: its data (plots, effects, curves, the best model on the test rows) and
        // the one self-contained HTML page that draws it, whose template, style and script are
        // compiled in.
        .target(
            name: "SweepReport",
            dependencies: ["SweepKit", "Datasets", "NeuralNet"],
            resources: [
                .embedInCode("Page/report.html"), .embedInCode("Page/report.css"), .embedInCode("Page/foundation.js"),
                .embedInCode("Page/plots.js"), .embedInCode("Page/details.js"), .embedInCode("Page/page.js"),
            ]
        ),
        // `sweep dashboard`: the report's views served live, reading the database read-only.
        .target(
            name: "SweepDashboard",
            dependencies: [
                "SweepReport", "SweepKit", "SweepStore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "sweep",
            dependencies: [
                "SweepKit", "SweepStore", "Datasets", "NeuralNet", "SweepReport", "SweepDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Test support: counts the heap allocations of the calling thread (the allocation tests).
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "AllocationCounter"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(
            name: "SweepKitTests", dependencies: ["SweepKit", "AllocationCounter"],
            resources: [.copy("Samplers/Fixtures"), .copy("Analysis/ReferenceValues")]),
        .testTarget(
            name: "SweepStoreTests", dependencies: ["SweepStore", .product(name: "PostgresNIO", package: "postgres-nio")],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "SweepReportTests", dependencies: ["SweepReport", "SweepKit", "NeuralNet"]),
        .testTarget(name: "sweepTests", dependencies: ["sweep", "SweepStore", "SweepKit", .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)
