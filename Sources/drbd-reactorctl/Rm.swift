import ArgumentParser
import ReactorCtl

/// `rm`: delete snippets (asking first) and reload the daemon.
struct Rm: CtlCommand {
    static let configuration = CommandConfiguration(abstract: "Remove snippets and reload the daemon.")

    @OptionGroup var global: GlobalOptions
    var runsOnCluster: Bool { true }

    /// On other nodes nobody could answer the question.
    func checkCluster() throws(CtlError) {
        if !force { throw .notInCluster("rm on the nodes of a cluster context needs --force (nobody can answer the question there)") }
    }

    @Flag(help: "Remove disabled snippets (NAME.toml.disabled).")
    var disabled = false

    @Flag(name: [.short, .long], help: "Do not ask before removing.")
    var force = false

    @Argument(help: ArgumentHelp("Snippets to remove.", valueName: "configs"))
    var configs: [String]

    func run(_ ctx: CtlContext) throws(CtlError) { _ = try ctx.remove(configs, disabled: disabled, force: force, ask: { readLine() }) }
}
