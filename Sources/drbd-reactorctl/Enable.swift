import ArgumentParser
import ReactorCtl

/// `enable`: rename disabled snippets back to `.toml` and reload the daemon.
struct Enable: CtlCommand {
    static let configuration = CommandConfiguration(abstract: "Enable disabled snippets and reload the daemon.")

    @OptionGroup var global: GlobalOptions
    var runsOnCluster: Bool { true }

    @Argument(help: ArgumentHelp("Disabled snippets to enable (default: all).", valueName: "configs"))
    var configs: [String] = []

    func run(_ ctx: CtlContext) throws(CtlError) { _ = try ctx.enable(configs) }
}
