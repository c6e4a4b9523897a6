import Logging
import ReactorCore
import ReactorSystem

/// A verb ocf-rs-wrapper runs the resource agent with.
public enum OCFAgentVerb: String, Hashable, Sendable {
    case start, monitor, stop
}

/// How one run of the agent ended.
public enum OCFAgentResult: Hashable, Sendable {
    /// It ran; `stdout`/`stderr` are what it wrote when the output was captured (monitor only).
    case finished(ChildExit, stdout: String = "", stderr: String = "")
    /// It could not be started (`posix_spawn` failed: no such file, not executable).
    case notStarted(Errno)
}

/// What happens to the wrapper (`OCFWrapperMachine.handle`).
public enum OCFWrapperInput: Hashable, Sendable {
    /// The process is set up: begin the action.
    case begin
    /// The agent run started by `.run(verb)` ended.
    case agentEnded(OCFAgentVerb, OCFAgentResult)
    /// The sleep asked for by `.sleep` is over.
    case sleepEnded
    /// SIGTERM or SIGINT arrived.
    case terminationRequested
}

/// What the driver does for the machine.
public enum OCFWrapperEffect: Hashable, Sendable {
    /// Runs `$AGENT <verb>`; its output is captured for monitor and goes to the journal otherwise.
    case run(OCFAgentVerb)
    /// Sends this notify message (`READY=1\nSTATUS=...`) to systemd.
    case notify(String)
    /// Logs to stdout (`LEVEL [ocf_rs_wrapper] message`).
    case log(Logger.Level, String)
    /// Sleeps, then feeds `.sleepEnded`; a termination request ends the sleep early.
    case sleep(Duration)
    /// Exits the process with this status.
    case exit(Int32)
}
