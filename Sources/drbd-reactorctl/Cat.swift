import ArgumentParser
import ReactorCtl

/// `cat`: show enabled snippets (with bat or batcat when installed).
struct Cat: CtlCommand {
    static let configuration = CommandConfiguration(abstract: "Print enabled snippets.")

    @OptionGroup var global: GlobalOptions
    var runsOnCluster: Bool { true }

    @Argument(help: ArgumentHelp("Snippets to print (default: all enabled).", valueName: "configs"))
    var configs: [String] = []

    func run(_ ctx: CtlContext) throws(CtlError) { ctx.cat(configs) }
}
