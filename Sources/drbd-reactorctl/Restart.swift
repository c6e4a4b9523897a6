import ArgumentParser
import ReactorCtl

/// `restart`: the daemon, or the plugins of some snippets (disable + enable).
struct Restart: CtlCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restart the daemon, or with snippets only their plugins (disable, then enable).")

    @OptionGroup var global: GlobalOptions
    /// With snippets on every node of the context; the daemon itself only here (as the original).
    var runsOnCluster: Bool { !configs.isEmpty }

    @Flag(help: "Also stop the promoters' targets in between (disable --now).")
    var withTargets = false

    @Argument(help: ArgumentHelp("Snippets whose plugins to restart (default: the whole daemon).", valueName: "configs"))
    var configs: [String] = []

    func run(_ ctx: CtlContext) throws(CtlError) { try ctx.restart(configs, withTargets: withTargets) }
}
