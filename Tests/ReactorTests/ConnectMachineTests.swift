import Testing
@testable import ReactorCore

/// One connect attempt: addresses in turn, resolution first for a name, the last reason on failure.
@Suite struct ConnectMachineTests {
    typealias M = ConnectMachine<String>
    static let now = Instant(nanoseconds: 1)

    @Test func addressesAreTriedInTurnUntilOneConnects() {
        var m = M()
        #expect(m.handle(.begin(.addresses(["a", "b", "c"])), now: Self.now) == [.connect("a")])
        #expect(m.handle(.connectFailed("a: refused"), now: Self.now) == [.connect("b")])
        #expect(m.handle(.connected, now: Self.now) == [.succeeded])
        #expect(m.handle(.connected, now: Self.now).isEmpty, "nothing is connecting any more")
    }

    @Test func theLastReasonIsReportedWhenNoAddressIsLeft() {
        var m = M()
        _ = m.handle(.begin(.addresses(["a", "b"])), now: Self.now)
        _ = m.handle(.connectFailed("a: refused"), now: Self.now)
        #expect(m.handle(.connectFailed("b: unreachable"), now: Self.now) == [.failed("b: unreachable")])
        var empty = M()
        #expect(empty.handle(.begin(.addresses([])), now: Self.now) == [.failed("no address")])
    }

    @Test func aNameIsResolvedFirstAndLateAnswersOfAnAbandonedAttemptAreIgnored() {
        var m = M()
        #expect(m.handle(.begin(.resolve(name: "snmp", port: 705, what: "tcp:snmp:705")), now: Self.now) == [.resolve(name: "snmp", port: 705)])
        #expect(m.handle(.resolved(["10.0.0.1:705", "[fd00::1]:705"]), now: Self.now) == [.connect("10.0.0.1:705")])
        _ = m.handle(.cancel, now: Self.now)
        #expect(m.handle(.connectFailed("late"), now: Self.now).isEmpty)
        _ = m.handle(.begin(.resolve(name: "gone", port: 705, what: "tcp:gone:705")), now: Self.now)
        #expect(m.handle(.resolveFailed("not found"), now: Self.now) == [.failed("cannot resolve 'tcp:gone:705': not found")])
        #expect(m.handle(.resolved(["late"]), now: Self.now).isEmpty)
    }
}
