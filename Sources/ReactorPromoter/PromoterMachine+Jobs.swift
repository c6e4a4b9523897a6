import Logging
import ReactorCore

/// How a command of a job ended, for its reader.
struct CommandResult {
    var argv: [String]
    var success: Bool
    /// How it failed ("exit status 1", "could not be started: ..."), when it did.
    var failure: String
    var stdout: [String]

    var commandLine: String { argv.joined(separator: " ") }
}

/// The job runner of `PromoterMachine` (see `PromoterScript` for jobs and frames).
extension PromoterMachine {
    /// Queues a job for resource `name` and runs it if the resource is idle (an empty job is no job).
    mutating func enqueue(_ name: String, _ job: [PromoterFrame], now: Instant) -> [PluginEffect] {
        guard resources[name] != nil, !job.isEmpty else { return [] }
        if let held = heldByMaintenance(name) { return held }
        resources[name]?.queue.append(job)
        return advance(name, now: now)
    }

    /// Runs the resource's tasks until one has to wait (a child or a sleep) or no job is left.
    mutating func advance(_ name: String, now: Instant) -> [PluginEffect] {
        guard var r = resources[name], r.waiting == nil else { return [] }
        var effects: [PluginEffect] = []
        defer { resources[name] = r }
        while true {
            if r.job == nil {
                guard !r.queue.isEmpty else { return effects }
                r.job = r.queue.removeFirst()
            }
            while let top = r.job?.first, top.tasks.isEmpty { r.job?.removeFirst() }
            guard r.job?.isEmpty == false, let task = r.job?[0].tasks.removeFirst() else {
                r.job = nil
                continue
            }
            switch task {
            case .log(let level, let message):
                effects.append(.log(level, message, resource: name))
            case .markStarted:
                r.lastStart = now
            case .forgetStart:
                r.lastStart = nil
            case .armPromote:
                r.promoteArmed = r.mayPromote ? r.mayPromoteChanges : nil
            case .startIfStillPromotable:
                guard r.mayPromote && r.promoteArmed == r.mayPromoteChanges else {
                    effects.append(.log(.info, "run: resource '\(name)': may_promote changed during the promote delay, not starting", resource: name))
                    r.job = nil
                    continue
                }
            case .removeFile(let path):
                effects.append(.removeFile(path))
            case .fail(let reason):
                effects += fail(&r, reason)
            case .sleep(let duration):
                guard duration > .zero else { continue }
                let token = freshToken()
                timers[token] = .sleep(name)
                r.waiting = .sleep(token)
                observeSleep(name, until: now + duration)
                effects.append(.startTimer(token, at: now + duration))
                return effects
            case .run(let argv, let reader):
                let token = freshToken()
                children[token] = .job(name)
                r.waiting = .child(token, reader, argv: argv, stdout: [])
                effects.append(spawn(token, argv))
                return effects
            }
        }
    }

    /// A task failed: the innermost frame with a failure plan logs it and runs its plan instead of the
    /// rest; without one the job ends with a warning.
    private mutating func fail(_ r: inout ResourceState, _ reason: String) -> [PluginEffect] {
        observeFailure(r.config.name, reason)
        while var frames = r.job, !frames.isEmpty {
            let frame = frames.removeFirst()
            r.job = frames
            if let plan = frame.onFailure {
                r.job = plan.then + frames
                return [.log(.warning, "\(plan.message): \(reason)", resource: r.config.name)]
            }
        }
        r.job = nil
        return [.log(.warning, "'\(r.config.name)': \(reason)", resource: r.config.name)]
    }

    /// Reads a command's result: the job goes on, fails, ends, or gets more frames to run first.
    mutating func finished(_ name: String, _ reader: PromoterReader, _ result: CommandResult, now: Instant) -> [PluginEffect] {
        guard var r = resources[name], r.job != nil else { return [] }
        var effects: [PluginEffect] = []
        func push(_ frames: [PromoterFrame]) { r.job = frames + (r.job ?? []) }
        let failed = "'\(result.commandLine)' failed: \(result.failure)"
        switch reader {
        case .ignored:
            break
        case .mustSucceed:
            if !result.success { effects += fail(&r, failed) }
        case .mustBeActive(let unit):
            if !(result.success && Self.activeState(result.stdout) == "active") {
                effects += fail(&r, "systemd_start: unit '\(unit)' is not active")
            }
        case .tolerated(let warning):
            if !result.success { effects.append(.log(.warning, "\(warning) (\(result.failure))", resource: name)) }
        case .peerNotPrimary:
            if result.success, PromoterDRBD.peerIsPrimary(statusJSON: result.stdout.joined(separator: "\n"), resource: name) {
                effects.append(.log(.info, "resource '\(name)' is Primary on a peer, not starting it here", resource: name))
                r.job = nil
            }
        case .lostRace:
            if result.success, PromoterDRBD.peerIsPrimary(statusJSON: result.stdout.joined(separator: "\n"), resource: name) {
                effects.append(.log(.debug, "'\(name)' lost the promote race to a peer; not counted as a start", resource: name))
                r.lastStart = nil
            }
        case .backingDevices(let use):
            let devices = result.success ? PromoterDRBD.backingDevices(result.stdout) : []
            let diskless = devices.contains("none")
            switch use {
            case .adjust:
                if result.success { push(r.script.adjust(devices: devices)) } else { effects += fail(&r, failed) }
            case .initialStart:
                let seconds = (diskless ? PromoterDRBD.disklessSeconds : 0)
                    + UInt64(PromoterDRBD.preferredPosition(r.config.preferredNodes, nodeName: context.nodeName))
                push([PromoterFrame([.sleep(.seconds(Int64(clamping: seconds)))])] + r.script.tryStartStop)
            case .promote(let other):
                let (logs, frames) = promote(r, seconds: (diskless ? PromoterDRBD.disklessSeconds : 0) + other, now: now)
                effects += logs
                push(frames)
            }
        case .blockDevice(let dev):
            if !result.success { push(PromoterScript.recheck(dev)) }
        case .dependencies(let verb):
            guard result.success else {
                effects += fail(&r, failed)
                break
            }
            let units = Self.dependencies(result.stdout, target: r.script.target, resource: name)
            if units.isEmpty { effects += fail(&r, "services list empty") } else { push(r.script.freeze(verb, units: units)) }
        case .targetInactive:
            if result.success, Self.activeState(result.stdout) != "active" {
                push([PromoterFrame([.markStarted])] + r.script.tryStartStop)
            }
        case .repair:
            if result.success { push(repairFrames(r, activeState: Self.activeState(result.stdout))) }
        }
        resources[name] = r
        return effects
    }

    /// The value of `ActiveState=` in `systemctl show --property=ActiveState` output.
    static func activeState(_ lines: [String]) -> String? {
        for line in lines where line.hasPrefix("ActiveState=") { return String(line.dropFirst("ActiveState=".count)).trimmingBlanks }
        return nil
    }

    /// The units `systemctl list-dependencies --plain <target>` lists below the target, without the
    /// target itself and its `drbd-promote@` unit (nothing to freeze there); status bullets are dropped.
    static func dependencies(_ lines: [String], target: String, resource: String) -> [String] {
        let promote = "drbd-promote@\(SystemdEscape.unitName(resource)).service"
        return lines.map { line in
            var s = Substring(line.trimmingBlanks)
            if let first = s.first, "●○×↻*".contains(first) { s = s.dropFirst().drop(while: \.isBlankOrNewline) }
            return String(s)
        }.filter { !$0.isEmpty && $0 != target && $0 != promote }
    }
}
