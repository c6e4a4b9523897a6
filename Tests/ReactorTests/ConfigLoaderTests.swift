import Glibc
import Logging
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

/// A temporary directory with files, removed at deinit.
final class TempDir {
    let path: String
    init() {
        var template = Array("/tmp/reactor-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = path + "/" + name
        let f = fopen(p, "w")!
        fputs(text, f)
        fclose(f)
        return p
    }
    func mkdir(_ name: String) -> String {
        let p = path + "/" + name
        Glibc.mkdir(p, 0o755)
        return p
    }
    deinit { try? FileSystem.removeTree(path) }
}

@Suite struct ConfigLoaderTests {
    @Test func emptyFileGivesDefaults() throws {
        let d = TempDir()
        let c = try ConfigLoader.load(path: d.write("r.toml", ""))
        #expect(c.snippets == nil)
        #expect(c.snippetsMonitoringInterval == 120)
        #expect(c.statisticsPollInterval == 60)
        #expect(c.logs.isEmpty)
        #expect(c.plugins.isEmpty)
    }

    @Test func everyGlobalKey() throws {
        let d = TempDir()
        let snippets = d.mkdir("snippets")
        let c = try ConfigLoader.load(path: d.write("r.toml", """
            snippets = "\(snippets)"
            snippets-monitoring-interval = 0
            statistics-poll-interval = 5
            [[log]]
            level = "TRACE"
            [[log]]
            level = "off"
            file = "/tmp/x.log"
            """))
        #expect(c.snippets == snippets)
        #expect(c.snippetsMonitoringInterval == 0)
        #expect(c.statisticsPollInterval == 5)
        #expect(c.logs == [LogConfig(level: .trace), LogConfig(level: nil, file: "/tmp/x.log")])
        #expect(c.warnings.isEmpty)
    }

    @Test func snippetsAreReadSortedAndOnlyToml() throws {
        let d = TempDir()
        let s = d.mkdir("snippets")
        d.write("snippets/20-prom.toml", "[[prometheus]]\naddress = \"127.0.0.1:9000\"\n")
        d.write("snippets/10-debug.toml", "[[debugger]]\n")
        d.write("snippets/30-off.toml.disabled", "[[debugger]]\nid = \"x\"\n")
        let c = try ConfigLoader.load(path: d.write("r.toml", "snippets = \"\(s)\"\n"))
        #expect(c.plugins.map(\.kind) == ["debugger", "prometheus"])
        #expect(c.snippetFiles.map(\.path) == ["\(s)/10-debug.toml", "\(s)/20-prom.toml"])
    }

    /// Dot-files ending in `.toml` are snippets, as for 1.x and drbd-reactorctl ls (one rule, SnippetNames).
    @Test func hiddenSnippetsAreLoaded() throws {
        let d = TempDir()
        let s = d.mkdir("snippets")
        d.write("snippets/.hidden.toml", "[[debugger]]\n")
        d.write("snippets/.r0.toml.swp", "[[prometheus]]\n")
        let c = try ConfigLoader.load(path: d.write("r.toml", "snippets = \"\(s)\"\n"))
        #expect(c.snippetFiles.map(\.path) == ["\(s)/.hidden.toml"])
        #expect(c.plugins.map(\.kind) == ["debugger"])
    }

    @Test func missingOrRelativeSnippetsDirIsAWarning() throws {
        let d = TempDir()
        let a = try ConfigLoader.load(path: d.write("a.toml", "snippets = \"/nonexistent/dir\"\n"))
        #expect(a.warnings == ["Snippets path '/nonexistent/dir' does not exist or is not a directory, ignoring it."])
        let b = try ConfigLoader.load(path: d.write("b.toml", "snippets = \"relative/dir\"\n"))
        #expect(b.warnings == ["Snippets path 'relative/dir' is not absolute, ignoring it."])
        let file = d.write("f.toml", "")
        let c = try ConfigLoader.load(path: d.write("c.toml", "snippets = \"\(file)\"\n"))
        #expect(c.warnings.count == 1)
    }

