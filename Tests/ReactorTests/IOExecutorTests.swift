import Glibc
import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorPrometheus
@testable import ReactorPromoter
@testable import ReactorDaemon

/// The one executor of the I/O vocabulary, on the virtual backend: connections by id (reads, writes
/// past what the socket takes, close after sending, end of input), files, counters, notify; and the
/// /metrics machine speaking the vocabulary through it.
@Suite struct IOExecutorTests {
    let backend = VirtualBackend()
    let loop: EventLoop
    let socketPath = "/run/io-test.sock"

    init() {
        backend.channelCapacity = 1000
        loop = EventLoop(backend: backend, logger: Logger(label: "test"))
    }

    /// A connected pair: the server side adopted by `executor`, and the test's client side.
    func connect<B>(_ executor: IOExecutor<B>) throws -> (id: ConnectionID, client: FileDescriptor) {
        let listener = try loop.listen(.unix(socketPath))
        let client = try loop.connect(.unix(socketPath))
        let server = try #require(try loop.accept(listener))
        loop.close(listener)
        let id = try #require(executor.adopt(server))
        return (id, client)
    }

    func turn() throws { try loop.runOnce(timeout: .zero) }

    @Test func readsWritesPastTheSocketsCapacityThenClosesWhenSent() throws {
        let executor = IOExecutor<[UInt8]>(loop: loop, logger: Logger(label: "test"), what: "test connection", sourceName: "test client")
        var inputs: [IOInput] = []
        executor.onInput = { inputs.append($0) }
        let (id, client) = try connect(executor)
        #expect(inputs == [.accepted(id)])

        _ = try loop.write(client, Array("hello".utf8))
        try turn()
        #expect(inputs.last == .received(id, Array("hello".utf8)))

        // 2500 bytes through a 1000-byte socket: the rest waits for EPOLLOUT, `.drained` once at the end.
        let body = (0..<2500).map { UInt8(truncatingIfNeeded: $0) }
        #expect(executor.perform(.send(id, body)) == nil)
        #expect(!inputs.contains(.drained(id)))
        var received: [UInt8] = []
        while !inputs.contains(.drained(id)) {
            received += backend.drain(client).bytes
            try turn()
        }
        received += backend.drain(client).bytes
        #expect(received == body)
        #expect(inputs.filter { $0 == .drained(id) }.count == 1)

        #expect(executor.perform(.send(id, Array("bye".utf8))) == nil)
        #expect(executor.perform(.closeWhenSent(id)) == nil)
        #expect(inputs.last == .closed(id))
        #expect(executor.connectionCount == 0)
        let rest = backend.drain(client)
        #expect(rest.bytes == Array("bye".utf8))
        #expect(rest.ended)
    }

    @Test func endOfInputIsReportedOnceAndCloseDropsUnsentBytes() throws {
        let executor = IOExecutor<[UInt8]>(loop: loop, logger: Logger(label: "test"), what: "test connection", sourceName: "test client")
        var inputs: [IOInput] = []
        executor.onInput = { inputs.append($0) }
        let (id, client) = try connect(executor)
        loop.close(client)
        try turn()
        try turn()
        // The socket is no longer watched for input once the peer closed: reported once, no busy loop.
        #expect(inputs == [.accepted(id), .peerClosed(id)])
        #expect(executor.isOpen(id))
        #expect(executor.perform(.close(id)) == nil)
        #expect(!executor.isOpen(id))
        #expect(inputs.last == .peerClosed(id), "a close asked for is not reported back")
        #expect(executor.perform(.send(id, [1, 2, 3])) == nil, "effects for a closed id are ignored")
    }

    /// A write that fails (the peer is gone) closes the connection and reports it, once.
    @Test func aFailedWriteClosesAndReportsClosed() throws {
        let executor = IOExecutor<[UInt8]>(loop: loop, logger: Logger(label: "test"), what: "test connection", sourceName: "test client")
        var inputs: [IOInput] = []
        executor.onInput = { inputs.append($0) }
        let (id, client) = try connect(executor)
        loop.close(client)
        #expect(executor.perform(.send(id, Array("late".utf8))) == nil)
        #expect(inputs == [.accepted(id), .closed(id)])
        #expect(executor.connectionCount == 0)
        try turn()
        #expect(inputs.count == 2, "nothing more for a closed connection")
    }

