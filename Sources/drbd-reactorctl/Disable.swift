import ArgumentParser
import ReactorCtl

/// `disable`: rename snippets to `.toml.disabled`, reload the daemon, optionally stop their targets.
struct Disable: CtlCommand {
    static let configuration = CommandConfiguration(abstract: "Disable snippets and reload the daemon.")

    @OptionGroup var global: GlobalOptions
    var runsOnCluster: Bool { true }

    @Flag(help: "Also stop the drbd-services@ targets of their promoter resources (after the reload).")
    var now = false

    @Argument(help: ArgumentHelp("Snippets to disable (default: all enabled).", valueName: "configs"))
    var configs: [String] = []

    func run(_ ctx: CtlContext) throws(CtlError) { _ = try ctx.disable(configs, now: now) }
}
