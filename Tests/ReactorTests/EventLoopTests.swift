import Glibc
import Logging
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

/// The loop against real, cheap kernel objects: eventfd, timerfd, signalfd, pipes, pidfds of /bin/sh.
@Suite(.serialized) struct EventLoopTests {
    let loop: EventLoop

    init() throws {
        loop = try EventLoop(logger: Logger(label: "test"))
    }

    /// Steps the loop until `done` or a 5 s bound.
    func run(until done: () -> Bool) throws {
        let end = Clock.now() + .seconds(5)
        while !done() && Clock.now() < end { try loop.runOnce(timeout: .milliseconds(50)) }
        #expect(done(), "condition not reached within 5 s")
    }

    @Test func timersFireInDeadlineOrder() throws {
        var fired: [Int] = []
        let base = loop.now
        loop.addTimer(at: base + .milliseconds(30), name: "c") { fired.append(3) }
        loop.addTimer(at: base + .milliseconds(10), name: "a") { fired.append(1) }
        loop.addTimer(at: base + .milliseconds(20), name: "b") { fired.append(2) }
        let cancelled = loop.addTimer(at: base + .milliseconds(15), name: "x") { fired.append(99) }
        loop.cancelTimer(cancelled)
        try run { fired.count == 3 }
        #expect(fired == [1, 2, 3])
        #expect(loop.now >= base + .milliseconds(30))
    }

    @Test func repeatingTimerRepeatsUntilCancelled() throws {
        var count = 0
        var id: EventLoop.SourceID?
        id = loop.addRepeatingTimer(every: .milliseconds(5), name: "r") {
            count += 1
            if count == 3 { loop.cancelTimer(id!) }
        }
        try run { count >= 3 }
        let end = Clock.now() + .milliseconds(40)
        while Clock.now() < end { try loop.runOnce(timeout: .milliseconds(10)) }
        #expect(count == 3)
    }

    @Test func ioSourceSeesReadinessAndThrowingHandlerIsDisabled() throws {
        let efd = try EventFD()
        var calls = 0
        try loop.addIO(efd.fd, events: .readable, name: "eventfd") { _ in
            calls += 1
            struct Boom: Error {}
            throw Boom()
        }
        try efd.signal()
        try loop.runOnce(timeout: .milliseconds(100))
        #expect(calls == 1)
        // Still readable (never drained), but the source was disabled: no second call, no crash.
        try loop.runOnce(timeout: .milliseconds(20))
        #expect(calls == 1)
    }

    /// A turn's work is reported (the wait is not) and counted in the bands the health metrics export.
    @Test func turnLatencyIsReportedAndCounted() throws {
        let stats = ReactorStats()
        var turns: [Duration] = []
        loop.onTurn = { turns.append($0); stats.recordTurn($0) }
        loop.deferWork { usleep(2_000) }
        try loop.runOnce(timeout: .zero)  // the deferred work's turn
        #expect(turns.count == 1 && turns[0] >= .milliseconds(2))
        loop.addTimer(at: Clock.now() + .milliseconds(5), name: "busy") { usleep(20_000) }
        try run { turns.contains { $0 >= .milliseconds(20) } }
        try loop.runOnce(timeout: .milliseconds(30))  // a wait of up to 30 ms with nothing to do
        #expect(turns.last! < .milliseconds(20))  // the wait is not counted
        // The bands count exactly the reported turns above each limit (others may exceed 1 ms on a busy machine).
        let over = { (ms: Int64) in UInt64(turns.filter { $0 > .milliseconds(ms) }.count) }
        #expect(stats.loopTurns == UInt64(turns.count))
        #expect(stats.loopTurnsOver1ms == over(1) && stats.loopTurnsOver1ms >= 2)
        #expect(stats.loopTurnsOver10ms == over(10) && stats.loopTurnsOver10ms >= 1)
        #expect(stats.loopTurnsOver100ms == over(100))
    }

    @Test func deferredWorkRunsBeforeWaiting() throws {
        var ran = false
        loop.deferWork { ran = true }
        let before = Clock.now()
        try loop.runOnce(timeout: .milliseconds(1))
        #expect(ran)
        #expect(Clock.now() - before < .seconds(1))
    }

    @Test func childOutputThenExitStatus() throws {
        var lines: [String] = []
        var exit: ChildExit?
        try loop.spawn(
            argv: ["/bin/sh", "-c", "echo one; echo two >&2; printf three; exit 3"], environment: [], name: "sh",
            onLine: { stream, line in lines.append("\(stream.rawValue):\(String(decoding: line, as: UTF8.self))") },
            onExit: { exit = $0 })
        try run { exit != nil }
        #expect(exit == .exited(3))
        #expect(Set(lines) == ["stdout:one", "stderr:two", "stdout:three"])
        #expect(loop.runningChildren == 0)
    }

