import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop
@testable import ReactorLog
@testable import ReactorPromoter
@testable import ReactorUMH
@testable import ReactorDebugger
@testable import ReactorAgentX
@testable import ReactorPrometheus
@testable import ReactorDaemon

/// The daemon's options behave as they did under swift-argument-parser (texts and precedence).
@Suite struct DaemonCommandLineTests {
    private func parse(_ line: String) -> DaemonCommandLine {
        DaemonCommandLine.parse(line.split(separator: " ").map(String.init))
    }

    @Test func defaults() {
        #expect(parse("") == .run(config: "/etc/drbd-reactor.toml", allowTty: false))
    }

    @Test(arguments: ["-c /x --allow-tty", "--config /x --allow-tty", "--config=/x --allow-tty", "-c=/x --allow-tty",
                      "--allow-tty -c /y -c /x", "--allow-tty --allow-tty -c /x", "--allow-tty -c /x --"])
    func options(_ line: String) {
        #expect(parse(line) == .run(config: "/x", allowTty: true))
    }

    @Test func loneDashIsAValue() {
        #expect(parse("-c -") == .run(config: "-", allowTty: false))
    }

    @Test(arguments: ["--help", "-h", "-help", "--version --help", "--bogus --help", "-c a -c b -h"])
    func helpWinsBeforeDoubleDash(_ line: String) {
        #expect(parse(line) == .help)
    }

    @Test(arguments: ["--version", "--version --bogus", "extra --version"])
    func version(_ line: String) {
        #expect(parse(line) == .version)
    }

    @Test(arguments: [
        ("--bogus", "Unknown option '--bogus'"),
        ("--bogus=1", "Unknown option '--bogus'"),
        ("--allow", "Unknown option '--allow'"),
        ("extra", "Unexpected argument 'extra'"),
        ("-", "Unexpected argument '-'"),
        ("-- --help", "Unexpected argument '--help'"),
        ("--allow-tty extra -c /x", "Unexpected argument 'extra'"),
        ("-c /x --allow-tty --bogus", "Unknown option '--bogus'"),
        ("--allow-tty=1", "The option '--allow-tty' does not take any value, but '1' was specified."),
        ("-c", "Missing value for '-c <path>'\nHelp:  -c <path>  Main configuration file."),
        ("-c --allow-tty", "Missing value for '-c <path>'\nHelp:  -c <path>  Main configuration file."),
        ("--config=", "Missing value for '--config <path>'\nHelp:  --config <path>  Main configuration file."),
    ])
    func usageErrors(_ line: String, _ message: String) {
        #expect(parse(line) == .usageError(message))
    }

    @Test func emptyArgumentIsUnexpected() {
        #expect(DaemonCommandLine.parse([""]) == .usageError("Unexpected argument ''"))
    }

    @Test func usageErrorText() {
        #expect(DaemonCommandLine.usageError("Unknown option '-x'") == """
            Error: Unknown option '-x'
            Usage: drbd-reactor [--config <path>] [--allow-tty]
              See 'drbd-reactor --help' for more information.

            """)
        #expect(DaemonCommandLine.usageExitCode == 64)
    }

    @Test func helpNamesEveryOption() {
        for option in ["-c, --config <path>", "--allow-tty", "--version", "-h, --help", "/etc/drbd-reactor.toml"] {
            #expect(DaemonCommandLine.helpText.contains(option))
        }
    }
}
