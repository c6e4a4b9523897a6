import ArgumentParser
import ReactorCtl

/// `status`: the state of every plugin, for promoters the target and its units.
struct Status: CtlCommand {
    static let configuration = CommandConfiguration(abstract: "Show the state of the plugins of the snippets (enabled and disabled).")

    @OptionGroup var global: GlobalOptions
    var runsOnCluster: Bool { true }

    @Flag(name: [.short, .long], help: "Also check that prometheus endpoints accept connections.")
    var verbose = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(name: [.short, .long], parsing: .upToNextOption, help: ArgumentHelp("Only these promoter resources.", valueName: "resource"))
    var resource: [String] = []

    @Argument(help: ArgumentHelp("Snippets to show (default: all).", valueName: "configs"))
    var configs: [String] = []

    func run(_ ctx: CtlContext) throws(CtlError) {
        let report = ctx.statusReport(configs, resources: resource, verbose: verbose)
        if json {
            ctx.console.write(report.json())
        } else {
            for line in report.lines(paint: ctx.console.paint) { ctx.console.line(line) }
        }
    }
}
