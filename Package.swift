// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "drbd-reactor",
    products: [
        .executable(name: "drbd-reactor", targets: ["drbd-reactor"]),
        .executable(name: "drbd-reactorctl", targets: ["drbd-reactorctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
    ],
    targets: [
        // C forwarders for kernel interfaces Glibc's Swift import lacks. No logic.
        .target(name: "CEpoll", cSettings: [.define("_GNU_SOURCE")]),
        // libsystemd: sd_notify, sd_watchdog_enabled, sd_journal_sendv (Debian: libsystemd-dev).
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // zlib for gzip-compressed /metrics responses (Debian: zlib1g-dev).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Reactor",
            dependencies: [
                "CEpoll", "CSystemd", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "drbd-reactor",
            dependencies: [
                "Reactor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // drbd-reactorctl's logic (snippet naming, status, evict, edit), unit tested; the executable only parses.
        .target(name: "ReactorCtl", dependencies: ["Reactor"]),
        .executableTarget(
            name: "drbd-reactorctl",
            dependencies: [
                "ReactorCtl", "Reactor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Parser micro-benchmark for bench/run.py (not installed).
        .executableTarget(name: "reactor-parser-bench", dependencies: ["Reactor"]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor"]),
        .testTarget(name: "ReactorCtlTests", dependencies: ["ReactorCtl", "Reactor"]),
    ],
    swiftLanguageModes: [.v6]
)
