import Testing
@testable import ReactorCtl
import ReactorCtl

@Suite struct SnippetDirectoryTests {
    let dir = fakeDirectory(["a.toml", "b.toml.disabled", "c.toml", "c.toml.disabled", "notes.txt"])

    @Test func noArgumentsMeansEveryFileOfTheState() {
        #expect(dir.resolve([], state: .enabled).paths == ["/etc/drbd-reactor.d/a.toml", "/etc/drbd-reactor.d/c.toml"])
        #expect(dir.resolve([], state: .disabled).paths == ["/etc/drbd-reactor.d/b.toml.disabled", "/etc/drbd-reactor.d/c.toml.disabled"])
        #expect(dir.resolve([], state: .any).paths.count == 4)
    }

    /// The daemon loads `.hidden.toml` (SnippetNames, shared with it), so ls shows it too.
    @Test func dotFilesAreSnippetsAsForTheDaemon() {
        let hidden = fakeDirectory([".hidden.toml", ".off.toml.disabled", "a.toml", ".a.toml.swp"])
        #expect(hidden.resolve([], state: .enabled).paths == ["/etc/drbd-reactor.d/.hidden.toml", "/etc/drbd-reactor.d/a.toml"])
        #expect(hidden.resolve([], state: .disabled).paths == ["/etc/drbd-reactor.d/.off.toml.disabled"])
    }

    @Test func namesGetTheSuffixOfTheState() {
        #expect(dir.path(for: "a", state: .enabled) == "/etc/drbd-reactor.d/a.toml")
        #expect(dir.path(for: "a", state: .disabled) == "/etc/drbd-reactor.d/a.toml.disabled")
        #expect(dir.path(for: "b", state: .any) == "/etc/drbd-reactor.d/b.toml.disabled")
        #expect(dir.path(for: "b.toml.disabled", state: .enabled) == "/etc/drbd-reactor.d/b.toml.disabled")
        #expect(dir.path(for: "/etc/drbd-reactor.d//a.toml", state: .enabled) == "/etc/drbd-reactor.d/a.toml")
    }

    @Test func rejectsWithTheOriginalsMessages() {
        let r = dir.resolve(["/etc/drbd-reactor.d/notes.txt", "/etc/other/x.toml", "sub/y.toml", "missing"], state: .enabled)
        #expect(r.paths.isEmpty)
        #expect(r.rejected == [
            "File '/etc/drbd-reactor.d/notes.txt' does not have a recognized extension (.toml or .toml.disabled), ignoring",
            "File '/etc/other/x.toml' is not within snippets path '/etc/drbd-reactor.d', ignoring",
            "File '/etc/drbd-reactor.d/sub/y.toml' is not within snippets path '/etc/drbd-reactor.d', ignoring",
            "File '/etc/drbd-reactor.d/missing.toml' does not exist or is not a regular file, ignoring",
        ])
    }

    @Test func newFilesAreFineWhenTheyNeedNotExist() {
        #expect(dir.resolve(["new"], state: .enabled, mustExist: false).paths == ["/etc/drbd-reactor.d/new.toml"])
    }

    @Test func warnsWhenBothStatesExist() {
        #expect(dir.resolve(["c"], state: .enabled).warnings == ["both '/etc/drbd-reactor.d/c.toml' and '/etc/drbd-reactor.d/c.toml.disabled' exist"])
    }

    @Test func enabledAndDisabledNames() {
        #expect(SnippetDirectory.disabledName("/d/x.toml") == "/d/x.toml.disabled")
        #expect(SnippetDirectory.enabledName("/d/x.toml.disabled") == "/d/x.toml")
        #expect(SnippetDirectory.twin(of: "/d/x.toml.disabled") == "/d/x.toml")
        #expect(SnippetDirectory.normalize("/etc/drbd-reactor.d/") == "/etc/drbd-reactor.d")
    }
}

@Suite struct ArgumentOrderTests {
    let names: Set<String> = ["status", "ls", "evict", "help"]

    @Test func leadingGlobalsMoveBehindTheSubcommand() throws {
        #expect(try ArgumentOrder.normalize(["-c", "x.toml", "ls", "a"], subcommands: names, defaultSubcommand: "status") == ["ls", "-c", "x.toml", "a"])
        #expect(try ArgumentOrder.normalize(["--config=x", "--local", "evict", "-d", "1"], subcommands: names, defaultSubcommand: "status")
            == ["evict", "--config=x", "--local", "-d", "1"])
    }

    @Test func withoutSubcommandItIsStatus() throws {
        #expect(try ArgumentOrder.normalize(["-c", "x.toml"], subcommands: names, defaultSubcommand: "status") == ["status", "-c", "x.toml"])
        #expect(try ArgumentOrder.normalize(["-c", "x.toml", "--json"], subcommands: names, defaultSubcommand: "status") == ["status", "-c", "x.toml", "--json"])
        #expect(try ArgumentOrder.normalize([], subcommands: names, defaultSubcommand: "status") == ["status"])
        // a word that is no subcommand is a usage error, not a snippet name for status
        #expect(throws: UsageError(message: "unrecognized subcommand 'r0'")) {
            try ArgumentOrder.normalize(["-c", "x", "r0"], subcommands: names, defaultSubcommand: "status")
        }
    }

    @Test func shortVersionAndUntouchedArguments() throws {
        #expect(try ArgumentOrder.normalize(["-V"], subcommands: names, defaultSubcommand: "status") == ["--version"])
        #expect(try ArgumentOrder.normalize(["ls", "-c", "x"], subcommands: names, defaultSubcommand: "status") == ["ls", "-c", "x"])
    }
}

@Suite struct ColorChoiceTests {
    @Test func precedenceOfTheVariables() {
        #expect(ColorChoice.decide(environment: ["CLICOLOR_FORCE": "1", "NO_COLOR": "1"], stdoutIsTerminal: false))
        #expect(!ColorChoice.decide(environment: ["NO_COLOR": ""], stdoutIsTerminal: true))
        #expect(!ColorChoice.decide(environment: ["CLICOLOR": "0"], stdoutIsTerminal: true))
        #expect(!ColorChoice.decide(environment: ["CLICOLOR_FORCE": "0"], stdoutIsTerminal: false))
        #expect(ColorChoice.decide(environment: [:], stdoutIsTerminal: true))
    }

    @Test func paintsOnlyWithColors() {
        let t = Transcript()
        let on = Console(colors: true, out: { t.out += $0 }, err: { _ in })
        #expect(on.paint("x", .bold, .red) == "\u{1b}[1;31mx\u{1b}[0m")
        on.warn("w")
        #expect(t.out == "\u{1b}[1;31mWARN:\u{1b}[0m w\n")
        #expect(Console(colors: false, out: { _ in }, err: { _ in }).paint("x", .bold) == "x")
    }
}
