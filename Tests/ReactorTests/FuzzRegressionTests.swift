import FuzzHarness
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

/// The fuzz inputs kept in the repository: the seed corpus and every input that once crashed a target
/// (`Tests/Fuzz/regressions/<target>/`), replayed through the same handlers `make fuzz` runs. A trap
/// fails the whole test run, which is the point.
@Suite struct FuzzRegressionTests {
    static let fuzzDirectory = String(#filePath.dropLast("ReactorTests/FuzzRegressionTests.swift".count)) + "Fuzz"

    /// The files of `Tests/Fuzz/<kind>/<target>/`, as (target, name, bytes).
    static func inputs(_ kind: String) throws -> [(target: String, name: String, bytes: [UInt8])] {
        var out: [(String, String, [UInt8])] = []
        for target in FuzzHarness.targets.keys.sorted() {
            let dir = "\(fuzzDirectory)/\(kind)/\(target)"
            guard let names = try? FileSystem.listDirectory(dir) else { continue }
            for name in names.sorted() { out.append((target, name, try FileSystem.readFile("\(dir)/\(name)"))) }
        }
        return out
    }

    @Test func everyCorpusAndCrashInputRunsThroughItsTarget() throws {
        let all = try Self.inputs("corpus") + Self.inputs("regressions")
        #expect(Set(all.map(\.target)) == Set(FuzzHarness.targets.keys), "a seed for every target")
        for input in all {
            let handler = try #require(FuzzHarness.targets[input.target])
            handler(input.bytes)
        }
    }

    /// Each TOML crash input is now an ordinary syntax error with a line, not an abort in the TOML library.
    @Test func tomlCrashInputsAreSyntaxErrors() throws {
        let crashes = try Self.inputs("regressions").filter { $0.target == "config" || $0.target == "plugins" }
        #expect(crashes.count >= 6)
        for input in crashes {
            let error = configError { _ = try TOMLLoader.parse(String(decoding: input.bytes, as: UTF8.self), file: input.name) }
            #expect(error?.message.hasPrefix("TOML syntax error") == true, "\(input.name): \(String(describing: error))")
            #expect(error?.line != nil, "\(input.name)")
        }
    }

    @Test(arguments: [
        ("[[[umh]]]\n", 1, "a table header must start with a key"),
        ("a = 1\n[ =x]\n", 2, "a table header must start with a key"),
        ("\u{FEFF} [ =2\n", 1, "a table header must start with a key"),
        ("a = [1,}\n", 1, "'}' does not close '['"),
        ("a = {b = [}\n", 1, "'}' does not close '['"),
        ("[\u{0E}]\n", 1, "control character (TOML allows only tab and line ends)"),
        ("a = \"x\u{0}y\"\n", 1, "control character (TOML allows only tab and line ends)"),
        ("a = 1\rb = 2\n", 1, "a carriage return must be followed by a line feed"),
    ])
    func inputsTheTOMLLibraryAssertsOnAreRejectedFirst(text: String, line: Int, message: String) {
        let error = configError { _ = try TOMLLoader.parse(text, file: "f.toml") }
        #expect(error?.line == line)
        #expect(error?.message.hasSuffix(message) == true, "\(String(describing: error))")
    }

    /// The pre-check knows strings, comments and arrays: brackets there are no headers.
    @Test func validTOMLWithBracketsInValuesStillParses() throws {
        let text = """
            # [=not a header]
            a = [
              [1, 2],   # [ [
              {x = "]}[", y = '[{'},
              [],
            ]
            b = \"\"\"
            [[[ not a header
            \"\"\"
            [ "quoted key" . c ]\r
            d = { e = [ { f = 1 } ] }
            [[ g ]]

            """
        let table = try TOMLLoader.parse(text, file: "f.toml")
        #expect(table["a"] != nil && table["b"] != nil && table["quoted key"] != nil && table["g"] != nil)
    }

    /// The seeds are valid inputs, so the fuzzer starts from deep inside each parser.
    @Test func configSeedsDecode() throws {
        for input in try Self.inputs("corpus") where input.target == "config" {
            let text = String(decoding: input.bytes, as: UTF8.self)
            if input.name == "main.toml" {
                _ = try ConfigLoader.decodeMain(text, file: input.name)
            } else {
                #expect(try !ConfigLoader.decodeSnippet(text, file: input.name).plugins.isEmpty, "\(input.name)")
            }
        }
    }

    @Test func events2AndAgentXSeedsParseWhole() throws {
        for input in try Self.inputs("corpus") where input.target == "events2" {
            for line in input.bytes.split(separator: 0x0A) { _ = try Events2Parser.parse(line) }
        }
        var pdus = 0
        for input in try Self.inputs("corpus") where input.target == "agentx" {
            var rest = input.bytes[...]
            while !rest.isEmpty {
                let (_, length) = try #require(try AgentXCodec.decode(rest))
                rest = rest.dropFirst(length)
                pdus += 1
            }
        }
        #expect(pdus == 4)
    }
}
