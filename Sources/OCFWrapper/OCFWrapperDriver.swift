import Logging
import ReactorCore
import ReactorLoop
import ReactorSystem

/// Runs an `OCFWrapperMachine` for real: the agent as a child of an `EventLoop`, sleeps as loop
/// timers (a signal ends them at once), SIGTERM/SIGINT through the loop's signalfd, notify messages
/// through `Notifier` (libsystemd; the agent gets the environment without `NOTIFY_SOCKET`, see below).
///
/// Ownership: the driver owns the machine and the one pending sleep timer; the loop owns the child.
public final class OCFWrapperDriver {
    private let loop: EventLoop
    private let notifier: Notifier
    private let logger: Logger
    private let environment: [String]
    private var machine: OCFWrapperMachine
    private var sleepTimer: EventLoop.SourceID?
    private var exitCode: Int32?

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

    /// Inputs not yet handled: an input that arrives while effects are performed (a spawn that failed at
    /// once) waits for them, so the machine never sees inputs out of order.
    private var inbox: [OCFWrapperInput] = []

    private func feed(_ input: OCFWrapperInput) {
        inbox.append(input)
        guard inbox.count == 1 else { return }  // the outer call is draining
        while let next = inbox.first {
            for effect in machine.handle(next) { perform(effect) }
            inbox.removeFirst()
        }
    }

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
        let output = CapturedOutput()
        do {
            try loop.spawn(
                argv: [machine.invocation.agent, verb.rawValue], environment: environment,
                stdio: .init(captureStdout: capture, captureStderr: capture, inheritOthers: true), name: "agent \(verb)",
                onLine: capture ? { stream, line in output.append(stream, line) } : nil
            ) { [unowned self] exit in
                self.feed(.agentEnded(verb, .finished(exit, stdout: output.text(.stdout), stderr: output.text(.stderr))))
            }
        } catch {
            feed(.agentEnded(verb, .notStarted(error)))
        }
    }
}

/// A monitor run's output, kept for the failure message (bounded: a chatty agent cannot grow it).
final class CapturedOutput {
    static let limit = 64 * 1024
    private var lines: [OutputStream: [String]] = [:]
    private var size = 0

    func append(_ stream: OutputStream, _ line: ArraySlice<UInt8>) {
        guard size < Self.limit else { return }
        size += line.count + 1
        lines[stream, default: []].append(String(decoding: line, as: UTF8.self))
    }

    func text(_ stream: OutputStream) -> String { (lines[stream] ?? []).joined(separator: "\n") }
}
