import ArgumentParser

/// `generate-completion`: a shell completion script on stdout.
struct GenerateCompletion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-completion", abstract: "Print a shell completion script (bash, zsh or fish).")

    /// Accepted (and ignored) so that `drbd-reactorctl -c FILE generate-completion` works too.
    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The shell.", valueName: "shell"))
    var shell: String = "bash"

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw ValidationError("unsupported shell '\(shell)' (supported: bash, zsh, fish)")
        }
        print(DrbdReactorCtl.completionScript(for: kind), terminator: "")
    }
}
