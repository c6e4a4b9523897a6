import ArgumentParser
import ReactorCtl
import ReactorDaemon

extension MaintenanceAction: ExpressibleByArgument {}

/// `maintenance`: hold promoter resources (or this whole node) where they are.
struct MaintenanceCommand: CtlCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance",
        abstract: "Put this node or promoter resources in maintenance (on), take them out (off), or show it (no argument).",
        discussion: """
            In maintenance the promoter keeps following DRBD but starts and stops nothing for the \\
            resource (nothing at all for a node in maintenance, so the node takes no resource): for an \\
            upgrade or a cordoned node without stopping drbd-reactor. The state is kept in \\
            /run/drbd-reactor/maintenance; a running daemon is told to read it (control socket, else a reload).
            """)

    @OptionGroup var global: GlobalOptions
    var runsOnCluster: Bool { true }

    @Argument(help: ArgumentHelp("on or off (none: show the state).", valueName: "on|off"))
    var action: MaintenanceAction?

    @Argument(help: ArgumentHelp("Promoter resources (none: the whole node).", valueName: "resource"))
    var resources: [String] = []

    func validate() throws {
        if action == nil && !resources.isEmpty { throw ValidationError("resources need 'on' or 'off'") }
    }

    func run(_ ctx: CtlContext) throws(CtlError) {
        try ctx.maintenance(action, resources: resources, file: RuntimeDirectory.maintenanceFile(ctx.runDirectory))
    }
}
