import ArgumentParser
import ReactorCtl
import ReactorSystem

/// `evict`: move promoter resources that are Primary here to another node.
struct Evict: CtlCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move promoter resources away from this node: mask and stop their targets here, wait for a peer to take over.",
        discussion: """
            Runs on this node only. Exit status: 0 every resource is Primary on a peer now (or was \
            not here), 1 error, 3 a resource is still Primary here, 4 no node took a resource over, \
            5 a resource went to another node than --to NODE.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Seconds to wait for another node to take over (positive).", valueName: "seconds"))
    var delay: UInt32 = 20

    @Flag(name: [.short, .long], help: "Allow snippets with several resources or other plugins.")
    var force = false

    @Flag(name: [.short, .long], help: "Keep the targets masked afterwards (the resource stays away from this node).")
    var keepMasked = false

    @Flag(name: [.short, .long], help: "Only unmask and start the targets again (after --keep-masked).")
    var unmask = false

    @Option(help: ArgumentHelp("The peer that should take over: the other peers' targets are masked (over ssh, as the nodes of --context) until it has.", valueName: "node"))
    var to: String?

    @Argument(help: ArgumentHelp("Snippets whose promoter resources to evict (default: all enabled).", valueName: "configs"))
    var configs: [String] = []

    func validate() throws {
        guard delay > 0 else { throw ValidationError("--delay must be a positive number of seconds") }
    }

    func execute(_ ctx: CtlContext) throws(CtlError) -> Int32 {
        let options = EvictOptions(delay: delay, force: force, keepMasked: keepMasked, unmask: unmask, to: to)
        var hold: PeerHold?
        if to != nil {
            let facts = ProcessFacts.current()
            var known: [ClusterContext.Node] = []
            if case .nodes(let nodes) = try global.scope(facts) { known = nodes }
            hold = PeerHold(
                known: known, fanOut: FanOut(nodes: known, nodeName: facts.nodeName, program: "/proc/self/exe", environment: facts.environment),
                runner: ctx.runner)
        }
        let environment = ChildProcess.inheritedEnvironment()
        return try ctx.evict(configs, options: options, hold: hold) { resource in
            Events2Watch(resource: resource, nodeName: ctx.nodeName, environment: environment)
        }
    }
}
