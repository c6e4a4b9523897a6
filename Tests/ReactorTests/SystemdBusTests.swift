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
            loop.signal(id, .terminate)
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

    /// What a connection delivered, in order, with views by kind.
    final class Deliveries {
        var items: [BusDelivery] = []
        var replies: [UInt64: Result<BusMessage, BusCallError>] {
            var r: [UInt64: Result<BusMessage, BusCallError>] = [:]
            for case .reply(let serial, let result) in items { r[serial] = result }
            return r
        }
        var signals: [BusMessage] { items.compactMap { if case .signal(let m) = $0 { m } else { nil } } }
        var closed: Errno? { items.lazy.compactMap { if case .closed(let e) = $0 { e } else { nil } }.first }
    }

    /// Opens a connection on the loop; its deliveries are appended to the returned box.
    func open(_ address: String) throws -> (EventLoop.SourceID, Deliveries) {
        let d = Deliveries()
        let id = try loop.openBus(.bus(address), name: "test bus") { d.items.append($0) }
        return (id, d)
    }

    static func dbus(_ member: String, _ arguments: [String] = []) -> BusMethodCall {
        BusMethodCall(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: member, arguments: arguments)
    }

    @Test func callGetsReplyAndErrorsFromTheBusDaemon() throws {
        try withBusDaemon { address in
            let (bus, d) = try open(address)
            let id = try loop.callBus(bus, Self.dbus("GetId"))
            let owner = try loop.callBus(bus, Self.dbus("GetNameOwner", ["org.example.nobody"]))
            #expect(d.items.isEmpty, "replies come from the loop, never from inside the call")
            try run { d.replies.count == 2 }
            #expect((try? d.replies[id]?.get())?.arguments.first?.string?.count == 32)  // the bus id: 32 hex digits
            guard case .failure(let error)? = d.replies[owner] else { Issue.record("\(d.items)"); return }
            #expect(error.name == "org.freedesktop.DBus.Error.NameHasNoOwner")
            loop.closeBus(bus)
            #expect(loop.buses.isEmpty)
        }
    }

    @Test func matchDeliversSystemdShapedSignals() throws {
        try withBusDaemon { address in
            let (bus, d) = try open(address)
            try loop.addBusMatch(bus, rule: "type='signal',interface='org.freedesktop.systemd1.Manager',member='JobRemoved'")
            try loop.addBusMatch(bus, rule: "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'")
            // The match is installed asynchronously: a round trip through the bus daemon orders it first.
            let sync = try loop.callBus(bus, Self.dbus("GetId"))
            try run { d.replies[sync] != nil }
            try send(address, [
                "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager.JobRemoved", "uint32:7",
                "objpath:/org/freedesktop/systemd1/job/7", "string:drbd-services@r0.target", "string:dependency",
            ])
            try send(address, [
                "/org/freedesktop/systemd1/unit/foo_2eservice", "org.freedesktop.DBus.Properties.PropertiesChanged",
                "string:org.freedesktop.systemd1.Unit", "dict:string:string:ActiveState,failed,SubState,failed", "array:string:",
            ])
            try run { d.signals.count == 2 }
            let received = d.signals
            try #require(received.count == 2)
            #expect(received[0].member == "JobRemoved")
            #expect(received[0].sender?.hasPrefix(":") == true, "a bus stamps the sender's unique name")
            #expect(received[0].arguments == [
                .integer(7), .string("/org/freedesktop/systemd1/job/7"), .string("drbd-services@r0.target"), .string("dependency"),
            ])
            // The same value the virtual bus carries for systemd (but for the sender and the variant's type).
            let built = SystemdSignals.jobRemoved(id: 7, unit: "drbd-services@r0.target", result: "dependency")
            #expect(received[0].arguments == built.arguments && received[0].path == built.path && received[0].interface == built.interface)
            #expect(received[1].path == "/org/freedesktop/systemd1/unit/foo_2eservice")
            #expect(received[1].arguments.first?.string == "org.freedesktop.systemd1.Unit")
            #expect(received[1].arguments[1].dictionary["ActiveState"]?.string == "failed")
            #expect(received[1].arguments[1].dictionary["SubState"]?.string == "failed")
            loop.closeBus(bus)
        }
    }

    @Test func closedConnectionIsReported() throws {
        var d: Deliveries?
        try withBusDaemon { address in
            d = try open(address).1
        }
        // withBusDaemon stopped the daemon: the connection ends and the owner hears of it once, last.
        try run { d?.closed != nil }
        #expect(d?.closed != nil)
        #expect(d?.items.last.map { if case .closed = $0 { true } else { false } } == true)
        #expect(loop.buses.isEmpty, "the loop let go of it")
    }

    @Test func unreachableEndpointFailsAtOnce() {
        #expect(throws: Errno.self) { try loop.openBus(.bus("unix:path=\(directory)/nothing-here"), name: "x") { _ in } }
        #expect(loop.buses.isEmpty)
        rmdir(directory)
    }
}

/// `SystemdWatch` on a real bus where systemd does not answer: Subscribe refused, warned about, retried.
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

    @Test func refusedSubscribeIsLoggedAndRetried() throws {
        try bus.withBusDaemon { address in
            // No one owns org.freedesktop.systemd1 on this bus: the bus daemon refuses Subscribe at once.
            let watch = SystemdWatch(
                loop: bus.loop, logger: logger, retry: Backoff(first: .milliseconds(100), limit: .seconds(1)), endpoints: { [.bus(address)] }
            ) { _ in }
            watch.want(true)
            #expect(watch.isConnected)
            try bus.run { memory.entries.filter { $0.level == .warning }.count >= 2 }
            let warnings = memory.entries.filter { $0.level == .warning }.map(\.message)
            #expect(warnings.count >= 2, "connected again after the refusal: \(warnings)")
            #expect(warnings.first?.contains("systemd refused Subscribe on the bus at") == true, "\(warnings)")
            #expect(warnings.first?.contains("connecting again in 0.1 seconds") == true, "\(warnings)")
            watch.stop()
            #expect(!watch.isConnected)
        }
    }
}
