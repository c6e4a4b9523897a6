import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop

/// The loop's bus connections on the virtual backend: deliveries on the loop in order, match rules,
/// calls answered, closing from either side, no virtual file left behind.
struct VirtualBusTests {
    let backend = VirtualBackend()
    let loop: EventLoop

    init() { loop = EventLoop(backend: backend, logger: Logger(label: "test")) }

    final class Box { var items: [BusDelivery] = [] }

    func turn(_ n: Int = 3) throws { for _ in 0..<n { try loop.runOnce(timeout: .zero) } }

    @Test func signalsAndRepliesArriveOnTheLoopInOrder() throws {
        let box = Box()
        let files = backend.openFiles
        let bus = try loop.openBus(.system, name: "t") { box.items.append($0) }
        try loop.addBusMatch(bus, rule: "type='signal',sender='org.freedesktop.systemd1',member='JobRemoved'")
        let serial = try loop.callBus(bus, BusMethodCall(destination: "org.freedesktop.systemd1", path: "/", interface: "x", member: "Subscribe"))
        let unknown = try loop.callBus(bus, BusMethodCall(destination: "org.freedesktop.systemd1", path: "/", interface: "x", member: "Reboot"))
        let signal = SystemdSignalsFixture.jobRemoved
        backend.bus.publish(signal)
        var other = signal
        other.sender = ":1.5"
        backend.bus.publish(other)  // not from systemd: the rule does not cover it
        #expect(box.items.isEmpty, "nothing is delivered inside the calls")
        try turn()
        #expect(box.items.count == 3, "\(box.items)")
        guard box.items.count == 3 else { return }
        #expect(box.items[0] == .reply(serial: serial, .success(BusMessage(sender: "org.freedesktop.systemd1", path: nil, interface: nil, member: nil, arguments: []))))
        if case .reply(unknown, .failure(let e)) = box.items[1] {
            #expect(e.name == "org.freedesktop.DBus.Error.UnknownMethod")
        } else {
            Issue.record("\(box.items[1])")
        }
        #expect(box.items[2] == .signal(signal))
        loop.closeBus(bus)
        backend.bus.publish(signal)
        try turn()
        #expect(box.items.count == 3, "nothing after the close")
        #expect(backend.bus.openConnections == 0)
        #expect(backend.openFiles == files, "no virtual file left behind")
    }

    @Test func theBusSideEndsConnectionsAndRefusesNewOnes() throws {
        let box = Box()
        _ = try loop.openBus(.system, name: "t") { box.items.append($0) }
        backend.bus.disconnectAll()
        try turn()
        #expect(box.items == [.closed(.connectionReset)])
        #expect(loop.buses.isEmpty)
        backend.bus.refusal = Errno.connectionRefused
        #expect(throws: Errno.connectionRefused) { try loop.openBus(.system, name: "t") { _ in } }
        #expect(backend.bus.connects.count == 2)
    }

    @Test func malformedRulesAreRefused() throws {
        let bus = try loop.openBus(.system, name: "t") { _ in }
        #expect(throws: Errno.invalid) { try loop.addBusMatch(bus, rule: "arg0='x'") }
        loop.closeBus(bus)
        #expect(throws: Errno.badDescriptor) { try loop.addBusMatch(bus, rule: "member='x'") }
    }
}

/// A systemd-shaped signal for the loop-level tests (the daemon's `SystemdSignals` builds them above).
enum SystemdSignalsFixture {
    static let jobRemoved = BusMessage(
        sender: "org.freedesktop.systemd1", path: "/org/freedesktop/systemd1", interface: "org.freedesktop.systemd1.Manager",
        member: "JobRemoved", arguments: [.integer(1), .string("/org/freedesktop/systemd1/job/1"), .string("a.service"), .string("done")])
}
