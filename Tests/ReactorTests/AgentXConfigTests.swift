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

@Suite struct AgentXConfigTests {
    func decode(_ text: String) throws -> [AgentXConfig] { try decodeTables(text, "agentx", file: "a.toml", AgentXConfig.decode) }

    func decodeError(_ text: String) -> ConfigError? { configError { _ = try decode(text) } }

    @Test func defaultsAreThoseOf1x() throws {
        #expect(try decode("[[agentx]]\n") == [AgentXConfig(address: .tcp(.host(name: "localhost", port: 705)), cacheMax: 60, agentTimeout: 60, peerStates: true)])
    }

    @Test func everyKey() throws {
        let c = try decode("[[agentx]]\naddress = \"127.0.0.1:1705\"\ncache-max = 5\nagent-timeout = 255\npeer-states = false\n")
        #expect(c == [AgentXConfig(address: .tcp(.ipv4(address: [127, 0, 0, 1], port: 1705)), cacheMax: 5, agentTimeout: 255, peerStates: false)])
    }

    @Test func addressForms() throws {
        #expect(try AgentXAddress(parsing: "tcp:localhost:705") == .tcp(.host(name: "localhost", port: 705)))
        #expect(try AgentXAddress(parsing: "[::1]:705") == .tcp(.ipv6(address: [UInt8](repeating: 0, count: 15) + [1], port: 705)))
        #expect(try AgentXAddress(parsing: "unix:/var/agentx/master") == .unix("/var/agentx/master"))
        #expect(try AgentXAddress(parsing: "/var/agentx/master") == .unix("/var/agentx/master"))
        for text in ["unix:/x", "tcp:10.0.0.1:705", "node-1:705"] {
            let a = try AgentXAddress(parsing: text)
            #expect(try AgentXAddress(parsing: a.description) == a)
        }
    }

    @Test func agentTimeoutOver255IsAnErrorWithLine() {
        let e = decodeError("[[agentx]]\naddress = \"localhost:705\"\nagent-timeout = 256\n")
        #expect(e?.keyPath == "agentx[0].agent-timeout")
        #expect(e?.line == 3)
        #expect(e?.description == "a.toml:3: 'agentx[0].agent-timeout': expected an integer from 0 to 255, found 256")
    }

    @Test(arguments: [":705", "localhost", "unix:", "unix:relative", "[::1]", "bad_host:705", "host:70000"])
    func badAddressesNameTheKey(_ address: String) {
        let e = decodeError("[[agentx]]\n\naddress = \"\(address)\"\n")
        #expect(e?.keyPath == "agentx[0].address")
        #expect(e?.line == 3)
    }

    @Test func unknownKeysAndWrongTypes() {
        let e = decodeError("[[agentx]]\ncache-max = 1\npeer_states = true\n")
        #expect(e?.keyPath == "agentx[0].peer_states")
        #expect(e?.message.hasPrefix("unknown key") == true)
        #expect(decodeError("[[agentx]]\ncache-max = -1\n")?.keyPath == "agentx[0].cache-max")
        #expect(decodeError("[[agentx]]\npeer-states = 1\n")?.keyPath == "agentx[0].peer-states")
        #expect(decodeError("[[agentx]]\naddress = 705\n")?.keyPath == "agentx[0].address")
    }

    @Test func dumpRoundTripsThroughTheLoader() throws {
        let d = TempDir()
        let c = try ConfigLoader.load(path: d.write("r.toml", "[[agentx]]\naddress = \"unix:/run/agentx\"\ncache-max = 0\n[[agentx]]\n"))
        #expect(c.plugins.count == 2)
        var again = try ConfigLoader.load(path: d.write("dump.toml", c.tomlDump()))
        again.path = c.path
        #expect(again == c)
    }
}

@Suite struct AgentXExampleTests {
    @Test func exampleDecodesToTheDefaults() throws {
        let path = String(#filePath.dropLast("Tests/ReactorTests/AgentXConfigTests.swift".count)) + "example/agentx.toml"
        let text = String(decoding: try FileSystem.readFile(path), as: UTF8.self)
        #expect(try decodeTables(text, "agentx", file: path, AgentXConfig.decode) == [AgentXConfig()])
    }
}
