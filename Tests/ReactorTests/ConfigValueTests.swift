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

@Suite struct LineLocatorTests {
    @Test func findsArrayTablesAndDottedKeys() {
        let text = """
            snippets = "/etc/drbd-reactor.d"
            [[umh]]
            [[umh.resource]]
            command = "true"
            [[umh.resource]]
            old.role = "Primary"
            [[umh]]
            [[umh.device]]
            volume = 1
            """
        let l = LineLocator(text: text)
        #expect(l.line(of: "snippets") == 1)
        #expect(l.line(of: "umh[0].resource[0].command") == 4)
        #expect(l.line(of: "umh[0].resource[1].old.role") == 6)
        #expect(l.line(of: "umh[0].resource[1].old.role.value") == 6)
        #expect(l.line(of: "umh[1].device[0].volume") == 9)
        #expect(l.line(of: "umh[1]") == 7)
        #expect(l.line(of: "umh[1].device") == 8)
        #expect(l.line(of: "umh[0].resource") == 3)
    }
}

@Suite struct TableReaderTests {
    func reader(_ text: String) throws -> TableReader {
        TableReader(table: try TOMLLoader.parse(text, file: "t.toml"), file: "t.toml", path: "", locator: LineLocator(text: text))
    }

    @Test func rejectsUnknownKeysWithLine() throws {
        var r = try reader("a = 1\nbogus = true\n")
        _ = try r.integer("a", default: 0, in: 0...10)
        #expect(throws: ConfigError(file: "t.toml", line: 2, keyPath: "bogus", message: "unknown key (known keys here: 'a')")) {
            try r.finish()
        }
    }

    @Test func typeErrorsNameTheKey() throws {
        var r = try reader("a = \"x\"\n")
        let e = #expect(throws: ConfigError.self) { try r.integer("a", default: 0, in: 0...10) }
        #expect(e?.description == "t.toml:1: 'a': expected an integer, found a string")
    }

    @Test func syntaxErrorNamesFileAndLine() {
        let e = #expect(throws: ConfigError.self) { try TOMLLoader.parse("a = 1\nb = = 2\n", file: "x.toml") }
        #expect(e?.file == "x.toml")
        #expect(e?.line == 2)
    }

    @Test func tomlQuoting() {
        #expect(TOMLWriter.quote("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"")
        #expect(TOMLWriter.key("may-promote") == "may-promote")
        #expect(TOMLWriter.key("a b") == "\"a b\"")
    }
}
