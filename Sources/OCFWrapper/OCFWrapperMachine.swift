
/// The wrapper's decisions, as a state machine: inputs in, effects out (no processes, clocks, signals).
///
/// `start-and-monitor`: start the agent; on success tell systemd READY=1, then monitor every interval
/// until a monitor fails (exit with its status, so systemd restarts the unit and the promoter's target
/// reacts) or SIGTERM/SIGINT arrives (stop the agent and exit with stop's status). A signal during a
/// running start or monitor is acted on once that run has ended. `stop`: stop the agent unless the
/// main process already did and exited cleanly. An agent that cannot be started or is killed by a
/// signal is a failure with exit status 1 (the original's error exit).
public struct OCFWrapperMachine: Sendable {
    enum State: Sendable { case idle, running(OCFAgentVerb), sleeping, done }

    public let invocation: OCFInvocation
    /// Random bits for the first monitor's extra delay (`OCFMonitorInterval.initialDelay`).
    let jitter: UInt64
    private var state: State = .idle
    private var terminating = false

    public init(invocation: OCFInvocation, jitter: UInt64) {
        self.invocation = invocation
        self.jitter = jitter
    }

    public mutating func handle(_ input: OCFWrapperInput) -> [OCFWrapperEffect] {
        switch (input, state) {
        case (.begin, .idle):
            switch invocation.action {
            case .stop: return invocation.mainProcessExitedCleanly ? finish(0) : stop()
            case .startAndMonitor: return run(.start)
            }
        case (.agentEnded(let verb, let result), .running(let running)) where verb == running:
            return ended(verb, result)
        case (.sleepEnded, .sleeping):
            return run(.monitor)
        case (.terminationRequested, _):
            return terminationRequested()
        default:
            return []
        }
    }

    private mutating func terminationRequested() -> [OCFWrapperEffect] {
        guard invocation.action == .startAndMonitor else { return [] }  // a running stop is let finish
        if case .sleeping = state { return stop() }
        terminating = true
        return []
    }

    private mutating func ended(_ verb: OCFAgentVerb, _ result: OCFAgentResult) -> [OCFWrapperEffect] {
        let id = invocation.id
        if verb == .stop {
            guard case .finished(.exited(let code), _, _) = result else {
                return [.log(.error, "\(id),stop: \(Self.failure(result))")] + finish(1)
            }
            return finish(code)
        }
        guard case .finished(.exited(0), _, _) = result else {
            if terminating { return stop() }
            return failed(verb, result)
        }
        var effects: [OCFWrapperEffect] = []
        var delay = invocation.interval.duration
        if verb == .start {
            let message = "\(id): monitoring every \(invocation.interval.seconds) seconds"
            effects = [.log(.info, message), .notify("READY=1\nSTATUS=\(message)")]
            delay = invocation.interval.initialDelay(jitter: jitter)
        }
        if terminating { return effects + stop() }
        state = .sleeping
        return effects + [.sleep(delay)]
    }

    /// A failed start or monitor: log, tell systemd why, exit with the agent's status.
    private mutating func failed(_ verb: OCFAgentVerb, _ result: OCFAgentResult) -> [OCFWrapperEffect] {
        let message = "\(invocation.id),s-a-m,\(verb): \(Self.failure(result))"
        var effects: [OCFWrapperEffect] = [.log(.error, message), .notify("STATUS=\(message)")]
        if verb == .monitor, case .finished(_, let out, let err) = result {
            effects.append(.log(.error, "stdout: '\(out)'; stderr: '\(err)'"))
        }
        if case .finished(.exited(let code), _, _) = result { return effects + finish(code) }
        return effects + finish(1)
    }

    private mutating func stop() -> [OCFWrapperEffect] {
        let message = "\(invocation.id): about to exec stop"
        return [.log(.info, message), .notify("STOPPING=1\nSTATUS=\(message)")] + run(.stop)
    }

    private mutating func run(_ verb: OCFAgentVerb) -> [OCFWrapperEffect] {
        state = .running(verb)
        return [.run(verb)]
    }

    private mutating func finish(_ code: Int32) -> [OCFWrapperEffect] {
        state = .done
        return [.exit(code)]
    }

    /// `FAILED with exit code 7`, `FAILED, killed by signal 9`, `FAILED, cannot run it: <errno>`.
    static func failure(_ result: OCFAgentResult) -> String {
        switch result {
        case .finished(.exited(let code), _, _): "FAILED with exit code \(code)"
        case .finished(.signaled(let signal), _, _): "FAILED, killed by signal \(signal)"
        case .notStarted(let error): "FAILED, cannot run it: \(error)"
        }
    }
}