    @Test func errorsNameFileLineAndKey() throws {
        let d = TempDir()
        let s = d.mkdir("snippets")
        let bad = d.write("snippets/50-bad.toml", "[[debugger]]\n\n[[prometheus]]\nadress = \":9942\"\n")
        let main = d.write("r.toml", "snippets = \"\(s)\"\n")
        let e = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: main) }
        #expect(e?.file == bad)
        #expect(e?.line == 4)
        #expect(e?.keyPath == "prometheus[0].adress")
        #expect(e?.description.contains("unknown key") == true)
    }

    @Test func typeAndRangeErrors() {
        let d = TempDir()
        let cases: [(String, Int, String, String)] = [
            ("statistics-poll-interval = \"60\"\n", 1, "statistics-poll-interval", "expected an integer, found a string"),
            ("statistics-poll-interval = -1\n", 1, "statistics-poll-interval", "expected an integer from 0 to 31536000, found -1"),
            ("snippets = 3\n", 1, "snippets", "expected a string, found an integer"),
            ("\n[[log]]\nlevel = \"loud\"\n", 3, "log[0].level", "unknown level 'loud', expected one of trace, debug, info, warn, error, off"),
            ("[[log]]\nlevel = \"info\"\ncolor = true\n", 3, "log[0].color", "unknown key (known keys here: 'file', 'level')"),
            ("log = 1\n", 1, "log", "expected an array of tables ([[log]]), found an integer"),
            ("bogus = 1\n", 1, "bogus", "unknown key"),
        ]
        for (i, (text, line, key, message)) in cases.enumerated() {
            let path = d.write("c\(i).toml", text)
            let e = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: path) }
            #expect(e?.line == line, "\(text)")
            #expect(e?.keyPath == key, "\(text)")
            #expect(e?.message.hasPrefix(message) == true, "\(text): \(e?.message ?? "")")
        }
    }

    @Test func syntaxErrorAndUnreadableFile() {
        let d = TempDir()
        let path = d.write("s.toml", "[[debugger]\n")
        let e = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: path) }
        #expect(e?.file == path && e?.line == 1)
        let missing = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: d.path + "/nope.toml") }
        #expect(missing?.message.hasPrefix("cannot read") == true)
    }

    @Test func identicalPluginsAreAnError() {
        let d = TempDir()
        let path = d.write("r.toml", "[[prometheus]]\naddress = \":1\"\n[[prometheus]]\naddress = \":1\"\n")
        let e = #expect(throws: ConfigError.self) { try ConfigLoader.load(path: path) }
        #expect(e?.message.contains("given twice") == true)
    }

    @Test func promoterAndAgentxAreDecoded() throws {
        let d = TempDir()
        let c = try ConfigLoader.load(path: d.write("r.toml", "[[promoter]]\n[promoter.resources.r0]\nstart = [\"a.service\"]\n[[agentx]]\n"))
        #expect(c.plugins.map(\.kind) == ["promoter", "agentx"])
        var r0 = PromoterResourceConfig(name: "r0")
        r0.start = ["a.service"]
        #expect(c.plugins.first == .promoter(PromoterConfig(resources: [r0])))
        #expect(c.plugins.last == .agentx(AgentXConfig()))
    }

    @Test func promoterWarningsNameFileAndKeyAndDumpRoundTrips() throws {
        let d = TempDir()
        let path = d.write("r.toml", """
            [[promoter]]
            [promoter.resources."res-1"]
            start = ["fs.mount", "ocf:heartbeat:IPaddr2 ip ip=10.0.0.1 \\"name=with space\\""]
            preferred-nodes = ["a"]
            on-stop-failure = "x"
            [promoter.resources.r2]
            """)
        let c = try ConfigLoader.load(path: path)
        #expect(Set(c.warnings) == [
            "\(path): 'promoter[0].resources.res-1': 'on-stop-failure' is deprecated and ignored!; use 'on-drbd-demote-failure'",
            "\(path): 'promoter[0].resources.r2': Resource 'r2' has an empty start list",
        ])
        var again = try ConfigLoader.load(path: d.write("dump.toml", c.tomlDump()))
        again.path = c.path
        again.warnings = c.warnings
        #expect(again.plugins == c.plugins)
    }

    @Test func dumpRoundTrips() throws {
        let d = TempDir()
        let c = try ConfigLoader.load(path: d.write("r.toml", """
            statistics-poll-interval = 7
            [[log]]
            level = "debug"
            [[debugger]]
            [[prometheus]]
            address = "127.0.0.1:9000"
            enums = true
            [[umh]]
            [[umh.resource]]
            name = "x"
            command = "true"
            new.role = "Primary"
            """))
        var again = try ConfigLoader.load(path: d.write("dump.toml", c.tomlDump()))
        again.path = c.path
        #expect(again == c)
    }
}

@Suite struct LogRoutingTests {
    final class Memory: LogOutput, @unchecked Sendable {
        var entries: [LogEntry] = []
        func write(_ entry: LogEntry) { entries.append(entry) }
    }

    @Test func eachSinkFiltersByItsOwnLevel() {
        let debug = Memory(), warn = Memory()
        let handler = MultiplexLogHandler([
            SinkLogHandler(level: .debug, output: debug), SinkLogHandler(level: .warning, output: warn),
        ])
        var logger = Logger(label: "t", factory: { _ in handler })
        logger.logLevel = .trace
        logger.debug("d")
        logger.info("i")
        logger.warning("w")
        logger.trace("t")
        #expect(debug.entries.map(\.message) == ["d", "i", "w"])
        #expect(warn.entries.map(\.message) == ["w"])
    }

    @Test func journalFieldsCarryPluginAndResource() {
        let e = LogEntry(
            level: .warning, message: "boom", metadata: ["plugin": "umh", "resource": "r0", "rule": "x"], file: "F.swift",
            function: "f()", line: 7)
        let f = e.journalFields
        #expect(f.contains("MESSAGE=boom"))
        #expect(f.contains("PRIORITY=4"))
        #expect(f.contains("SYSLOG_IDENTIFIER=drbd-reactor"))
        #expect(f.contains("REACTOR_PLUGIN=umh"))
        #expect(f.contains("DRBD_RESOURCE=r0"))
        #expect(f.contains("CODE_LINE=7") && f.contains("CODE_FILE=F.swift") && f.contains("CODE_FUNC=f()"))
        #expect(f.contains("REACTOR_RULE=x"))
        #expect(e.plainText == "WARN [umh] boom resource=r0 rule=x\n")
    }

    @Test func levelsDecode() throws {
        for (name, level) in [("trace", Logger.Level.trace), ("DEBUG", .debug), ("Info", .info), ("warn", .warning), ("error", .error)] {
            let r = TableReader(table: ConfigTable([("level", .string(name))]), file: "f", path: "log[0]", locator: LineLocator(text: ""))
            #expect(try LogConfig.decode(r).level == level)
        }
        let off = TableReader(table: ConfigTable([("level", .string("off"))]), file: "f", path: "log[0]", locator: LineLocator(text: ""))
        #expect(try LogConfig.decode(off).level == nil)
    }
}