    @Test func filesCountersAndNotify() throws {
        let notifier = RecordingNotifier()
        var counted: [ReactorCounter] = []
        let executor = IOExecutor<[UInt8]>(
            loop: loop, logger: Logger(label: "test"), what: "test", sourceName: "test", notifier: notifier, count: { counted.append($0) })
        let dir = TempDir()
        let path = dir.path + "/sub/dir/unit.conf"
        #expect(executor.perform(.writeFile(path: path, contents: "[Unit]\n", mode: 0o600)) == nil)
        #expect(try FileSystem.readFile(path) == Array("[Unit]\n".utf8))
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600 & ~currentUmask())
        #expect(executor.perform(.writeFile(path: path, contents: "[Service]\n", mode: 0o644)) == nil)
        #expect(try FileSystem.readFile(path) == Array("[Service]\n".utf8), "replaced whole")
        #expect(executor.perform(.removeFile(path: path)) == nil)
        #expect((try? FileSystem.info(path)) == nil)
        #expect(executor.perform(.removeFile(path: path)) == nil, "a file already gone is fine")

        let blocked = dir.write("file", "x") + "/below"  // a regular file as a directory
        let failure = try #require(executor.perform(.writeFile(path: blocked, contents: "", mode: 0o644)))
        #expect(failure.description.contains("cannot write '\(blocked)'"))

        #expect(executor.perform(.count(.scrapes)) == nil)
        #expect(counted == [.scrapes])
        #expect(executor.perform(.notify("READY=1")) == nil)
        #expect(notifier.messages.map(\.text) == ["READY=1"])
        notifier.failure = Errno(ECONNREFUSED)
        let refused = try #require(executor.perform(.notify("STOPPING=1\nSTATUS=Stopping")))
        #expect(refused.description.contains("cannot notify the service manager (STOPPING=1"), "\(refused)")
    }

    func currentUmask() -> mode_t {
        let old = umask(0o022)
        umask(old)
        return old
    }

    /// The /metrics machine speaks only the vocabulary: a scrape goes in as `IOInput`s and out as
    /// `IOEffect`s, carried out by the executor; the answer arrives and the connection stays open.
    @Test func theMetricsMachineScrapesThroughTheExecutor() throws {
        typealias M = MetricsServerMachine<StubMetricsSource>
        let runner = EffectRunner<M.Input, M.Effect>(clock: { [loop] in loop.now })
        let executor = IOExecutor<ByteChunks>(loop: loop, logger: Logger(label: "test"), what: "test connection", sourceName: "test client")
        var machine = M(source: StubMetricsSource("metric 42\n"))
        var deadlines: [Instant?] = []
        let instance = runner.add(handle: { machine.handle($0, now: $1) }) { effect in
            switch effect {
            case .io(let io): #expect(executor.perform(io) == nil)
            case .deadline(_, let at): deadlines.append(at)
            case .stopped, .listener, .admit, .refuse, .log: break
            }
        }
        executor.onInput = { runner.send(.io($0), to: instance) }
        let (_, client) = try connect(executor)
        _ = try loop.write(client, Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        try turn()
        let answer = String(decoding: backend.drain(client).bytes, as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 200"))
        #expect(answer.hasSuffix("metric 42\n"))
        try turn()
        #expect(machine.count == 1)
        #expect(deadlines.count >= 2, "the header deadline, then the write deadline and the keep-alive one")

        runner.send(.stop, to: instance)
        #expect(executor.connectionCount == 0)
        #expect(backend.drain(client).ended)
    }

    /// The promoter launcher's drop-ins are file-write effects: one per generated file of each
    /// systemd-runner resource (none for a shell-runner one), carried out by the executor.
    @Test func promoterDropInsAreFileWrites() throws {
        var shell = PromoterFixture.config("r1")
        shell.runner = .shell
        let config = PromoterConfig(resources: [PromoterFixture.config("r0"), shell])
        let dir = TempDir()
        let (writes, _) = try PromoterLauncher.dropInWrites(config, under: dir.path)
        let expected = try PromoterUnits.files(for: PromoterFixture.config("r0")).files
        #expect(writes.count == expected.count)
        #expect(!writes.isEmpty)
        let executor = IOExecutor<[UInt8]>(loop: loop, logger: Logger(label: "test"), what: "file", sourceName: "file")
        for write in writes { #expect(executor.perform(write) == nil) }
        for file in expected {
            #expect(try FileSystem.readFile(dir.path + "/" + file.path) == Array(file.contents.utf8))
        }
        #expect(!writes.contains { if case .writeFile(let path, _, _) = $0 { path.contains("r1") } else { false } })
    }
}
