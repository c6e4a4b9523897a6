import ArgumentParser
import ReactorCtl

/// `check`: whether the snippets would work on this node (on every node of a cluster context).
struct Check: CtlCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the snippets: the daemon's loader and unit generator, DRBD resources (drbdadm sh-resources), units known to systemd. Exit status 1 when a problem was found.")

    @OptionGroup var global: GlobalOptions
    var runsOnCluster: Bool { true }

    @Argument(help: ArgumentHelp("Snippets to check (default: all, enabled and disabled).", valueName: "configs"))
    var configs: [String] = []

    func execute(_ ctx: CtlContext) throws(CtlError) -> Int32 {
        ctx.report(ctx.check(configs, config: global.config)) ? CtlExit.success : CtlExit.failure
    }
}
