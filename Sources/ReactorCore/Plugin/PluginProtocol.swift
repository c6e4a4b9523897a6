import Logging

/// Plugins are state machines: inputs in, effects out. They never touch a file descriptor, the clock
/// or the environment; the host's effect runner carries the effects out against the loop.

/// Names a child process or timer within one plugin instance (the host maps them to real pids/timers).
public typealias PluginToken = UInt64

/// How a child process ended.
public enum ChildExit: Hashable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Signal)

    public var success: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let sig): "signal \(sig)"
        }
    }
}

/// Which output stream of a child.
public enum OutputStream: String, Hashable, Sendable {
    case stdout, stderr
}

/// A request to run a program as a child of the loop.
public struct SpawnRequest: Hashable, Sendable {
    /// Full argv; `argv[0]` is looked up in `PATH` when it has no slash.
    public var argv: [String]
    /// The complete environment of the child ("KEY=value"); nothing else is inherited.
    public var environment: [String]
    /// Whether the plugin wants the child's stdout/stderr lines as `.childOutput` inputs.
    public var captureOutput: Bool

    public init(argv: [String], environment: [String], captureOutput: Bool = true) {
        self.argv = argv
        self.environment = environment
        self.captureOutput = captureOutput
    }
}

/// An input to a change plugin.
public enum PluginInput: Hashable, Sendable {
    /// The plugin was started: always the first input, before the replay of the current state.
    case start
    /// A diff of the DRBD state, in order.
    case update(StateUpdate)
    /// A child started with `.spawn` wrote a line.
    case childOutput(PluginToken, OutputStream, String)
    /// A child started with `.spawn` ended (always delivered once, after its output).
    case childExited(PluginToken, ChildExit)
    /// A child could not be started at all (e.g. `sh` missing).
    case spawnFailed(PluginToken, String)
    /// A timer set with `.startTimer` fired.
    case timer(PluginToken)
    /// The plugin is being stopped (daemon exit or reload removed it).
    case stop
}

/// An effect a plugin asks the host to carry out.
public enum PluginEffect: Hashable, Sendable {
    case log(Logger.Level, String, resource: String?)
    case spawn(PluginToken, SpawnRequest)
    /// Send a signal (`.terminate`, then `.kill`) to a running child; ignored if it is gone.
    case signal(PluginToken, Signal)
    case startTimer(PluginToken, at: Instant)
    case cancelTimer(PluginToken)
    /// Remove a file (the promoter's generated drop-ins); a missing file is not an error, other
    /// failures are logged by the host.
    case removeFile(String)
    /// Count one of the daemon's health counters (`drbdreactor_*`); the daemon owns the tally.
    case count(ReactorCounter)
    /// The plugin has finished stopping (all its children are gone); the host may drop it.
    case stopped
}

extension PluginEffect: MachineEffect {
    public var endsMachine: Bool { if case .stopped = self { true } else { false } }
}

/// A change plugin (promoter, umh, debugger): a machine that receives diffs in order and answers with
/// effects, driven by the plugin host's `EffectRunner`.
public protocol ChangePlugin: Machine where Input == PluginInput, Effect == PluginEffect {
    /// The name used in logs and in `REACTOR_PLUGIN=` (e.g. "umh").
    var kind: String { get }
}
