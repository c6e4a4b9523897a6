import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Runs an `OCFWrapperMachine` for real: the agent as a child of an `EventLoop`, sleeps as loop
/// timers (a signal ends them at once), SIGTERM/SIGINT through the loop's signalfd, notify messages
/// through `Notifier` (libsystemd; the agent gets the environment without `NOTIFY_SOCKET`, see below).
///
/// Ownership: the driver owns the machine and the one pending sleep timer; the loop owns the child. The
/// machine runs on the one `EffectRunner`: an input that arrives while effects are performed (a spawn
/// that failed at once) waits for them, so the machine never sees inputs out of order, and nothing
/// reaches it after `.exit`.
public final class OCFWrapperDriver {
    private let loop: EventLoop
    private let notifier: Notifier
    private let logger: Logger
    private let environment: [String]
    private var machine: OCFWrapperMachine
    private var sleepTimer: EventLoop.SourceID?
    private var exitCode: Int32?
    /// The machine's runner; this object's own, so its closures' `unowned self` cannot outlive it.
    private lazy var runner = EffectRunner<OCFWrapperInput, OCFWrapperEffect>(clock: { [unowned loop] in loop.now }, logger: logger)
    private lazy var instance = runner.add(
        handle: { [unowned self] input, _ in self.machine.handle(input) },
        perform: { [unowned self] effect in self.perform(effect) })

    /// The agent gets the wrapper's environment minus `NOTIFY_SOCKET`, `WATCHDOG_*` and `LISTEN_*`.
    public init(machine: OCFWrapperMachine, loop: EventLoop, notifier: Notifier, logger: Logger) {
        self.machine = machine
        self.loop = loop
        self.notifier = notifier
        self.logger = logger
        environment = ChildProcess.inheritedEnvironment()
    }

    /// Runs the action to its end and returns the exit status.
    public func run() throws(Errno) -> Int32 {
        try loop.handleSignals([Signal.terminate, Signal.interrupt]) { [unowned self] _ in
            self.feed(.terminationRequested)
        }
        feed(.begin)
        while exitCode == nil { try loop.runOnce(timeout: nil) }
        return exitCode ?? 1
    }

    private func feed(_ input: OCFWrapperInput) { runner.send(input, to: instance) }

    private func perform(_ effect: OCFWrapperEffect) {
        switch effect {
        case .run(let verb): run(verb)
        case .notify(let message):
            do { try notifier.send(message + "\n") } catch {
                logger.warning("Failed to notify systemd (\(message.prefix(20))...): \(error)")
            }
        case .log(let level, let message): logger.log(level: level, "\(message)")
        case .sleep(let duration):
            sleepTimer = loop.addTimer(at: loop.now + duration, name: "monitor sleep") { [unowned self] in
                self.sleepTimer = nil
                self.feed(.sleepEnded)
            }
        case .exit(let code):
            if let t = sleepTimer { loop.cancelTimer(t) }
            exitCode = code
        }
    }

    /// Spawns `$AGENT verb`: start and stop write to the unit's journal directly, monitor's output is
    /// collected for the failure message.
    private func run(_ verb: OCFAgentVerb) {
        let capture = verb == .monitor
        // Kept for the failure message, bounded: a chatty agent cannot grow the wrapper.
        var output: [OutputStream: ChildOutput] = [.stdout: ChildOutput(limit: 64 * 1024), .stderr: ChildOutput(limit: 64 * 1024)]
        do {
            try loop.spawn(
                argv: [machine.invocation.agent, verb.rawValue], environment: environment,
                stdio: .init(captureStdout: capture, captureStderr: capture, inheritOthers: true), name: "agent \(verb)",
                onLine: capture ? { stream, line in output[stream]?.append(line) } : nil
            ) { [unowned self] exit in
                let (stdout, stderr) = (output[.stdout]?.text ?? "", output[.stderr]?.text ?? "")
                self.feed(.agentEnded(verb, .finished(exit, stdout: stdout, stderr: stderr)))
            }
        } catch {
            feed(.agentEnded(verb, .notStarted(error)))
        }
    }
}
