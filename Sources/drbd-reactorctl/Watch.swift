import ArgumentParser
import ReactorCtl
import ReactorSystem

/// `watch`: the daemon's stream of state changes and promoter decisions.
struct Watch: CtlCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow the daemon (its control socket): its status, then every DRBD state change and promoter decision, until Ctrl-C.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the JSON lines as they come.")
    var json = false

    func run(_ ctx: CtlContext) throws(CtlError) {
        try ctx.watch(json: json, signals: try? SignalFD(signals: [Signal.interrupt, Signal.terminate]))
    }
}
