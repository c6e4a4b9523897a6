import ArgumentParser
import ReactorCtl

/// `evict`: move promoter resources that are Primary here to another node.
struct Evict: CtlCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move promoter resources away from this node: mask and stop their targets here, wait for a peer to take over.")

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Seconds to wait for another node to take over (positive).", valueName: "seconds"))
    var delay: UInt32 = 20

    @Flag(name: [.short, .long], help: "Allow snippets with several resources or other plugins.")
    var force = false

    @Flag(name: [.short, .long], help: "Keep the targets masked afterwards (the resource stays away from this node).")
    var keepMasked = false

    @Flag(name: [.short, .long], help: "Only unmask and start the targets again (after --keep-masked).")
    var unmask = false

    @Argument(help: ArgumentHelp("Snippets whose promoter resources to evict (default: all enabled).", valueName: "configs"))
    var configs: [String] = []

    func validate() throws {
        guard delay > 0 else { throw ValidationError("--delay must be a positive number of seconds") }
    }

    func run(_ ctx: CtlContext) throws(CtlError) {
        try ctx.evict(configs, options: EvictOptions(delay: delay, force: force, keepMasked: keepMasked, unmask: unmask), pause: SignalPause())
    }
}
