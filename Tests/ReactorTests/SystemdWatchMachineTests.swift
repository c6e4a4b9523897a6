import Logging
import Testing
@testable import ReactorCore
@testable import ReactorPromoter
@testable import ReactorDaemon

/// The systemd watch's decisions, pure: when to connect, retry and log, and what signals mean.
struct SystemdWatchMachineTests {
    typealias M = SystemdWatchMachine
    let t0 = Instant(nanoseconds: 1_000_000_000_000)
    let endpoint = BusEndpoint.bus("unix:path=/x")

    func machine() -> M { M(retry: Backoff(first: .seconds(1), limit: .seconds(60))) }

    /// The log lines among `effects`.
    func logs(_ effects: [M.Effect]) -> [(Logger.Level, String)] {
        effects.compactMap { if case .log(let l, let m) = $0 { (l, m) } else { nil } }
    }

    @Test func withoutSystemdItSaysSoOnceAndDoesNotRetry() {
        var m = machine()
        #expect(m.handle(.want(true), now: t0) == [.connect])
        let first = m.handle(.unavailable, now: t0)
        #expect(logs(first).map(\.0) == [.info])
        #expect(logs(first).first?.1.contains("Not watching the promoters' systemd units over D-Bus (systemd is not the init system here)") == true)
        #expect(!first.contains { if case .armRetry = $0 { true } else { false } })
        #expect(m.handle(.want(false), now: t0) == [])
        #expect(m.handle(.want(true), now: t0) == [.connect])
        #expect(m.handle(.unavailable, now: t0) == [], "said once")
    }

    @Test func refusedConnectsAreRetriedDoublingAndLoggedOnce() {
        var m = machine()
        _ = m.handle(.want(true), now: t0)
        var now = t0
        var retries: [Duration] = []
        var logged = 0
        for _ in 0..<8 {
            let effects = m.handle(.connectFailed(["the system bus: Connection refused"]), now: now)
            logged += logs(effects).count
            guard case .armRetry(let at)? = effects.last else { Issue.record("\(effects)"); return }
            retries.append(at - now)
            now = at
            #expect(m.handle(.retryDue, now: now) == [.connect])
        }
        #expect(retries == [1, 2, 4, 8, 16, 32, 60, 60].map { .seconds($0) })
        #expect(logged == 1)
    }

    @Test func workingConnectionLogsAndPassesSignalsOn() {
        var m = machine()
        _ = m.handle(.want(true), now: t0)
        #expect(m.handle(.connected(endpoint), now: t0) == [])
        let message = SystemdSignals.jobRemoved(id: 1, unit: "a.service", result: "done")
        #expect(m.handle(.signal(message), now: t0) == [.event(.jobRemoved(unit: "a.service", result: "done"))], "connected: signals count")
        #expect(m.handle(.subscribed, now: t0) == [
            .log(.info, "Watching the promoters' systemd units over \(endpoint): failed services are started again at once."),
        ])
        let failed = SystemdSignals.unitChanged("a.service", activeState: "failed", subState: "failed", result: "exit-code")
        #expect(failed.flatMap { m.handle(.signal($0), now: t0) } == [
            .event(.unitState(unit: "a.service", activeState: "failed", subState: "failed", result: "exit-code")),
        ])
        #expect(m.handle(.want(false), now: t0) == [.disconnect])
        #expect(m.handle(.signal(message), now: t0) == [], "a late signal after the disconnect means nothing")
    }

    @Test func lossWarnsWithTheNextDelayAndReconnects() {
        var m = machine()
        _ = m.handle(.want(true), now: t0)
        _ = m.handle(.connectFailed(["x: refused"]), now: t0)  // backoff now at 2 s
        _ = m.handle(.retryDue, now: t0 + .seconds(1))
        _ = m.handle(.connected(endpoint), now: t0 + .seconds(1))
        _ = m.handle(.subscribed, now: t0 + .seconds(1))  // works: backoff back to 1 s
        let lost = m.handle(.lost("the connection to \(endpoint) ended: reset"), now: t0 + .seconds(10))
        #expect(lost == [
            .disconnect,
            .log(.warning, "Not watching the promoters' systemd units any more (the connection to \(endpoint) ended: reset); their 20 s check goes on, connecting again in \(Duration.seconds(1))."),
            .armRetry(at: t0 + .seconds(11)),
        ])
        #expect(m.handle(.retryDue, now: t0 + .seconds(11)) == [.connect])
        // A refused connect after a loss is not "not used" again: the warning said it.
        let refused = m.handle(.connectFailed(["x: refused"]), now: t0 + .seconds(11))
        #expect(refused == [.armRetry(at: t0 + .seconds(13))])
    }

    @Test func refusedSubscribeIsALoss() {
        var m = machine()
        _ = m.handle(.want(true), now: t0)
        _ = m.handle(.connected(endpoint), now: t0)
        let effects = m.handle(.subscribeRefused(BusCallError(name: "org.freedesktop.DBus.Error.AccessDenied", message: "no")), now: t0)
        #expect(effects.first == .disconnect)
        #expect(logs(effects).first?.1.contains("systemd refused Subscribe on \(endpoint): org.freedesktop.DBus.Error.AccessDenied: no") == true)
        #expect(effects.last == .armRetry(at: t0 + .seconds(1)))
    }

    @Test func unwantedWhileWaitingCancelsTheRetry() {
        var m = machine()
        _ = m.handle(.want(true), now: t0)
        _ = m.handle(.connectFailed(["x: refused"]), now: t0)
        #expect(m.handle(.want(false), now: t0) == [.cancelRetry])
        #expect(m.handle(.retryDue, now: t0 + .seconds(1)) == [], "a late retry does nothing")
        #expect(m.handle(.want(true), now: t0 + .seconds(2)) == [.connect])
    }
}
