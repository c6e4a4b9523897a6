import Logging
import ReactorCore

/// Design note: everything the promoter does to a resource is a *job*, a small script of tasks run one at
/// a time: a child process (`systemctl`, `drbdadm`, `drbdsetup`, `sh -c`), a sleep (a timer), a log line.
/// A resource runs one job at a time (its actions stay in order, as in the original); resources and
/// other plugins never wait for each other, because nothing here blocks: a task that waits is a child or
/// a timer of the loop.
///
/// A job is a stack of frames. A frame is a list of tasks and what to do when one of them fails (log
/// `"<message>: <reason>"` and continue with other frames, e.g. "Starting 'r0' failed" then stop). A
/// command's `reader` says how its result is read; some readers add frames depending on the output
/// (the services `list-dependencies` printed, the delay `sh-ll-dev` implies).

/// One step of a job.
public enum PromoterTask: Hashable, Sendable {
    /// Run a command (argv, stdin /dev/null, output captured) and read its result.
    case run([String], PromoterReader)
    /// Wait (a timer); zero means no wait.
    case sleep(Duration)
    case log(Logger.Level, String)
    /// Remember now as the resource's last start (for the 20 s rate limit).
    case markStarted
    /// Forget the last start: the services were stopped for a reason outside this node's start (see
    /// `PromoterScript.stopForOutsideReason`).
    case forgetStart
    case removeFile(String)
    /// A promote's delay begins: remember whether `may_promote` is true now (see `startIfStillPromotable`).
    case armPromote
    /// A promote's delay is over: end the job unless `may_promote` was true when the delay began and
    /// has not changed since. A delay that began while a peer was Primary (a promote queued behind the
    /// initial start), or during which a peer promoted and went away again, must not start the services
    /// at its stale deadline: the node would jump ahead of the preferred order the fresh `may_promote`
    /// started (HA lab scenario reboot-failback: the third node took over from a killed node ahead of the
    /// second because its stale 2 s delay ended just after the kill).
    case startIfStillPromotable
    /// Fail the frame with this reason.
    case fail(String)
}

/// How a command's result is read.
public enum PromoterReader: Hashable, Sendable {
    /// Whatever happens (`systemctl reset-failed`, `journalctl --flush --sync`).
    case ignored
    /// Non-zero exit fails the frame.
    case mustSucceed
    /// `systemctl show --property=ActiveState <unit>` must say `active`.
    case mustBeActive(String)
    /// Failure only logs this warning (freezing one unit).
    case tolerated(String)
    /// `drbdsetup status --json`: the job ends if a peer is Primary.
    case peerNotPrimary
    /// `drbdsetup status --json` after a failed start: if a peer is Primary, this node lost a promote
    /// race and the attempt does not count for the 20 s start interval. Otherwise a preferred node that
    /// lost a race (say, diskless after a disk failure) would skip the fail-back to it minutes later as
    /// "too fast", and a node that is not preferred at all would take the services for good.
    case lostRace
    /// `drbdadm sh-ll-dev`: what the devices mean depends on the job.
    case backingDevices(DevicesUse)
    /// `test -b <dev>`: until it succeeds, retry every 2 s.
    case blockDevice(String)
    /// `systemctl list-dependencies`: freeze or thaw each unit listed.
    case dependencies(FreezeVerb)
    /// The ticker's `systemctl show --property=ActiveState`: start if the target is not active.
    case targetInactive
    /// The bus repair's `systemctl show --property=ActiveState`: start if the target is active (its
    /// failed units are started again) or if it is not and DRBD lets this node promote.
    case repair
}

/// What a job does with the backing devices `sh-ll-dev` printed.
public enum DevicesUse: Hashable, Sendable {
    /// Wait until each is a block device, then `drbdadm adjust`.
    case adjust
    /// The initial start: 6 s if diskless, plus the preferred-node delay.
    case initialStart
    /// A promote without local devices: diskless or not, plus the rest of the delay (seconds).
    case promote(otherSeconds: UInt64)
}

/// `systemctl freeze` or `systemctl thaw`.
public enum FreezeVerb: String, Hashable, Sendable {
    case freeze, thaw
}

