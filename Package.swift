// swift-tools-version:6.0
import PackageDescription

// libyaml is linked statically so the node binary needs only libc and zlib at run time (libsystemd is
// opened by the daemon when it starts).
let staticYAML: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "-l:libyaml.a"])]

let package = Package(
    name: "bkdiag",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bkdiag", targets: ["bkdiag"]),
        .executable(name: "bkdiag-fleet", targets: ["bkdiag-fleet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // System libraries: the only C in the project.
        // libsystemd's headers; the library is dlopen'ed by the daemon on first use (see its shim.h).
        .systemLibrary(name: "CSystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CYAML", providers: [.apt(["libyaml-dev"])]),
        // glibc's <malloc.h> (mallopt), for bkdiag's one-arena setting; part of libc, nothing to link.
        .systemLibrary(name: "CMalloc"),
        // Closes inherited descriptors in the bounded probe child (glibc 2.34+ addclosefrom_np, else a fallback).
        .systemLibrary(name: "CSpawn"),
        // A file's birth time through the statx system call (glibc's wrapper is newer than 2.17).
        .systemLibrary(name: "CStatx"),
        // Where two runs of 16 or 32 bytes differ, in SSE2 compares (the fleet reader's comparison of alike entries).
        .systemLibrary(name: "CBytes"),

        // The one system-call layer: `Sys` (every raw call, EINTR and O_CLOEXEC handled once), its
        // errno-typed `ProbeError`, `MonotonicClock`, `PathBytes`, bounded file reads. Nothing but libc.
        .target(name: "SystemLayer", dependencies: ["CSpawn", "CStatx"]),

        // The report model and its encoders, shared by the node and the fleet side.
        .target(name: "Report", dependencies: ["SystemLayer", "CBytes"]),

        // Facts from the host: /proc, socket tables, netlink sock_diag, globbing, bounded reads, YAML/JSON,
        // the collector's bolt registry (read with Report's JSON parser).
        .target(
            name: "HostProbe",
            dependencies: ["SystemLayer", "CYAML", "Report"],
            linkerSettings: staticYAML
        ),

        // The check catalogue: facts -> verdicts.
        .target(
            name: "Diagnostics",
            dependencies: [
                "HostProbe", "Report",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The long-running form: scheduler, unix-socket HTTP server, history, systemd integration.
        .target(
            name: "Daemon",
            dependencies: [
                "Diagnostics", "Report", "HostProbe", "SystemLayer", "CSystemd", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // The central side: JOB answers -> per-host results -> fleet verdict.
        .target(
            name: "Fleet",
            dependencies: [
                "Report", "SystemLayer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),

        // bkdiag's command line: a small table-driven parser (start-up time and size; see CommandSpec.swift).
        .target(name: "NodeCLI", dependencies: ["Diagnostics", "Daemon", "Report"]),

        .executableTarget(
            name: "bkdiag",
            dependencies: [
                "NodeCLI", "Diagnostics", "Daemon", "Report", "SystemLayer", "CMalloc",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "bkdiag-fleet",
            dependencies: [
                "Fleet", "Report", "SystemLayer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Writes bolt v1.3.1 registries the way bolt and libgse do, independently of HostProbe's reader
        // (the tests' files, the fake collector's registry, the fuzz seed corpus).
        .target(name: "BoltWriter"),

        // A stand-in for bkunifylogbeat / gse_agent / a GSE dataserver, spawned by the tests.
        .executableTarget(name: "fake-bluek", dependencies: ["BoltWriter"]),

        // Builds fake BlueKing hosts (directory trees, processes, sockets) for the tests, and
        // `InMemoryHostFacts`, the facts of a host that is only in memory, for unit tests of the checks.
        .target(name: "TestSupport", dependencies: ["HostProbe", "Diagnostics", "Report", "BoltWriter", "CSpawn"]),

        .testTarget(name: "ReportTests", dependencies: ["Report", "TestSupport"]),
        .testTarget(name: "HostProbeTests", dependencies: ["HostProbe", "Report", "TestSupport", "CSpawn"]),
        .testTarget(name: "NodeCLITests", dependencies: ["NodeCLI", "Diagnostics", "Daemon", "Report"]),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics", "HostProbe", "Report", "TestSupport"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "Diagnostics", "Report", "SystemLayer", "TestSupport", "CSpawn",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "FleetTests",
            dependencies: [
                "Fleet", "Report", "TestSupport",
                // Writes history files by hand (damaged rows, other programs' databases).
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // Python run by the tests (the differential) or by hand (the recorder), not sources.
            exclude: ["record-python.py", "differential-fleet.py"]
        ),
        // Builds the deb and the NodeMan package from built binaries and checks what they hold.
        .testTarget(name: "PackagingTests", dependencies: ["TestSupport"]),
    ]
)
