import ArgumentParser
import ReactorCtl
import ReactorDaemon
import ReactorSystem

/// drbd-reactorctl: manage drbd-reactor's plugin snippets and show their state. It never talks to the
/// daemon itself: it renames files in the snippets directory and uses systemctl, drbdsetup and drbdadm.
@main
struct DrbdReactorCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drbd-reactorctl",
        abstract: "Manage drbd-reactor's plugin snippets and show their status.",
        discussion: """
            Snippets are the files in the 'snippets' directory of the main configuration \
            (/etc/drbd-reactor.d): NAME.toml is enabled, NAME.toml.disabled disabled. A snippet argument \
            is a name in that directory (the extension may be left out) or an absolute path in it; no \
            arguments means all snippets. After a change the daemon is reloaded, unless \
            drbd-reactor-reload.path does that already. Without a subcommand: status. Exit status: 0 \
            success, 1 error or usage error; evict has its own (see evict --help).
            """,
        version: reactorVersion,
        subcommands: [
            Status.self, Ls.self, Cat.self, Enable.self, Disable.self, Edit.self, Rm.self, Restart.self, Evict.self,
            StartUntil.self, Check.self, MaintenanceCommand.self, Watch.self, GenerateCompletion.self,
        ])

    /// Parses and runs. Usage errors exit with status 1, like the original's clap 2 (not
    /// swift-argument-parser's 64); `--help` and `--version` exit 0.
    static func main() {
        do {
            let names = Set(configuration.subcommands.map { $0._commandName } + ["help"])
            let args = try ArgumentOrder.normalize(Array(CommandLine.arguments.dropFirst()), subcommands: names, defaultSubcommand: "status")
            var command = try parseAsRoot(args)
            try command.run()
        } catch let usage as UsageError {
            printError("Error: \(usage.message)\n" + usageString() + "\n  See 'drbd-reactorctl --help' for the subcommands.")
            exit(withError: ExitCode(CtlExit.usage))
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                exit(withError: ExitCode(CtlExit.usage))
            }
            exit(withError: error)
        }
    }
}

func printError(_ message: String) {
    RawOutput.write(2, Array((message + "\n").utf8))
}
