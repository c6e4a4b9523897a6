import ArgumentParser
import ReactorCtl

/// `start-until`: start a disabled promoter's units by hand, up to a given one.
struct StartUntil: CtlCommand {
    static let configuration = CommandConfiguration(
        commandName: "start-until",
        abstract: "Start the units of a disabled promoter snippet by hand, up to and including the given one.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("A start entry (or its unit), or a number n for the first n entries.", valueName: "until"))
    var until: String

    @Argument(help: ArgumentHelp("The disabled promoter snippet.", valueName: "config"))
    var config: String

    func run(_ ctx: CtlContext) throws(CtlError) { try ctx.startUntil(until, snippet: config) }
}
