import Testing
@testable import ReactorCore
@testable import ReactorSystem

/// The listening side's decisions, without a loop: the any-address and its IPv6 fallback, names
/// resolved first, failures at start reported by the owner and later ones logged, stop.
@Suite struct ListenerMachineTests {
    typealias L = ListenerMachine<Socket.Address>
    let now = Instant(nanoseconds: 1_000_000_000)
    let v6 = Socket.Address.ipv6("::", 9942), v4 = Socket.Address.ipv4("0.0.0.0", 9942)

    func machine(_ configured: String = ":9942") -> L { L(service: "/metrics", configured: configured) }

    /// The log lines among the effects, at their levels.
    func logs(_ effects: [L.Effect]) -> [String] {
        effects.compactMap { if case .log(let level, let text) = $0 { "\(level): \(text)" } else { nil } }
    }

    @Test func theAnyAddressIsIPv6sWhenIPv6CanBeBound() {
        var m = machine()
        #expect(m.handle(.start(.any(ipv6: v6, ipv4: v4)), now: now) == [.probeIPv6])
        #expect(m.handle(.ipv6Probed(available: true), now: now) == [.listen(v6)])
        #expect(m.handle(.listening(v6), now: now) == [.log(.info, "Serving /metrics on :9942.")])
        #expect(m.isServing && m.listening == [v6])
    }

    @Test func withoutIPv6ItListensOnTheIPv4AnyAddressAndSaysSo() {
        var m = machine()
        _ = m.handle(.start(.any(ipv6: v6, ipv4: v4)), now: now)
        let effects = m.handle(.ipv6Probed(available: false), now: now)
        #expect(effects == [.log(.info, "IPv6 is not available; listening on 0.0.0.0:9942 only."), .listen(v4)])
        #expect(logs(m.handle(.listening(v4), now: now)) == ["info: Serving /metrics on :9942."])
        #expect(m.listening == [v4])
    }

    /// A numeric address is listened on at once; a failure then is the owner's to report (its start
    /// throws), naming the reason the socket layer gave for that address.
    @Test func aListenFailureAtStartIsTheOwnersToReport() {
        var m = machine("127.0.0.1:9942")
        let address = Socket.Address.ipv4("127.0.0.1", 9942)
        #expect(m.handle(.start(.addresses([address])), now: now) == [.listen(address)])
        let effects = m.handle(.listenFailed(address, "Address already in use"), now: now)
        #expect(effects == [.release, .failed("Address already in use")])
        #expect(!m.isServing)
    }

    @Test func aResolvedNameIsServedOnItsFirstAddress() {
        var m = machine("db.example:9942")
        #expect(m.handle(.start(.resolve(name: "db.example", port: 9942)), now: now) == [.resolve(name: "db.example", port: 9942)])
        let first = Socket.Address.ipv4("192.0.2.7", 9942)
        #expect(m.handle(.resolved([first, .ipv6("2001:db8::7", 9942)]), now: now) == [.listen(first)])
        #expect(logs(m.handle(.listening(first), now: now)) == ["info: Serving /metrics on db.example:9942."])
        #expect(m.listening == [first])
    }

    /// After a resolution nobody waits for the start any more: the failure is logged, naming the name.
    @Test func aResolutionFailureIsLoggedNamingTheName() {
        var m = machine("nowhere.example:9942")
        _ = m.handle(.start(.resolve(name: "nowhere.example", port: 9942)), now: now)
        #expect(logs(m.handle(.resolveFailed("the name has no address"), now: now)) == [
            "error: Failed to serve /metrics on nowhere.example:9942: cannot listen on 'nowhere.example': the name has no address."
        ])
        var empty = machine("void.example:1")
        _ = empty.handle(.start(.resolve(name: "void.example", port: 1)), now: now)
        #expect(logs(empty.handle(.resolved([]), now: now)).first?.contains("cannot listen on 'void.example': the name has no address") == true)
    }

    @Test func aListenFailureAfterAResolutionIsLoggedNamingTheAddressFailure() {
        var m = machine("db.example:9942")
        _ = m.handle(.start(.resolve(name: "db.example", port: 9942)), now: now)
        let first = Socket.Address.ipv4("192.0.2.7", 9942)
        _ = m.handle(.resolved([first]), now: now)
        let effects = m.handle(.listenFailed(first, "192.0.2.7:9942: Cannot assign requested address"), now: now)
        #expect(effects.first == .release)
        #expect(logs(effects) == [
            "error: Failed to serve /metrics on db.example:9942: cannot listen on 'db.example': 192.0.2.7:9942: Cannot assign requested address."
        ])
        #expect(!effects.contains { if case .failed = $0 { true } else { false } }, "nobody waits for the start")
    }

    /// A stop while the name is being resolved cancels it; a late answer makes nothing listen, and a
    /// socket taken for a stopped instance goes straight back.
    @Test func stopDuringResolutionMeansNothingListensLater() {
        var m = machine("db.example:9942")
        _ = m.handle(.start(.resolve(name: "db.example", port: 9942)), now: now)
        #expect(m.handle(.stop, now: now) == [.cancelResolve, .release])
        #expect(m.handle(.resolved([.ipv4("192.0.2.7", 9942)]), now: now).isEmpty)
        #expect(m.handle(.resolveFailed("late"), now: now).isEmpty)
        #expect(m.handle(.listening(.ipv4("192.0.2.7", 9942)), now: now) == [.release])
        #expect(!m.isServing && m.listening.isEmpty)
    }

    @Test func stopWhileServingGivesTheSocketsBack() {
        var m = machine("127.0.0.1:9942")
        let address = Socket.Address.ipv4("127.0.0.1", 9942)
        _ = m.handle(.start(.addresses([address])), now: now)
        _ = m.handle(.listening(address), now: now)
        #expect(m.handle(.stop, now: now) == [.release])
        #expect(m.handle(.start(.addresses([address])), now: now).isEmpty, "a stopped instance does not start again")
    }
}
