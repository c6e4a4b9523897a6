import ArgumentParser
import ReactorCtl

/// The options every subcommand takes (before or after its name).
struct GlobalOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp("The daemon's main configuration file (its 'snippets' directory is used).", valueName: "file"))
    var config = "/etc/drbd-reactor.toml"

    @Option(help: ArgumentHelp("Cluster context (a file in ~/.config/drbd-reactorctl/); 'local' or 'none' for this node only.", valueName: "ctx"))
    var context = "default"

    @Option(help: ArgumentHelp("Only these nodes of the context (comma separated).", valueName: "nodes"), transform: { $0.split(separator: ",").map(String.init) })
    var nodes: [String] = []

    @Flag(help: .hidden)
    var local = false

    /// The context for this invocation: config read, cluster context checked.
    func makeContext() throws(CtlError) -> CtlContext {
        let ctx = try CtlContext.current(config: config)
        if !local {
            try ClusterContext.requireLocal(context, nodes: nodes, nodeName: ctx.nodeName, environment: ctx.environment)
        }
        return ctx
    }
}

/// A subcommand that runs with a `CtlContext`; `CtlError`s become `Error: ...` and exit status 1. A
/// command with its own exit statuses (evict) implements `execute`, the others `run(_:)`.
protocol CtlCommand: ParsableCommand {
    var global: GlobalOptions { get }
    func run(_ ctx: CtlContext) throws(CtlError)
    func execute(_ ctx: CtlContext) throws(CtlError) -> Int32
}

extension CtlCommand {
    func run(_ ctx: CtlContext) throws(CtlError) {}

    func execute(_ ctx: CtlContext) throws(CtlError) -> Int32 {
        try run(ctx)
        return CtlExit.success
    }

    func run() throws {
        let status: Int32
        do { status = try execute(try global.makeContext()) } catch {
            printError("Error: \(error)")
            throw ExitCode(CtlExit.failure)
        }
        if status != CtlExit.success { throw ExitCode(status) }
    }
}