    @Test func signalledChildAndNoZombie() throws {
        var exit: ChildExit?
        let (id, process) = try loop.spawn(argv: ["/bin/sleep", "30"], environment: [], name: "sleep", onLine: nil, onExit: { exit = $0 })
        loop.signal(id, Signal.terminate)
        try run { exit != nil }
        #expect(exit == .signaled(Signal.terminate))
        // Reaped: the pid no longer exists as a zombie child.
        var status: Int32 = 0
        #expect(waitpid(process.pid, &status, WNOHANG) == -1)
    }

    @Test func childDoesNotInheritBlockedSignals() throws {
        // The daemon blocks SIGTERM for its signalfd; a child must still die from SIGTERM.
        let sfd = try SignalFD(signals: [SIGUSR2])
        _ = sfd
        var exit: ChildExit?
        let (id, _) = try loop.spawn(argv: ["/bin/sleep", "30"], environment: [], name: "sleep", onLine: nil, onExit: { exit = $0 })
        loop.signal(id, SIGUSR2)
        try run { exit != nil }
        #expect(exit == .signaled(SIGUSR2))
    }

    @Test func missingProgramIsAnError() {
        #expect(throws: Errno.self) {
            try loop.spawn(argv: ["/nonexistent/program"], environment: [], name: "x", onLine: nil, onExit: { _ in })
        }
    }

    /// Lines up to the cap arrive whole across many reads; a longer one is dropped, the next line is not.
    @Test func longLinesArriveWholeOverLongOnesAreDropped() throws {
        var lines: [Int] = []
        var done = false
        let max = LineBuffer.defaultMaxLineLength
        try loop.spawn(
            argv: ["/bin/sh", "-c", "head -c \(max) /dev/zero | tr '\\\\0' x; echo; head -c 5000000 /dev/zero | tr '\\\\0' y; echo; echo short"],
            environment: [], name: "long", onLine: { _, line in lines.append(line.count) }, onExit: { _ in done = true })
        try run { done }
        #expect(lines == [max, 5])
    }

    @Test func signalsArriveThroughTheLoop() throws {
        var got: [Int32] = []
        try loop.handleSignals([SIGUSR1]) { got.append($0) }
        // Directed at this thread (which blocked it): other test threads must not see it.
        pthread_kill(pthread_self(), SIGUSR1)
        try run { got == [SIGUSR1] }
    }
}

@Suite struct LineBufferTests {
    @Test func splitsLinesAcrossChunks() {
        var b = LineBuffer()
        var out: [String] = []
        b.append(Array("ab\ncd".utf8))
        b.consumeLines { out.append(String(decoding: $0, as: UTF8.self)) }
        b.append(Array("e\r\nf".utf8))
        b.consumeLines { out.append(String(decoding: $0, as: UTF8.self)) }
        #expect(out == ["ab", "cde"])
        b.consumeRemainder { out.append(String(decoding: $0, as: UTF8.self)) }
        #expect(out == ["ab", "cde", "f"])
        #expect(b.pendingCount == 0)
    }

    /// A writer that never sends a newline: 5 MB in read-sized chunks stay within the cap plus one chunk,
    /// the over-long line is dropped up to its newline, and the events2 lines after it still parse.
    @Test func anOverLongLineIsDroppedAndItsMemoryGivenBack() throws {
        var b = LineBuffer()
        var lines: [ArraySlice<UInt8>] = []
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 65536)
        b.append(Array("exists resource name:r0 role:Secondary\n".utf8))
        b.consumeLines { lines.append($0) }
        var peak = 0
        for _ in 0..<(5_000_000 / chunk.count) {
            b.append(chunk)
            b.consumeLines { lines.append($0) }
            peak = max(peak, b.bytes.capacity)
        }
        #expect(peak <= 2 * (LineBuffer.defaultMaxLineLength + chunk.count))
        #expect(b.droppedLines == 1)
        b.append(Array("tail of the long line\nchange resource name:r0 role:Primary\r\nexists -\npartial".utf8))
        b.consumeLines { lines.append($0) }
        #expect(b.droppedLines == 1)
        let records = try lines.map { try Events2Parser.parse($0) }
        #expect(records.count == 3)
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == [
            "exists resource name:r0 role:Secondary", "change resource name:r0 role:Primary", "exists -",
        ])
        #expect(b.bytes.capacity <= chunk.count + 64)
        var rest: [String] = []
        b.consumeRemainder { rest.append(String(decoding: $0, as: UTF8.self)) }
        #expect(rest == ["partial"])
    }

    @Test func anOverLongLineAtEndOfFileIsNotHandedOut() {
        var b = LineBuffer(maxLineLength: 8)
        var out: [String] = []
        b.append(Array("short\n0123456789abcdef".utf8))
        b.consumeLines { out.append(String(decoding: $0, as: UTF8.self)) }
        b.consumeRemainder { out.append(String(decoding: $0, as: UTF8.self)) }
        #expect(out == ["short"])
        #expect(b.droppedLines == 1)
    }
}
