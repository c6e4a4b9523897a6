import ArgumentParser
import ReactorCtl

/// The options every subcommand takes (before or after its name).
struct GlobalOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp("The daemon's main configuration file (its 'snippets' directory is used).", valueName: "file"))
    var config = "/etc/drbd-reactor.toml"

    @Option(help: ArgumentHelp("Cluster context: ctx.toml in ~/.config/drbd-reactorctl/ or /etc/drbd-reactorctl.d/, whose nodes the command runs on over ssh; 'local' or 'none' for this node only.", valueName: "ctx"))
    var context = "default"

    @Option(help: ArgumentHelp("Only these nodes of the context (comma separated).", valueName: "nodes"), transform: { $0.split(separator: ",").map(String.init) })
    var nodes: [String] = []

    /// Set on the command line a cluster context runs on each node: run here, ignore the context.
    @Flag(help: .hidden)
    var local = false

    /// Where the command runs: this node, or the nodes of `--context` (limited by `--nodes`).
    func scope(_ env: ProcessFacts) throws(CtlError) -> ClusterContext.Scope {
        if local { return .local }
        return try ClusterContext.scope(context, only: nodes, environment: env.environment, runner: SystemRunner())
    }
}

/// A subcommand that runs with a `CtlContext`; `CtlError`s become `Error: ...` and exit status 1. A
/// command with its own exit statuses (evict) implements `execute`, the others `run(_:)`. A command
/// that `runsOnCluster` runs on every node of the cluster context (as the original: cat, disable,
/// enable, ls, rm, status, restart with snippets, and the new check); the others always run here.
protocol CtlCommand: ParsableCommand {
    var global: GlobalOptions { get }
    var runsOnCluster: Bool { get }
    /// Refuses a command line that cannot run on several nodes (a question to answer).
    func checkCluster() throws(CtlError)
    func run(_ ctx: CtlContext) throws(CtlError)
    func execute(_ ctx: CtlContext) throws(CtlError) -> Int32
}

extension CtlCommand {
    var runsOnCluster: Bool { false }
    func checkCluster() throws(CtlError) {}
    func run(_ ctx: CtlContext) throws(CtlError) {}

    func execute(_ ctx: CtlContext) throws(CtlError) -> Int32 {
        try run(ctx)
        return CtlExit.success
    }

    func run() throws {
        let status: Int32
        do { status = try dispatch() } catch {
            printError("Error: \(error)")
            throw ExitCode(CtlExit.failure)
        }
        if status != CtlExit.success { throw ExitCode(status) }
    }

    /// Here, or through `FanOut` on the nodes of the context (the unchanged command line, plus `--local`).
    func dispatch() throws(CtlError) -> Int32 {
        let facts = ProcessFacts.current()
        if runsOnCluster, case .nodes(let nodes) = try global.scope(facts) {
            if nodes.contains(where: { !$0.isLocal(facts.nodeName) }) { try checkCluster() }
            let fanOut = FanOut(nodes: nodes, nodeName: facts.nodeName, program: "/proc/self/exe", environment: facts.environment)
            try fanOut.run(Array(CommandLine.arguments.dropFirst()), runner: SystemRunner(), console: .standard(environment: facts.environment))
            return CtlExit.success
        }
        return try execute(try CtlContext.current(config: global.config, facts: facts))
    }
}
