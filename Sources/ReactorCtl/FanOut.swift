import ReactorSystem

/// Runs one drbd-reactorctl command line on every node of a cluster context: this node as a child
/// `drbd-reactorctl --local ARGS`, the others as `ssh user@host -- drbd-reactorctl --local ARGS`, all
/// at the same time. First every remote node must answer `ssh ... true` (so nothing is changed on some
/// nodes when another cannot be reached); then each node's output is shown as a group under
/// `➞ host:` (its stdout on stdout, its stderr on stderr), in host order, and every node that failed
/// is named. The ssh program is `ssh` or the words of `$DRBD_REACTORCTL_SSH` (e.g. `ssh -F FILE`).
public struct FanOut {
    public var nodes: [ClusterContext.Node]
    /// `uname -n` of this node.
    public var nodeName: String
    /// This program (for the local node).
    public var program: String
    /// The ssh command and its leading options.
    public var ssh: [String]

    public init(nodes: [ClusterContext.Node], nodeName: String, program: String, environment: [String: String]) {
        self.nodes = nodes
        self.nodeName = nodeName
        self.program = program
        ssh = environment["DRBD_REACTORCTL_SSH"].map { $0.split(separator: " ").map(String.init) }.flatMap { $0.isEmpty ? nil : $0 } ?? ["ssh"]
    }

    /// `ssh [opts] user@host -- WORDS`: BatchMode, so a node that would ask for a password fails instead
    /// of hanging in a background child; a 10 s connect timeout, so a node that is down does not hold
    /// up the others for the kernel's TCP timeout.
    func sshArgv(_ node: ClusterContext.Node, _ words: [String]) -> [String] {
        ssh + ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "\(node.user)@\(node.hostname)", "--"] + words
    }

    /// The connection check of each remote node.
    public func checkArgv() -> [(node: ClusterContext.Node, argv: [String])] {
        nodes.filter { !$0.isLocal(nodeName) }.map { ($0, sshArgv($0, ["true"])) }
    }

    /// What runs for each node: `args` are the original arguments (without the program name). The
    /// remote command line is one shell word per argument, so arguments with blanks or quotes arrive
    /// as they were given.
    public func commandArgv(_ args: [String]) -> [(node: ClusterContext.Node, argv: [String])] {
        nodes.map { node in
            node.isLocal(nodeName)
                ? (node, [program, "--local"] + args)
                : (node, sshArgv(node, (["drbd-reactorctl", "--local"] + args).map(Self.shellQuoted)))
        }
    }

    /// `word` as one POSIX shell word ('...' unless it is plainly safe).
    public static func shellQuoted(_ word: String) -> String {
        let safe = !word.isEmpty && word.unicodeScalars.allSatisfy { c in
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "-_./=,:@%+".unicodeScalars.contains(c)
        }
        return safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// How one node's run ended, for the summary.
    public static func failure(_ outcome: Result<Blocking.Outcome, Errno>, remote: Bool) -> String? {
        switch outcome {
        case .failure(let e): return "could not be started: \(e)"
        case .success(let o) where o.exit == .exited(255) && remote: return "ssh failed (exit status 255)"
        case .success(let o) where !o.exit.success: return "\(o.exit)"
        case .success: return nil
        }
    }

    /// Runs `args` on all nodes through `runner`; throws `.nodesFailed` naming every node that could not
    /// be reached (nothing ran then) or whose command failed.
    public func run(_ args: [String], runner: CommandRunner, console: Console) throws(CtlError) {
        let checks = checkArgv()
        if !checks.isEmpty {
            console.write("Checking ssh connection to all remote nodes: ")
            let outcomes = runner.runAll(checks.map(\.argv))
            let failed = zip(checks, outcomes).compactMap { check, outcome in
                Self.failure(outcome, remote: true).map { (check.node, $0, outcome) }
            }
            guard failed.isEmpty else {
                console.line(console.paint("✗", .bold, .red))
                for (node, why, outcome) in failed {
                    if case .success(let o) = outcome, !o.stderr.isEmpty { console.progress(String(decoding: o.stderr, as: UTF8.self).trimmingBlanks) }
                    console.progress("Error: node '\(node.name)' (\(node.user)@\(node.hostname)) is not reachable: \(why)")
                }
                throw .nodesFailed(failed.map(\.0.name))
            }
            console.line(console.paint("✓", .bold, .green))
        }
        let commands = commandArgv(args)
        let outcomes = runner.runAll(commands.map(\.argv))
        var failed: [String] = []
        for ((node, _), outcome) in zip(commands, outcomes) {
            console.line(console.paint("➞ \(node.hostname):", .bold))
            if case .success(let o) = outcome {
                console.write(String(decoding: o.stdout, as: UTF8.self))
                console.error(String(decoding: o.stderr, as: UTF8.self))
            }
            if let why = Self.failure(outcome, remote: !node.isLocal(nodeName)) {
                console.progress("Error: node '\(node.name)' (\(node.hostname)) failed: \(why)")
                failed.append(node.name)
            }
        }
        if !failed.isEmpty { throw .nodesFailed(failed) }
    }
}
