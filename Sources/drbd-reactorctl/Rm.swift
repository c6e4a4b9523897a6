import ArgumentParser
import ReactorCtl

/// `rm`: delete snippets (asking first) and reload the daemon.
struct Rm: CtlCommand {
    static let configuration = CommandConfiguration(abstract: "Remove snippets and reload the daemon.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Remove disabled snippets (NAME.toml.disabled).")
    var disabled = false

    @Flag(name: [.short, .long], help: "Do not ask before removing.")
    var force = false

    @Argument(help: ArgumentHelp("Snippets to remove.", valueName: "configs"))
    var configs: [String]

    func run(_ ctx: CtlContext) throws(CtlError) { _ = try ctx.remove(configs, disabled: disabled, force: force, ask: { readLine() }) }
}
