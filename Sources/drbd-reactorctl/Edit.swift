import ArgumentParser
import ReactorCtl

extension PluginKind: ExpressibleByArgument {}

/// `edit`: edit (or create) snippets in $EDITOR, validated before they are saved.
struct Edit: CtlCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit or create snippets with $EDITOR; they are checked like the daemon checks them before they are saved.")

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Plugin type of the snippet (and template of a new one).", valueName: "type"))
    var type: PluginKind = .promoter

    @Flag(name: [.short, .long], help: "Accept a promoter whose last start unit is a mount unit.")
    var force = false

    @Flag(help: "Edit disabled snippets (NAME.toml.disabled).")
    var disabled = false

    @Argument(help: ArgumentHelp("Snippets to edit or create (default: all).", valueName: "configs"))
    var configs: [String] = []

    func run(_ ctx: CtlContext) throws(CtlError) { try ctx.edit(configs, kind: type, force: force, disabled: disabled) }
}
