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

/// `SystemdBus` against a real bus: a private `dbus-daemon` (Debian's `dbus-daemon` package) on a unix
/// socket in a temporary directory, driven only by our loop. Signals come from `dbus-send` children
/// shaped like systemd's (JobRemoved, PropertiesChanged), so the decoding is checked on real messages.
@Suite(.serialized) struct SystemdBusTests {
    let loop: EventLoop
    let directory: String

    init() throws {
        loop = try EventLoop(logger: Logger(label: "test"))
        var template = Array("/tmp/reactor-bus-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw Errno.current }
        directory = String(cString: p)
    }

    /// Steps the loop until `done` or a 5 s bound.
    func run(until done: () -> Bool) throws {
        let end = Clock.now() + .seconds(5)
        while !done() && Clock.now() < end { try loop.runOnce(timeout: .milliseconds(50)) }
    }

    /// Runs `body` with a dbus-daemon listening at the returned address; stops and reaps it afterwards.
    func withBusDaemon(_ body: (String) throws -> Void) throws {
        let address = "unix:path=\(directory)/bus"
        var ready = false
        var exited = false
        let (id, _) = try loop.spawn(
            argv: ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=\(address)", "--print-address"],
            environment: ["PATH=/usr/bin:/bin"], stdio: .init(pipeStdin: false, captureStdout: true, captureStderr: true),
            name: "dbus-daemon", onLine: { stream, _ in if stream == .stdout { ready = true } }
        ) { _ in exited = true }
        defer {
            loop.signal(id, 15)
            try? run { exited }
            unlink("\(directory)/bus")
            rmdir(directory)
        }
        try run { ready }
        try #require(ready, "dbus-daemon did not start")
        try body(address)
    }

    /// Sends a signal with `dbus-send` and waits for it to exit (`--bus`, not `--address`: only a registered
    /// connection's signals are routed).
    func send(_ address: String, _ arguments: [String]) throws {
        var exit: ChildExit?
        try loop.spawn(
            argv: ["dbus-send", "--bus=\(address)", "--type=signal"] + arguments, environment: ["PATH=/usr/bin:/bin"],
            stdio: .init(pipeStdin: false, captureStdout: true, captureStderr: true), name: "dbus-send",
            onLine: { _, line in Issue.record("dbus-send: \(String(decoding: line, as: UTF8.self))") }
        ) { exit = $0 }
        try run { exit != nil }
        #expect(exit == .exited(0))
    }

    @Test func callGetsReplyAndErrorsFromTheBusDaemon() throws {
        try withBusDaemon { address in
            let bus = try SystemdBus(.bus(address))
            try bus.attach(to: loop) { _ in }
            var id: String?
            try bus.call(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "GetId") {
                id = (try? $0.get())?.arguments.first?.string
            }
            var error: SystemdBus.CallError?
            try bus.call(
                destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                member: "GetNameOwner", arguments: ["org.example.nobody"]
            ) { if case .failure(let e) = $0 { error = e } }
            try run { id != nil && error != nil }
            #expect(id?.count == 32)  // the bus id: 32 hex digits
            #expect(error?.name == "org.freedesktop.DBus.Error.NameHasNoOwner")
            bus.close()
            #expect(!bus.isOpen)
        }
    }

    @Test func matchDeliversSystemdShapedSignals() throws {
        try withBusDaemon { address in
            let bus = try SystemdBus(.bus(address))
            try bus.attach(to: loop) { _ in }
            var received: [SystemdBus.Message] = []
            try bus.match("type='signal',interface='org.freedesktop.systemd1.Manager',member='JobRemoved'") { received.append($0) }
            try bus.match("type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'") { received.append($0) }
            // The match is installed asynchronously: a round trip through the bus daemon orders it first.
            var synced = false
            try bus.call(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "GetId") { _ in synced = true }
            try run { synced }
            try send(address, [
                "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager.JobRemoved", "uint32:7",
                "objpath:/org/freedesktop/systemd1/job/7", "string:drbd-services@r0.target", "string:dependency",
            ])
            try send(address, [
                "/org/freedesktop/systemd1/unit/foo_2eservice", "org.freedesktop.DBus.Properties.PropertiesChanged",
                "string:org.freedesktop.systemd1.Unit", "dict:string:string:ActiveState,failed,SubState,failed", "array:string:",
            ])
            try run { received.count == 2 }
            try #require(received.count == 2)
            #expect(received[0].member == "JobRemoved")
            #expect(received[0].arguments == [
                .integer(7), .string("/org/freedesktop/systemd1/job/7"), .string("drbd-services@r0.target"), .string("dependency"),
            ])
            #expect(received[1].path == "/org/freedesktop/systemd1/unit/foo_2eservice")
            #expect(received[1].arguments.first?.string == "org.freedesktop.systemd1.Unit")
            #expect(received[1].arguments[1].dictionary["ActiveState"]?.string == "failed")
            #expect(received[1].arguments[1].dictionary["SubState"]?.string == "failed")
        }
    }

    @Test func closedConnectionIsReported() throws {
        var closedWith: Errno?
        var bus: SystemdBus?
        try withBusDaemon { address in
            bus = try SystemdBus(.bus(address))
            try bus?.attach(to: loop) { closedWith = $0 }
        }
        // withBusDaemon stopped the daemon: the connection ends and the owner hears of it once.
        try run { closedWith != nil }
        #expect(closedWith != nil)
        #expect(bus?.isOpen == false)
    }

    @Test func unreachableEndpointFailsAtOnce() {
        #expect(throws: Errno.self) { try SystemdBus(.bus("unix:path=\(directory)/nothing-here")) }
        rmdir(directory)
    }
}

/// `SystemdWatch`'s fallback: no systemd to talk to, and a bus where systemd does not answer.
@Suite(.serialized) struct SystemdWatchTests {
    final class Memory: LogOutput, @unchecked Sendable {
        var entries: [LogEntry] = []
        func write(_ entry: LogEntry) { entries.append(entry) }
    }

    let memory = Memory()
    let bus: SystemdBusTests
    var logger: Logger {
        let handler = SinkLogHandler(level: .debug, output: memory)
        var l = Logger(label: "t", factory: { _ in handler })
        l.logLevel = .debug
        return l
    }

    init() throws { bus = try SystemdBusTests() }

    @Test func withoutSystemdTheWatchSaysSoOnceAndStaysAway() throws {
        var asked = 0
        let watch = SystemdWatch(loop: bus.loop, logger: logger, endpoints: { asked += 1; return nil }) { _ in }
        watch.want(true)
        watch.want(false)
        watch.want(true)
        #expect(!watch.isConnected)
        #expect(asked == 2)
        #expect(memory.entries.filter { $0.message.contains("Not watching") }.map(\.level) == [.info])
        watch.stop()
        rmdir(bus.directory)
    }

    @Test func refusedSubscribeIsLoggedAndRetried() throws {
        try bus.withBusDaemon { address in
            // No one owns org.freedesktop.systemd1 on this bus: the bus daemon refuses Subscribe at once.
            var connects = 0
            let watch = SystemdWatch(loop: bus.loop, logger: logger, endpoints: { connects += 1; return [.bus(address)] }) { _ in }
            watch.want(true)
            #expect(watch.isConnected)
            try bus.run { connects >= 2 }
            #expect(connects >= 2, "connected again after the refusal")
            let warnings = memory.entries.filter { $0.level == .warning }.map(\.message)
            #expect(warnings.first?.contains("systemd refused Subscribe on the bus at") == true, "\(warnings)")
            watch.stop()
            #expect(!watch.isConnected)
        }
    }
}
