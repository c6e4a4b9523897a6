import ReactorSystem

/// Runs the programs drbd-reactorctl drives (`systemctl`, `drbdsetup`, `drbdadm`, `$EDITOR`, `cat`),
/// found in `PATH`. A protocol so the subcommands' logic is unit tested with a recording fake.
public protocol CommandRunner {
    func run(_ argv: [String], stdin: Blocking.Stream, stdout: Blocking.Stream, stderr: Blocking.Stream) throws(Errno) -> Blocking.Outcome
    /// Runs all commands at the same time, stdin null, stdout and stderr captured.
    func runAll(_ argvs: [[String]]) -> [Result<Blocking.Outcome, Errno>]
}

extension CommandRunner {
    /// One after the other (for fakes).
    public func runAll(_ argvs: [[String]]) -> [Result<Blocking.Outcome, Errno>] {
        argvs.map { argv in Result { () throws(Errno) in try run(argv, stdin: .null, stdout: .capture, stderr: .capture) } }
    }

    /// Runs `argv` for its output: stdout captured, stderr discarded; nil when it could not run or failed.
    public func output(_ argv: [String]) -> String? {
        guard let o = try? run(argv, stdin: .null, stdout: .capture, stderr: .null), o.exit.success else { return nil }
        return String(decoding: o.stdout, as: UTF8.self)
    }

    /// Runs `argv` with its output shown (stdout and stderr inherited); whether it succeeded.
    @discardableResult
    public func call(_ argv: [String]) -> Bool {
        (try? run(argv, stdin: .null, stdout: .inherit, stderr: .inherit))?.exit.success ?? false
    }

    /// Runs `argv` with its output shown; a failure (it could not run, or a non-zero exit) is an error.
    /// For the systemctl calls whose failure must reach the exit status (reload, restart, stop, mask,
    /// daemon-reload).
    public func require(_ argv: [String]) throws(CtlError) {
        let outcome: Blocking.Outcome
        do { outcome = try run(argv, stdin: .null, stdout: .inherit, stderr: .inherit) } catch {
            throw .command(argv, "could not be run: \(error)")
        }
        guard outcome.exit.success else { throw .command(argv, "failed (\(outcome.exit))") }
    }

    /// Runs `argv` silently; whether it succeeded.
    @discardableResult
    public func quiet(_ argv: [String]) -> Bool {
        (try? run(argv, stdin: .null, stdout: .null, stderr: .null))?.exit.success ?? false
    }
}

/// The real runner: the process's environment (without the daemon-only variables) and `PATH`.
public struct SystemRunner: CommandRunner {
    let environment = ChildProcess.inheritedEnvironment()

    public init() {}

    public func run(_ argv: [String], stdin: Blocking.Stream, stdout: Blocking.Stream, stderr: Blocking.Stream) throws(Errno) -> Blocking.Outcome {
        try Blocking.run(argv, environment: environment, stdin: stdin, stdout: stdout, stderr: stderr)
    }

    public func runAll(_ argvs: [[String]]) -> [Result<Blocking.Outcome, Errno>] {
        do { return try Blocking.runAll(argvs, environment: environment, stdin: .null, stdout: .capture, stderr: .capture) } catch {
            return argvs.map { _ in .failure(error) }
        }
    }
}
