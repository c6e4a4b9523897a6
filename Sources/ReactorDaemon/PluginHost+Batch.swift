import ReactorCore
import ReactorLoop

/// The plugin host's shared `systemctl` calls (why and what each requester gets: `SystemctlBatch`).
///
/// A batchable spawn is held until the end of the loop turn (deferred work); then each prefix with
/// more than one request runs as one child, and a prefix with one request runs exactly as requested.
/// Requesters stay independent where it matters: one that is signalled (its plugin stops) gets its
/// exit at once and leaves the batch, whose child runs on for the others; and a `start` or `stop`
/// requester is answered as soon as systemd reports over the bus that its unit's job ended (`done`:
/// success; `failed`, `dependency`, `timeout`, `skipped`: failure), so one hanging unit holds back
/// the others' next steps only where the bus is not watched.
extension PluginHost {
    /// One requester of a batch.
    struct BatchMember {
        unowned let instance: Instance
        let token: PluginToken
        let request: SpawnRequest
    }

    /// The requests of one prefix, and the output of their shared child.
    final class PendingBatch {
        var batch: SystemctlBatch
        var members: [BatchMember] = []
        var stdout: [String] = []
        var stderr: [String] = []
        /// The shared child while it runs (killed with every plugin child on a second SIGTERM).
        var child: EventLoop.SourceID?

        init(prefix: [String]) { batch = SystemctlBatch(prefix: prefix) }
    }

    /// Holds `request` for this turn's batch if it is a batchable `systemctl` call.
    func enqueueBatched(_ token: PluginToken, _ request: SpawnRequest, for instance: Instance) -> Bool {
        guard request.captureOutput, let prefix = SystemctlBatch.prefix(of: request.argv) else { return false }
        if pendingBatches.isEmpty { loop.deferWork { [weak self] in self?.runBatches() } }
        let pending = pendingBatches[prefix] ?? {
            batchOrder.append(prefix)
            let p = PendingBatch(prefix: prefix)
            pendingBatches[prefix] = p
            return p
        }()
        pending.batch.units.append(request.argv[request.argv.count - 1])
        pending.members.append(BatchMember(instance: instance, token: token, request: request))
        instance.batched.insert(token)
        return true
    }

    /// The end of the turn: one child per prefix.
    private func runBatches() {
        let order = batchOrder
        let batches = pendingBatches
        batchOrder = []
        pendingBatches = [:]
        for prefix in order {
            guard let pending = batches[prefix] else { continue }
            let live = pending.members.filter { !$0.instance.stopped && $0.instance.batched.contains($0.token) }
            if live.count == 1, let only = live.first {
                only.instance.batched.remove(only.token)
                spawnAlone(only.token, only.request, for: only.instance)
            } else if !live.isEmpty {
                pending.members = live
                pending.batch.units = live.map { $0.request.argv[$0.request.argv.count - 1] }
                runShared(pending, argv: pending.batch.argv) { [weak self] exit in self?.batchEnded(pending, exit) }
            }
        }
    }

    /// A bus report that `unit`'s job ended: answers the waiting start or stop requester of that unit.
    /// `canceled` is left to the batch's own exit (a job our call replaced reports that too).
    func batchJobEnded(unit: String, result: String) {
        guard result != "canceled" else { return }
        for pending in runningBatches where pending.batch.needsActiveCheck {
            guard let i = pending.batch.units.firstIndex(of: unit) else { continue }
            let m = pending.members[i]
            guard m.instance.batched.remove(m.token) != nil else { continue }
            if result != "done" {
                feed(m.instance, .childOutput(m.token, .stderr, "Job for \(unit) ended: \(result)"))
            }
            feed(m.instance, .childExited(m.token, result == "done" ? .exited(0) : .exited(1)))
        }
    }

    /// Runs the shared child, collecting its output for `pending`.
    private func runShared(_ pending: PendingBatch, argv: [String], onExit: @escaping (ChildExit) -> Void) {
        pending.stdout = []
        pending.stderr = []
        let environment = pending.members[0].request.environment
        logger.debug("\(argv.joined(separator: " ")) (for \(pending.members.count) requests)")
        runningBatches.append(pending)
        do {
            pending.child = try loop.spawn(
                argv: argv, environment: environment,
                stdio: .init(pipeStdin: false, captureStdout: true, captureStderr: true), name: "systemctl batch",
                onLine: { stream, line in
                    let text = String(decoding: line, as: UTF8.self)
                    if stream == .stdout { pending.stdout.append(text) } else { pending.stderr.append(text) }
                }, onExit: { [weak self] exit in
                    pending.child = nil
                    self?.runningBatches.removeAll { $0 === pending }
                    onExit(exit)
                }).id
        } catch {
            runningBatches.removeAll { $0 === pending }
            for m in pending.members where m.instance.batched.remove(m.token) != nil {
                feed(m.instance, .spawnFailed(m.token, "\(argv[0]): \(error)"))
            }
        }
    }

    /// The batch ended: after a failed start or stop, ask which units got there; then answer each.
    private func batchEnded(_ pending: PendingBatch, _ exit: ChildExit) {
        // Nobody left to answer (the bus told each), or killed: no `is-active` after it.
        guard pending.members.contains(where: { $0.instance.batched.contains($0.token) }) else { return }
        guard !exit.success, case .exited = exit, pending.batch.needsActiveCheck else { return answer(pending, exit, activeStates: nil) }
        let stdout = pending.stdout, stderr = pending.stderr
        runShared(pending, argv: [pending.batch.prefix[0], "is-active"] + pending.batch.units) { [weak self] _ in
            let states = pending.stdout
            pending.stdout = stdout
            pending.stderr = stderr
            self?.answer(pending, exit, activeStates: states)
        }
    }

    private func answer(_ pending: PendingBatch, _ exit: ChildExit, activeStates: [String]?) {
        let answers = pending.batch.answers(stdout: pending.stdout, stderr: pending.stderr, exit: exit, activeStates: activeStates)
        for (m, a) in zip(pending.members, answers) where m.instance.batched.remove(m.token) != nil {
            for line in a.stdout { feed(m.instance, .childOutput(m.token, .stdout, line)) }
            for line in a.stderr { feed(m.instance, .childOutput(m.token, .stderr, line)) }
            feed(m.instance, .childExited(m.token, a.exit))
        }
    }

    /// A signal to a batched command: that requester is answered at once as if its own child had been
    /// killed; the shared child runs on for the others.
    func signalBatched(_ token: PluginToken, _ signal: Signal, for instance: Instance) {
        guard instance.batched.remove(token) != nil else { return }
        // Not from inside the effect that sent the signal: inputs are fed one after another.
        loop.deferWork { [weak self, weak instance] in
            if let instance { self?.feed(instance, .childExited(token, .signaled(signal))) }
        }
    }
}
