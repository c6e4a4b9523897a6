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

/// Log sinks whose destination stops accepting (a stderr pipe nobody reads, journald's receive queue
/// full) must not stall the loop: entries queue up to a bound, the rest is dropped and counted, and one
/// entry reports the drops once writing works again.
@Suite(.serialized, .timeLimit(.minutes(1))) struct LogQueueTests {
    let loop: EventLoop

    init() throws { loop = try EventLoop(logger: Logger(label: "test")) }

    static func entry(_ i: Int) -> LogEntry {
        LogEntry(
            level: .info, message: "entry \(i) " + String(repeating: "x", count: 200), metadata: [:], file: "f", function: "g",
            line: 1)
    }

    /// A test delivery: the packed entry as one datagram on the connected probe (EAGAIN counts as a
    /// failure: the probe said there was room).
    static func sendOnProbe(_ packed: [UInt8], _ probe: FileDescriptor) throws(Errno) {
        let n = packed.withUnsafeBytes { send(probe.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n < 0 { throw Errno.current }
    }

    /// Logs until the output has dropped entries, while a 1 ms timer must keep firing on the loop.
    func flood(_ output: any LogOutput, dropped: () -> Int) throws -> Int {
        var ticks = 0
        let timer = loop.addRepeatingTimer(every: .milliseconds(1), name: "tick") { ticks += 1 }
        defer { loop.cancelTimer(timer) }
        var i = 0
        while dropped() == 0 && i < 100_000 {
            output.write(Self.entry(i))
            i += 1
            if i % 100 == 0 { try loop.runOnce(timeout: .milliseconds(0)) }
        }
        let end = Clock.now() + .milliseconds(50)
        while Clock.now() < end { try loop.runOnce(timeout: .milliseconds(5)) }
        #expect(ticks >= 5, "the loop stopped turning while the log destination was full")
        return i
    }

    @Test func aStderrPipeNobodyReadsDoesNotStallTheLoop() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)  // blocking, as an inherited stderr pipe is
        defer { close(fds[0]); close(fds[1]) }
        let output = FileOutput(fd: fds[1], limit: 64 * 1024)
        output.attach(to: loop)
        _ = try flood(output) { output.queue.droppedCount }
        let dropped = output.queue.droppedCount
        #expect(dropped > 0)
        #expect(output.queue.pendingBytes > 0)
        // The inherited descriptor itself stays blocking: children sharing stderr see no EAGAIN.
        #expect(fcntl(fds[1], F_GETFL) & O_NONBLOCK == 0)

        // The reader wakes up: everything queued is written, then one line reports the drops.
        try #require(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0)
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let end = Clock.now() + .seconds(5)
        while Clock.now() < end && !String(decoding: text, as: UTF8.self).contains("Dropped") {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 { text += buffer.prefix(n) }
            try loop.runOnce(timeout: .milliseconds(5))
        }
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n")
        #expect(lines.last == "WARN Dropped \(dropped) log messages: the log destination did not accept them in time.")
        #expect(output.queue.pendingBytes == 0)
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("INFO entry ") })
    }

    @Test func aFullJournalSocketDoesNotStallTheLoop() throws {
        let dir = TempDir()
        let path = dir.path + "/journal"
        let socket = try Socket.bindDatagram(path)
        let receiver = socket.rawValue
        defer { socket.close() }

        // sd_journal_sendv always sends to the real journald: here the entry goes on the probe itself,
        // so the test's socket is both what the probe watches and where entries arrive.
        let output = JournalOutput(path: path, limit: 64 * 1024, deliver: Self.sendOnProbe)
        let queue = try #require(output.queue)
        output.attach(to: loop)
        _ = try flood(output) { queue.droppedCount }
        let dropped = queue.droppedCount
        #expect(dropped > 0)

        // journald catches up: the queued datagrams arrive, the last one reports the drops.
        var last: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let end = Clock.now() + .seconds(5)
        while Clock.now() < end && !String(decoding: last, as: UTF8.self).contains("Dropped") {
            let n = buffer.withUnsafeMutableBytes { recv(receiver, $0.baseAddress, $0.count, 0) }
            if n > 0 { last = Array(buffer.prefix(n)) } else { try loop.runOnce(timeout: .milliseconds(5)) }
        }
        #expect(Journal.unpack(last) == LogEntry.dropNotice(dropped).journalFields)
        #expect(queue.pendingBytes == 0)
    }

    @Test func withoutJournaldEntriesAreDroppedNotQueued() throws {
        let dir = TempDir()
        let output = JournalOutput(path: dir.path + "/none", deliver: Self.sendOnProbe)
        let queue = try #require(output.queue)
        output.write(Self.entry(1))
        output.write(Self.entry(2))
        #expect(queue.droppedCount == 2)
        #expect(queue.pendingBytes == 0)
    }

    @Test func aLogFileThatCannotBeOpenedFailsTheSetUp() {
        let dir = TempDir()
        let missing = dir.path + "/no/such/dir/reactor.log"
        #expect(throws: LogSetupError(path: missing, reason: .noEntry)) {
            try LogSetup.handlers(for: [LogConfig(level: .info), LogConfig(level: .debug, file: missing)])
        }
    }

    @Test func aLogFileIsAppendedTo() throws {
        let dir = TempDir()
        let path = dir.write("reactor.log", "before\n")
        let handlers = try LogSetup.handlers(for: [LogConfig(level: .info, file: path)])
        try #require(handlers.count == 1)
        handlers[0].output.write(Self.entry(7))
        let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        #expect(text.hasPrefix("before\nINFO entry 7 "))
    }
}
