import ReactorCore

/// The daemon's command line: `-c/--config PATH`, `--allow-tty`, `-h/--help`, `--version`.
///
/// Design note: this replaces swift-argument-parser in the daemon executable, where it cost ~0.55 MiB of
/// RSS (its code and metadata pages touched at start) for four options. The
/// texts, precedence and exit codes are those ArgumentParser produced for this command, so scripts and
/// units see no difference: `--help`/`-h` anywhere before `--` wins (exit 0, stdout), then `--version`;
/// otherwise the arguments are read in order and the first problem is a usage error (exit 64, stderr).
/// Pure: no I/O; `main` prints and exits.
public enum DaemonCommandLine: Equatable, Sendable {
    /// Run the daemon.
    case run(config: String, allowTty: Bool)
    /// Print `helpText` to stdout, exit 0.
    case help
    /// Print `reactorVersion` to stdout, exit 0.
    case version
    /// Print `usageError(message)` to stderr, exit `usageExitCode`.
    case usageError(String)

    /// The default main configuration file.
    public static let defaultConfig = "/etc/drbd-reactor.toml"
    /// `EX_USAGE`, what ArgumentParser exits with on a validation error.
    public static let usageExitCode: Int32 = 64

    /// The outcome of the arguments after the program name.
    public static func parse(_ arguments: [String]) -> DaemonCommandLine {
        let options = arguments.prefix { $0 != "--" }
        if options.contains(where: isHelpFlag) { return .help }
        if options.contains("--version") { return .version }
        var config = defaultConfig
        var allowTty = false
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--" {
                if let first = rest.first { return .usageError(unexpected(first)) }
                break
            }
            let (name, attached) = split(argument)
            switch name {
            case "--allow-tty":
                if let attached {
                    return .usageError("The option '--allow-tty' does not take any value, but '\(attached)' was specified.")
                }
                allowTty = true
            case "-c", "--config":
                let value: String?
                if let attached { value = attached } else if let next = rest.first, !looksLikeOption(next) {
                    value = rest.removeFirst()
                } else { value = nil }
                guard let value, !value.isEmpty else { return .usageError(missingValue(name)) }
                config = value
            default:
                return .usageError(looksLikeOption(argument) ? "Unknown option '\(name)'" : unexpected(argument))
            }
        }
        return .run(config: config, allowTty: allowTty)
    }

    /// `--help`, `-h` and ArgumentParser's `-help`.
    private static func isHelpFlag(_ argument: String) -> Bool {
        argument == "--help" || argument == "-h" || argument == "-help"
    }

    /// `--config=x` as ("--config", "x"); `-c=x` as ("-c", "x"); anything else unchanged with no value.
    private static func split(_ argument: String) -> (name: String, value: String?) {
        guard argument.hasPrefix("-"), let eq = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<eq]), String(argument[argument.index(after: eq)...]))
    }

    /// A lone `-` is a value (stdin by convention), everything else starting with `-` an option.
    private static func looksLikeOption(_ argument: String) -> Bool {
        argument.hasPrefix("-") && argument != "-"
    }

    private static func unexpected(_ argument: String) -> String { "Unexpected argument '\(argument)'" }

    private static func missingValue(_ name: String) -> String {
        "Missing value for '\(name) <path>'\nHelp:  \(name) <path>  Main configuration file."
    }

    /// The text printed on stderr for a usage error.
    public static func usageError(_ message: String) -> String {
        "Error: \(message)\n\(usage)\n  See 'drbd-reactor --help' for more information.\n"
    }

    static let usage = "Usage: drbd-reactor [--config <path>] [--allow-tty]"

    /// `--help`, as ArgumentParser laid it out (80 columns).
    public static let helpText = """
        OVERVIEW: Follow DRBD's state and react to it with plugins (promoter, umh,
        prometheus, agentx, debugger).

        Runs as a systemd service (Type=notify). Manage plugin snippets with
        drbd-reactorctl; reload with 'systemctl reload drbd-reactor' (SIGHUP), dump the
        effective configuration to the log with SIGUSR1.

        USAGE: drbd-reactor [--config <path>] [--allow-tty]

        OPTIONS:
          -c, --config <path>     Main configuration file. (default:
                                  /etc/drbd-reactor.toml)
          --allow-tty             Run even when attached to a terminal (for debugging;
                                  the daemon is meant to run under systemd).
          --version               Show the version.
          -h, --help              Show help information.


        """
}
