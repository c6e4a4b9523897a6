import Logging
import ReactorCore
import ReactorPromoter

/// Design note: the decisions of the daemon's systemd watch, as a machine (`SystemdWatch` carries them
/// out on the loop's bus).
///
/// While wanted (some promoter is configured) the watch is connected or waiting to connect again. A
/// connect tries systemd's endpoints in turn, installs the signal matches and calls `Subscribe`; the
/// watch works once `Subscribe` is answered. Without systemd (not the init system) it stays away; a
/// refused connect, a refused `Subscribe` or a lost connection is tried again after the backoff (1 s
/// doubling to a minute, reset by a working connection). Logs: "not used" at info once until a
/// connection works again; a loss (or refused `Subscribe`) at warning with the next delay; "watching" at
/// info when it works. Signals received while connected are decoded into `SystemdUnitEvent`s.
struct SystemdWatchMachine: Machine {
    enum Input: Hashable, Sendable {
        /// Whether some promoter is configured.
        case want(Bool)
        /// The connect found no systemd to talk to here.
        case unavailable
        /// Connected to `endpoint`; the matches and `Subscribe` are sent.
        case connected(BusEndpoint)
        /// No endpoint could be connected to (each failure names its endpoint).
        case connectFailed([String])
        /// systemd answered `Subscribe`: the watch works.
        case subscribed
        /// systemd refused `Subscribe`.
        case subscribeRefused(BusCallError)
        /// The connection ended.
        case lost(String)
        case retryDue
        case signal(BusMessage)
    }

    enum Effect: Hashable, Sendable, MachineEffect {
        /// Connect (open, matches, `Subscribe`), then report `.connected`, `.connectFailed` or `.unavailable`.
        case connect
        /// Close the connection, if any.
        case disconnect
        case armRetry(at: Instant)
        case cancelRetry
        case log(Logger.Level, String)
        case event(SystemdUnitEvent)

        /// The watch lives as long as the daemon.
        var endsMachine: Bool { false }
    }

    private enum Phase: Hashable {
        case idle
        case connected(BusEndpoint)
        case retrying
    }

    private var wanted = false
    private var phase = Phase.idle
    private var backoff: Backoff
    private var decoder = SystemdUnitDecoder()
    /// Whether "not used" was logged since the last working connection (it is said once).
    private var toldUnused = false

    init(retry: Backoff) { backoff = retry }

    mutating func handle(_ input: Input, now: Instant) -> [Effect] {
        switch input {
        case .want(let w):
            guard w != wanted else { return [] }
            wanted = w
            if w { return phase == .idle ? [.connect] : [] }
            defer { phase = .idle }
            decoder = SystemdUnitDecoder()
            switch phase {
            case .idle: return []
            case .connected: return [.disconnect]
            case .retrying: return [.cancelRetry]
            }
        case .unavailable:
            guard wanted else { return [] }
            return unused("systemd is not the init system here")
        case .connectFailed(let failures):
            guard wanted else { return [] }
            return unused("cannot connect to \(failures.joined(separator: ", "))") + retry(now)
        case .connected(let endpoint):
            guard wanted else { return [.disconnect] }
            phase = .connected(endpoint)
            return []
        case .subscribed:
            guard case .connected(let endpoint) = phase else { return [] }
            backoff.reset()
            toldUnused = false
            return [.log(.info, "Watching the promoters' systemd units over \(endpoint): failed services are started again at once.")]
        case .subscribeRefused(let error):
            guard case .connected(let endpoint) = phase else { return [] }
            return lost("systemd refused Subscribe on \(endpoint): \(error)", now)
        case .lost(let why):
            guard case .connected = phase else { return [] }
            return lost(why, now)
        case .retryDue:
            guard wanted, phase == .retrying else { return [] }
            phase = .idle
            return [.connect]
        case .signal(let message):
            guard case .connected = phase, let event = decoder.decode(message) else { return [] }
            return [.event(event)]
        }
    }

    /// The connection is gone or useless: drop it and try again later.
    private mutating func lost(_ why: String, _ now: Instant) -> [Effect] {
        decoder = SystemdUnitDecoder()
        phase = .idle
        let warning = "Not watching the promoters' systemd units any more (\(why)); their 20 s check goes on, connecting again in \(backoff.current)."
        toldUnused = true
        return [.disconnect, .log(.warning, warning)] + retry(now)
    }

    /// Says once why the bus is not used.
    private mutating func unused(_ why: String) -> [Effect] {
        guard !toldUnused else { return [] }
        toldUnused = true
        return [.log(.info, "Not watching the promoters' systemd units over D-Bus (\(why)); promoters check their targets every 20 s.")]
    }

    private mutating func retry(_ now: Instant) -> [Effect] {
        phase = .retrying
        return [.armRetry(at: now + backoff.next())]
    }
}
