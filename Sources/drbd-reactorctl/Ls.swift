import ArgumentParser
import ReactorCtl

/// `ls`: the snippets and their plugins.
struct Ls: CtlCommand {
    static let configuration = CommandConfiguration(abstract: "List the snippets (enabled and disabled) and their plugins.")

    @OptionGroup var global: GlobalOptions
    var runsOnCluster: Bool { true }

    @Argument(help: ArgumentHelp("Snippets to list (default: all).", valueName: "configs"))
    var configs: [String] = []

    func run(_ ctx: CtlContext) throws(CtlError) { ctx.list(configs) }
}
