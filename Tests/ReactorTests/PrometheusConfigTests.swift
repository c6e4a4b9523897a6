import Foundation
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

@Suite struct PrometheusConfigTests {
    /// Decodes every `[[prometheus]]` table of `text`.
    func decode(_ text: String) throws -> [PrometheusConfig] { try decodeTables(text, "prometheus", PrometheusConfig.decode) }

    func decodeError(_ text: String) -> ConfigError? { configError { _ = try decode(text) } }

    @Test func defaults() throws {
        let c = try decode("[[prometheus]]\n")
        #expect(c == [PrometheusConfig(address: .any(port: 9942), enums: false, id: nil)])
    }

    @Test func allKeys() throws {
        let c = try decode("[[prometheus]]\naddress = \"127.0.0.1:9000\"\nenums = true\nid = \"old\"\n")
        #expect(c == [PrometheusConfig(address: .ipv4(address: [127, 0, 0, 1], port: 9000), enums: true, id: "old")])
    }

    @Test func severalInstances() throws {
        let c = try decode("[[prometheus]]\naddress = \":1\"\n[[prometheus]]\naddress = \"[::1]:2\"\n")
        #expect(c.map(\.address) == [.any(port: 1), .ipv6(address: [UInt8](repeating: 0, count: 15) + [1], port: 2)])
    }

    @Test func unknownKeyNamesLine() {
        let e = decodeError("[[prometheus]]\nenums = true\nadress = \":1\"\n")
        #expect(e?.keyPath == "prometheus[0].adress")
        #expect(e?.line == 3)
        #expect(e?.message.hasPrefix("unknown key") == true)
    }

    @Test(arguments: ["::9999", ":99999", ":", "1.2.3:80", "256.1.1.1:80", "[::1]", "[:::1]:80", "[fe80::1:80", "[1.2.3.4::]:80", "[1:2:3:4:5:6:7:8:9]:80", "[12345::]:80", "host", "bad_name:80", ":-1", "-host:80"])
    func badAddressesNameTheKey(_ address: String) {
        let e = decodeError("[[prometheus]]\n\naddress = \"\(address)\"\n")
        #expect(e?.keyPath == "prometheus[0].address")
        #expect(e?.line == 3)
    }

    @Test func wrongTypes() {
        #expect(decodeError("[[prometheus]]\nenums = \"yes\"\n")?.keyPath == "prometheus[0].enums")
        #expect(decodeError("[[prometheus]]\naddress = 9942\n")?.keyPath == "prometheus[0].address")
    }

    @Test func addressForms() throws {
        #expect(try ListenAddress(parsing: ":9942") == .any(port: 9942))
        #expect(try ListenAddress(parsing: "0.0.0.0:80") == .ipv4(address: [0, 0, 0, 0], port: 80))
        #expect(try ListenAddress(parsing: "[::]:80") == .ipv6(address: [UInt8](repeating: 0, count: 16), port: 80))
        #expect(try ListenAddress(parsing: "[::ffff:10.0.0.1]:80") == .ipv6(address: [UInt8](repeating: 0, count: 10) + [0xff, 0xff, 10, 0, 0, 1], port: 80))
        #expect(try ListenAddress(parsing: "[2001:DB8:0:0:1:0:0:1]:1") == .ipv6(address: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], port: 1))
        #expect(try ListenAddress(parsing: "metrics.example.com:9942") == .host(name: "metrics.example.com", port: 9942))
        #expect(try ListenAddress(parsing: "localhost:0") == .host(name: "localhost", port: 0))
    }

    @Test func addressDescriptions() throws {
        let cases = [
            ":9942": ":9942", "10.1.2.3:80": "10.1.2.3:80", "[::1]:9942": "[::1]:9942", "[::]:1": "[::]:1",
            "[2001:DB8:0:0:1:0:0:1]:1": "[2001:db8::1:0:0:1]:1", "[fe80:0:0:0:0:0:0:0]:2": "[fe80::]:2",
            "[1:2:3:4:5:6:7:8]:3": "[1:2:3:4:5:6:7:8]:3", "[1:0:3:4:5:6:7:8]:3": "[1:0:3:4:5:6:7:8]:3", "node-1:5": "node-1:5",
        ]
        for (text, expected) in cases {
            #expect(try ListenAddress(parsing: text).description == expected, "\(text)")
        }
    }

    @Test(arguments: [
        PrometheusConfig(), PrometheusConfig(address: .ipv6(address: [UInt8](repeating: 0, count: 15) + [1], port: 9000), enums: true),
        PrometheusConfig(address: .host(name: "node1", port: 80), enums: false, id: "legacy \"id\""),
        PrometheusConfig(address: .ipv4(address: [192, 168, 0, 1], port: 65535), enums: true),
    ])
    func snippetRoundTrips(_ config: PrometheusConfig) throws {
        let snippet = config.tomlSnippet()
        #expect(snippet.hasPrefix("[[prometheus]]\naddress = "))
        #expect(try decode(snippet) == [config])
    }

    /// The shipped example snippet is valid.
    @Test func exampleSnippetDecodes() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../example/prometheus.toml")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(try decode(text) == [PrometheusConfig(address: .any(port: 9942), enums: true)])
    }

    @Test func identityIncludesDeprecatedID() {
        #expect(PrometheusConfig(id: "a") != PrometheusConfig(id: "b"))
        #expect(Set([PrometheusConfig(), PrometheusConfig()]).count == 1)
    }
}
