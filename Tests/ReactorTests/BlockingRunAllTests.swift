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

/// `Blocking.runAll` against real children: they run at the same time, each keeps its own output and
/// exit, a program that cannot start is that command's error.
@Suite struct BlockingRunAllTests {
    @Test func childrenRunTogetherAndKeepTheirOwnResults() throws {
        let dir = try Blocking.createTemporaryFile(directory: "/tmp", prefix: "runall-", suffix: "", contents: "")
        try FileSystem.remove(dir)
        // The first waits (up to 10 s) for a file the second creates: run one after the other, the
        // first would give up and exit 1.
        let wait = "i=0; while [ ! -e \(dir) ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 1; sleep 0.01; done; echo waited; echo err >&2"
        let outcomes = try Blocking.runAll(
            [["sh", "-c", wait], ["sh", "-c", "touch \(dir); echo made; exit 3"], ["/nonexistent/program"]],
            environment: ["PATH=/usr/bin:/bin"], stdout: .capture, stderr: .capture)
        defer { try? FileSystem.remove(dir) }
        let first = try outcomes[0].get(), second = try outcomes[1].get()
        #expect(first.exit == .exited(0) && first.stdout == Array("waited\n".utf8) && first.stderr == Array("err\n".utf8))
        #expect(second.exit == .exited(3) && second.stdout == Array("made\n".utf8))
        #expect(throws: Errno.noEntry) { try outcomes[2].get() }
    }
}
