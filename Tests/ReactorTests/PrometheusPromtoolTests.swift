import Foundation
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorUMH
@testable import ReactorDebugger
@testable import ReactorAgentX
@testable import ReactorPrometheus
@testable import ReactorDaemon

/// Runs Prometheus' own `promtool check metrics` (Debian package `prometheus`) on our output.
@Suite struct PrometheusPromtoolTests {
    static let promtool = "/usr/bin/promtool"

    /// promtool's exit status and combined output for `input` on stdin.
    func check(_ input: [UInt8]) throws -> (status: Int32, output: String) {
        let (status, output) = try FilterProcess.run(Self.promtool, ["check", "metrics"], input: input)
        return (status, String(decoding: output, as: UTF8.self))
    }

    /// Only the lint findings the original's names cause (its `_bytes` counters, kept for dashboards).
    func unexpectedFindings(_ output: String) -> [Substring] {
        output.split(separator: "\n").filter {
            !$0.hasPrefix("drbd_peerdevice_sent_bytes ") && !$0.hasPrefix("drbd_peerdevice_received_bytes ")
        }
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: promtool),
            "needs /usr/bin/promtool (Debian package 'prometheus', installed by scripts/setup)"),
        arguments: [false, true])
    func promtoolAcceptsOutput(enums: Bool) throws {
        var world = PrometheusFixture.large(20).merging(PrometheusFixture.world) { a, _ in a }
        var odd = Resource(name: "we\"ird\\name\nwith newline")
        odd.role = .other("Fancy")
        var d = Device(volume: 0)
        d.diskState = .other("Weird")
        odd.devices[0] = d
        world[odd.name] = odd
        let body = MetricsRenderer(enums: enums).render(
            resources: world, versions: PrometheusFixture.versions, stats: PrometheusFixture.stats,
            process: ProcessStats.current())
        let (status, output) = try check(body)
        // 3: lint findings only (the original's `_bytes` counters); 1 would be a parse error.
        #expect(status == 3, "promtool: \(output)")
        #expect(output.contains("drbd_peerdevice_sent_bytes counter metrics should have \"_total\" suffix"))
        #expect(unexpectedFindings(output).isEmpty, "promtool: \(output)")
    }

    /// The check itself can fail: a broken exposition is reported.
    @Test func promtoolRejectsBrokenOutput() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.promtool) else { return }
        let (status, _) = try check(Array("# TYPE x gauge\nx{a=\"unterminated} 1\n".utf8))
        #expect(status == 1)
    }
}

/// Runs a program that reads all of stdin before writing (promtool, gzip -d), for tests.
enum FilterProcess {
    /// Exit status and combined stdout/stderr of `path args` fed `input`.
    static func run(_ path: String, _ args: [String], input: [UInt8]) throws -> (status: Int32, output: [UInt8]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        // Writing all input before reading cannot deadlock: promtool reads everything before it writes,
        // and the inputs given to gzip fit into the pipe buffer.
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, [UInt8](output))
    }
}