/// A list of tasks and what a failure among them means.
public struct PromoterFrame: Hashable, Sendable {
    public var tasks: [PromoterTask]
    /// Logged as `"<message>: <reason>"` when a task fails; then `then` runs instead of the rest.
    /// nil passes the failure on to the enclosing frame.
    public var onFailure: PromoterFailure?

    public init(_ tasks: [PromoterTask], onFailure: PromoterFailure? = nil) {
        self.tasks = tasks
        self.onFailure = onFailure
    }
}

/// What to do when a frame fails.
public struct PromoterFailure: Hashable, Sendable {
    public var message: String
    public var then: [PromoterFrame]

    public init(_ message: String, then: [PromoterFrame] = []) {
        self.message = message
        self.then = then
    }
}

/// The scripts of one resource, as frames; `PromoterMachine` runs them.
public struct PromoterScript: Sendable {
    public let config: PromoterResourceConfig
    /// Where the generated drop-ins are (`/run/systemd/system`).
    public let systemdDirectory: String

    var name: String { config.name }
    var target: String { SystemdEscape.servicesTarget(config.name) }

    /// `systemctl` with stdin /dev/null (the host never gives children a terminal).
    static func systemctl(_ args: String...) -> [String] { ["systemctl"] + args }

    /// The steps of starting the services (no failure handling of its own).
    var startTasks: [PromoterTask] {
        switch config.runner {
        case .systemd:
            return [
                .run(Self.systemctl("reset-failed", target), .ignored),
                .log(.info, "systemd_start: systemctl start \(target)"),
                .run(Self.systemctl("start", target), .mustSucceed),
                .run(Self.systemctl("show", "--property=ActiveState", target), .mustBeActive(target)),
            ]
        case .shell:
            return config.start.flatMap(shell)
        }
    }

    /// `sh -c <command>`, logged like the original.
    func shell(_ command: String) -> [PromoterTask] {
        [.log(.info, "system: sh -c \(command)"), .run(["sh", "-c", command], .mustSucceed)]
    }

    /// The steps of stopping the services.
    var stopTasks: [PromoterTask] {
        let intro = PromoterTask.log(.info, "stop_actions (could trigger 'on-drbd-demote-failure' actions if configured): \(name)")
        switch config.runner {
        case .systemd:
            return [
                intro, .log(.info, "stop_actions: stopping '\(target)'"),
                .run(["journalctl", "--flush", "--sync"], .ignored),
                .log(.info, "systemd_stop: systemctl stop \(target)"),
                .run(Self.systemctl("stop", target), .mustSucceed),
            ]
        case .shell:
            return [intro] + config.effectiveStop.flatMap(shell)
        }
    }

    /// Stop, warning on failure.
    public var stop: [PromoterFrame] { [PromoterFrame(stopTasks, onFailure: PromoterFailure("Stopping '\(name)' failed"))] }

    /// Stop because of something outside this node's own start (quorum lost, disk lost with
    /// `fail-over`, a more preferred node is back): the 20 s start interval is for start/stop
    /// loops of one node, so it starts afresh. Otherwise a node whose services were stopped on quorum
    /// loss (or that handed over) and that gets them back within 20 s (a preferred node's fail-back
    /// after a short partition) would skip that promote as "too fast", and a node that is not preferred
    /// at all would take the services for good.
    public var stopForOutsideReason: [PromoterFrame] { stop + [PromoterFrame([.forgetStart])] }

    /// Start; if that fails, warn and stop (a node that lost the promote race cleans up after itself),
    /// then see whether it was a lost race (see `PromoterReader.lostRace`).
    public var tryStartStop: [PromoterFrame] {
        let raceCheck = PromoterFrame([.run(["drbdsetup", "status", "--json", name], .lostRace)])
        return [PromoterFrame(startTasks, onFailure: PromoterFailure("Starting '\(name)' failed", then: stop + [raceCheck]))]
    }

    /// Freeze or thaw the target's services (systemd runner only).
    public func freeze(_ verb: FreezeVerb) -> [PromoterFrame] {
        let failure = PromoterFailure(verb == .freeze ? "Freezing '\(name)' failed" : "Thawing '\(name)' failed")
        switch config.runner {
        case .systemd:
            return [PromoterFrame([
                .log(.info, "freeze_actions: freezing/thawing services in target '\(target)'"),
                .run(Self.systemctl("list-dependencies", "--no-pager", "--plain", target), .dependencies(verb)),
            ], onFailure: failure)]
        case .shell:
            return [PromoterFrame([.fail("Shell runner can not not freeze/thaw services, use systemd")], onFailure: failure)]
        }
    }

