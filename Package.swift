// swift-tools-version:6.0
import PackageDescription

/// Release link of the daemon, for resident memory (each measured in the README's Install section):
/// scripts/release-ld, which is GNU ld instead of gold, so that `-z pack-relative-relocs` packs the ~40k
/// R_X86_64_RELATIVE relocations into DT_RELR (1 MB of .rela.dyn that ld.so reads at every start becomes
/// 8 kB; only where the build host's glibc is >= 2.36, which the binary then needs), and which takes
/// libstdc++ from its static archive in a --static-swift-stdlib link. `--no-export-dynamic` undoes the toolchain's `-export-dynamic` for
/// static-stdlib links, so the loader's symbol lookups no longer walk a 440 kB dynamic symbol table of our
/// own Swift symbols (nothing resolves them at run time). lld is not used: it pulls all of Foundation and
/// ICU data (+48 MB) in through TOMLKit's Foundation import.
let daemonReleaseLinkFlags = ["-use-ld=\(Context.packageDirectory)/scripts/release-ld", "-Xlinker", "--no-export-dynamic"]

let package = Package(
    name: "drbd-reactor",
    products: [
        .executable(name: "drbd-reactor", targets: ["drbd-reactor"]),
        .executable(name: "drbd-reactorctl", targets: ["drbd-reactorctl"]),
        .executable(name: "ocf-rs-wrapper", targets: ["ocf-rs-wrapper"]),
        // HA lab: the simulated DRBD cluster (issue 10).
        .executable(name: "drbd-sim", targets: ["drbd-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
    ],
    targets: [
        // C forwarders for kernel interfaces Glibc's Swift import lacks. No logic.
        .target(name: "CEpoll", cSettings: [.define("_GNU_SOURCE")]),
        // zlib for gzip-compressed /metrics responses (Debian: zlib1g-dev).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // libsystemd: sd_notify, sd_listen_fds_with_names, sd_journal_sendv, sd-bus. Imported by ReactorSystem only.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // The layers, each a target so that the compiler keeps dependencies pointing down
        // (Tests/ReactorTests/LayeringTests.swift checks the imports as well):
        //   ReactorCore: pure Swift values: events2 parser and World, config primitives, the plugin
        //     protocol (inputs/effects), shared value types. No C, no syscalls.
        .target(
            name: "ReactorCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),
        //   ReactorSystem: the only importer of the C modules (kernel objects, libsystemd, zlib).
        .target(
            name: "ReactorSystem",
            dependencies: ["ReactorCore", "CEpoll", "CZlib", "CSystemd", .product(name: "Logging", package: "swift-log")]),
        //   ReactorLoop: the event loop over ReactorSystem's kernel objects.
        .target(name: "ReactorLoop", dependencies: ["ReactorCore", "ReactorSystem", .product(name: "Logging", package: "swift-log")]),
        //   ReactorLog: log sinks (journal, file, stderr) and the loop-driven log queue.
        .target(
            name: "ReactorLog",
            dependencies: ["ReactorCore", "ReactorSystem", "ReactorLoop", .product(name: "Logging", package: "swift-log")]),
        //   One target per plugin: state machines over ReactorCore; a plugin never imports another one.
        .target(name: "ReactorPromoter", dependencies: ["ReactorCore", .product(name: "Logging", package: "swift-log")]),
        .target(name: "ReactorUMH", dependencies: ["ReactorCore", .product(name: "Logging", package: "swift-log")]),
        .target(name: "ReactorDebugger", dependencies: ["ReactorCore", .product(name: "Logging", package: "swift-log")]),
        .target(name: "ReactorAgentX", dependencies: ["ReactorCore", .product(name: "Logging", package: "swift-log")]),
        // gzip and /proc process statistics come from ReactorSystem.
        .target(
            name: "ReactorPrometheus",
            dependencies: ["ReactorCore", "ReactorSystem", .product(name: "Logging", package: "swift-log")]),
        //   ReactorDaemon: the daemon's wiring: config loading, plugin host, servers, events2 source, lifecycle.
        .target(
            name: "ReactorDaemon",
            dependencies: [
                "ReactorCore", "ReactorSystem", "ReactorLoop", "ReactorLog",
                "ReactorPromoter", "ReactorUMH", "ReactorDebugger", "ReactorAgentX", "ReactorPrometheus",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]),
        .executableTarget(
            name: "drbd-reactor",
            // No swift-argument-parser: four options do not pay for its resident pages.
            dependencies: ["ReactorDaemon", "ReactorLog", "ReactorLoop", "ReactorSystem", "ReactorCore"],
            linkerSettings: [.unsafeFlags(daemonReleaseLinkFlags, .when(platforms: [.linux], configuration: .release))]
        ),
        // drbd-reactorctl's logic (snippet naming, status, evict, edit), unit tested; the executable only parses.
        .target(name: "ReactorCtl", dependencies: ["ReactorDaemon", "ReactorPromoter", "ReactorLoop", "ReactorSystem", "ReactorCore"]),
        .executableTarget(
            name: "drbd-reactorctl",
            dependencies: [
                "ReactorCtl", "ReactorDaemon", "ReactorSystem", "ReactorCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // ocf-rs-wrapper's decisions (env, interval, messages: a state machine), unit tested; the
        // executable only wires it to the process. Runs OCF agents for `ocf.rs@.service`.
        .target(name: "OCFWrapper", dependencies: ["ReactorLoop", "ReactorSystem", "ReactorCore", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "ocf-rs-wrapper", dependencies: ["OCFWrapper", "ReactorLog", "ReactorLoop", "ReactorSystem", "ReactorCore", .product(name: "Logging", package: "swift-log")]),
        // Parser micro-benchmark for bench/run.py (not installed).
        .executableTarget(name: "reactor-parser-bench", dependencies: ["ReactorPrometheus", "ReactorSystem", "ReactorCore"]),
        // HA lab: a deterministic model of a DRBD 9 cluster (standard library only), and the server that
        // runs it in real time for real daemons (drbdsetup/drbdadm stand-ins over a unix socket).
        .target(name: "DRBDSim"),
        .executableTarget(
            name: "drbd-sim",
            dependencies: [
                "DRBDSim", "ReactorLoop", "ReactorSystem", "ReactorCore", .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "DRBDSimTests", dependencies: ["DRBDSim"]),
        // HA lab, fast tier (issue 10): the real daemon on simulated nodes against the DRBD model, on
        // virtual time (VirtualBackend), under seeded fault schedules (Sources/HALab); >= 1000 seeds per `swift test`.
        .target(
            name: "HALab",
            dependencies: [
                "ReactorDaemon", "ReactorPromoter", "ReactorLoop", "ReactorSystem", "ReactorCore", "DRBDSim",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "HALabTests", dependencies: ["HALab", "DRBDSim", "ReactorPromoter", "ReactorSystem", "ReactorCore"]),
        // Public-API input handlers for the libFuzzer targets; the unit tests replay the corpus through them.
        .target(name: "FuzzHarness", dependencies: ["ReactorDaemon", "ReactorAgentX", "ReactorPrometheus", "ReactorPromoter", "ReactorUMH", "ReactorCore"]),
        .testTarget(
            name: "ReactorTests",
            dependencies: [
                "ReactorDaemon", "ReactorLog", "ReactorLoop", "ReactorSystem", "ReactorCore", "ReactorPromoter", "ReactorUMH",
                "ReactorDebugger", "ReactorAgentX", "ReactorPrometheus", "FuzzHarness",
            ]),
        .testTarget(name: "ReactorCtlTests", dependencies: ["ReactorCtl", "ReactorPromoter", "ReactorSystem", "ReactorCore"]),
        .testTarget(name: "OCFWrapperTests", dependencies: ["OCFWrapper", "ReactorSystem", "ReactorCore"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer executable (`make fuzz`): declared only when REACTOR_FUZZ is set, because it links only with
// `-sanitize=fuzzer` (libFuzzer supplies main); the daemon's build never sees it.
if Context.environment["REACTOR_FUZZ"] != nil {
    package.targets.append(.executableTarget(
        name: "FuzzTargets", dependencies: ["FuzzHarness"], swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
}
