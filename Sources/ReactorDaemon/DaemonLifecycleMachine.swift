import Logging
import ReactorCore

/// Design note: the daemon's lifecycle decisions as a machine (`Daemon` carries them out).
///
/// Start: STATUS while plugins start, the status refresh, drbdsetup, then READY=1 once the initial state
/// is in (`exists -`) or, when it does not come, after the startup bound, saying why. SIGHUP: RELOADING=1,
/// the reload (the daemon loads and applies; a failed load keeps the running configuration), READY=1 with
/// the new STATUS. SIGTERM/SIGINT: STOPPING=1, everything stopped, the loop left once the plugins have
/// stopped or after the stop bound (their children killed); a second request leaves at once, also
/// killing the children. Every duration comes from the injected `DaemonTimings`; the only clock reading
/// is `now`, for RELOADING=1's MONOTONIC_USEC.
struct DaemonLifecycleMachine: Machine {
    /// What the STATUS= line counts.
    struct Counts: Equatable, Sendable {
        var resources: Int
        var plugins: Int
    }

    /// The lifecycle's timers, by name (the daemon maps a name to its loop timer).
    enum Timer: String, Hashable, Sendable {
        case startupBound = "startup bound"
        case stopBound = "stop bound"
        case statusRefresh = "status refresh"
    }

    enum Input {
        /// Signals and the watchdog are set up: start everything.
        case started
        /// drbdsetup's initial state is complete (`exists -`).
        case initialState(Counts)
        case startupBoundElapsed
        /// drbdsetup went away (it is being restarted).
        case drbdsetupGone
        /// SIGHUP.
        case hangup
        /// The reloaded configuration from `path` is applied.
        case reloadDone(path: String, Counts)
        /// The configuration could not be loaded; the running one stays.
        case reloadFailed(String, Counts)
        /// SIGTERM or SIGINT.
        case stopRequested
        /// Every plugin has stopped (or none had anything to wait for).
        case pluginsStopped
        case stopBoundElapsed
        /// The status refresh timer: the current counts, and whether drbdsetup is running.
        case statusRefreshDue(Counts, events2Running: Bool)
    }

    enum Effect: MachineEffect, Equatable {
        /// I/O in the one vocabulary every machine speaks; the lifecycle uses `.notify` (sd_notify).
        case io(IOEffect<[UInt8]>)
        /// Read the maintenance state, open the control socket, start the configured plugins.
        case startPlugins
        case startEvents2
        /// Load the configuration again and apply it; answer `reloadDone` or `reloadFailed`.
        case reload
        /// Stop drbdsetup, the control socket, the systemd watch and every plugin; answer `pluginsStopped`
        /// once they have.
        case stopAll
        case killChildren
        case arm(Timer, after: Duration, repeating: Bool)
        case cancel(Timer)
        /// Give back the pages only start-up touched.
        case releaseStartupPages
        case log(Logger.Level, String)
        /// Leave the loop: the daemon ends.
        case exit

        var endsMachine: Bool { self == .exit }
    }

    let timings: DaemonTimings
    /// Whether systemd heard READY=1 after start-up (the initial state, or the startup bound).
    private(set) var ready = false
    private(set) var stopping = false
    /// The STATUS= line systemd heard last from a READY=1 or a refresh.
    private(set) var lastStatus = ""

    init(timings: DaemonTimings) { self.timings = timings }

    mutating func handle(_ input: Input, now: Instant) -> [Effect] {
        switch input {
        case .started:
            return [
                .notify("STATUS=Starting plugins"), .startPlugins, .arm(.statusRefresh, after: timings.statusRefresh, repeating: true),
                .startEvents2, .notify("STATUS=Waiting for the initial DRBD state from drbdsetup"),
                .arm(.startupBound, after: timings.startupBound, repeating: false),
            ]
        case .initialState(let counts):
            guard !ready, !stopping else { return [] }
            ready = true
            return [
                .cancel(.startupBound), .notify("READY=1\n" + status(counts)),
                .log(.info, "Initial DRBD state received: \(counts.resources) resources."), .releaseStartupPages,
            ]
        case .startupBoundElapsed:
            guard !ready, !stopping else { return [] }  // READY=1 after STOPPING=1 would say nothing true
            ready = true
            return [
                .notify("READY=1\nSTATUS=Running, but no initial DRBD state from drbdsetup yet (is drbdsetup working?)"),
                .log(.warning, "No initial DRBD state from drbdsetup after \(timings.startupBound); reporting ready anyway."),
            ]
        case .drbdsetupGone:
            return [.notify("STATUS=drbdsetup is gone; restarting it")]
        case .hangup:
            guard !stopping else { return [] }
            return [.notify("RELOADING=1\nMONOTONIC_USEC=\(now.nanoseconds / 1000)\nSTATUS=Reloading configuration"), .reload]
        case .reloadDone(let path, let counts):
            return [.log(.info, "Configuration reloaded from '\(path)'."), .notify("READY=1\n" + status(counts))]
        case .reloadFailed(let error, let counts):
            return [.log(.error, "Failed to reload the configuration, keeping the running one: \(error)"), .notify("READY=1\n" + status(counts))]
        case .stopRequested:
            if stopping {
                return [.log(.warning, "Second stop request: not waiting for plugins any longer."), .killChildren, .exit]
            }
            stopping = true
            return [
                .cancel(.startupBound), .cancel(.statusRefresh), .notify("STOPPING=1\nSTATUS=Stopping"), .log(.info, "Stopping."),
                .arm(.stopBound, after: timings.stopBound, repeating: false), .stopAll,
            ]
        case .pluginsStopped:
            return stopping ? [.cancel(.stopBound), .exit] : []
        case .stopBoundElapsed:
            guard stopping else { return [] }
            return [.log(.warning, "Plugins did not stop within \(timings.stopBound); killing their children."), .killChildren, .exit]
        case .statusRefreshDue(let counts, let events2Running):
            guard ready, !stopping, events2Running else { return [] }
            let previous = lastStatus
            let current = status(counts)
            return current != previous ? [.notify(current)] : []
        }
    }

    /// The STATUS= line for `counts`, remembered as what systemd heard last.
    private mutating func status(_ counts: Counts) -> String {
        let r = counts.resources, p = counts.plugins
        lastStatus = "STATUS=Running: \(r) resource\(r == 1 ? "" : "s"), \(p) plugin\(p == 1 ? "" : "s")"
        return lastStatus
    }
}

extension DaemonLifecycleMachine.Effect {
    /// Tell systemd (sd_notify) this text: the vocabulary's notify effect.
    static func notify(_ message: String) -> Self { .io(.notify(message)) }
}