    /// `systemctl freeze|thaw` for each unit, each failure only a warning.
    func freeze(_ verb: FreezeVerb, units: [String]) -> [PromoterFrame] {
        let log = PromoterTask.log(.info, "systemd_freeze_thaw: systemctl \(verb.rawValue) \(units.joined(separator: " "))")
        return [PromoterFrame([log] + units.filter { !$0.hasSuffix(".mount") }.map { unit in
            .run(Self.systemctl(verb.rawValue, unit), .tolerated(
                "systemd_freeze_thaw: 'systemctl \(verb.rawValue) \(unit)' failed, this might be fine if there is no process in that unit"))
        })]
    }

    /// `stop-services-on-exit`: drop the shutdown ordering first (else stopping would wait for our own
    /// exit), reload, stop. The shell runner has no drop-ins and just stops (the original tried to remove
    /// the missing file, failed and never stopped).
    public var exitStop: [PromoterFrame] {
        guard config.runner == .systemd else { return stop }
        let before = systemdDirectory + "/" + PromoterUnits.beforeFile(resource: name)
        return [PromoterFrame(
            [.removeFile(before), .run(Self.systemctl("daemon-reload"), .mustSucceed)] + stopTasks,
            onFailure: PromoterFailure("Stopping '\(name)' failed"))]
    }

    /// At plugin start: wait for the backing devices, then `drbdadm adjust`.
    public var adjust: [PromoterFrame] {
        [PromoterFrame([.run(["drbdadm", "sh-ll-dev", name], .backingDevices(.adjust))], onFailure: PromoterFailure("Could not adjust '\(name)'"))]
    }

    /// Each device (but `none`) waited for until it is a block device, then `drbdadm adjust`.
    func adjust(devices: [String]) -> [PromoterFrame] {
        let waits = devices.flatMap { dev -> [PromoterTask] in
            [.log(.info, "adjust_resources: waiting for backing device '\(dev)' to become ready")]
                + (dev == "none" ? [] : [.run(["test", "-b", dev], .blockDevice(dev))])
                + [.log(.info, "adjust_resources: backing device '\(dev)' now ready")]
        }
        return [PromoterFrame(waits + [.run(["drbdadm", "adjust", name], .mustSucceed)])]
    }

    /// Another look at a backing device in 2 s.
    static func recheck(_ dev: String) -> [PromoterFrame] {
        [PromoterFrame([.sleep(.seconds(2)), .run(["test", "-b", dev], .blockDevice(dev))])]
    }

    /// At plugin start: unless a peer is Primary, wait (diskless and preferred-node delay) and start.
    public var initialStart: [PromoterFrame] {
        [PromoterFrame([
            .run(["drbdsetup", "status", "--json", name], .peerNotPrimary),
            .run(["drbdadm", "sh-ll-dev", name], .backingDevices(.initialStart)),
        ])]
    }

    /// After `may_promote` became true: wait the delay, then start.
    public func promote(afterMilliseconds ms: UInt64) -> [PromoterFrame] {
        [PromoterFrame([
            .armPromote,
            .log(.info, "run: resource '\(name)' may promote after \(ms)ms"),
            .sleep(.milliseconds(Int64(clamping: ms))),
            .startIfStillPromotable,
            .markStarted,
        ])] + tryStartStop
    }

    /// A promote whose disk delay `sh-ll-dev` decides (no local devices known yet).
    public func promoteAfterLookingAtDevices(otherSeconds: UInt64) -> [PromoterFrame] {
        [PromoterFrame([.run(["drbdadm", "sh-ll-dev", name], .backingDevices(.promote(otherSeconds: otherSeconds)))])]
    }

    /// The 20 s ticker's check: start again if the target is not active.
    public var tick: [PromoterFrame] { showTarget(.targetInactive) }

    /// The bus repair after a unit of the resource went down (see `PromoterReader.repair`).
    public var repair: [PromoterFrame] { showTarget(.repair) }

    private func showTarget(_ reader: PromoterReader) -> [PromoterFrame] {
        [PromoterFrame([.run(Self.systemctl("show", "--property=ActiveState", target), reader)])]
    }
}
