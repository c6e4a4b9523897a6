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

/// The project's own `drbdsetup events2` corpus in `Tests/Fixtures/events2/` (see its README), shared by
/// the parser, World, debugger and stand-in tests.
enum DRBDFixtures {
    static var directory: String {
        // #filePath is <root>/Tests/ReactorTests/Events2Corpus.swift
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/events2").path
    }

    /// Every `*.events2` file name of `directory`, sorted.
    static func names(in directory: String = directory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".events2") }.sorted()
    }

    /// The lines of one file as the daemon sees them: through a `LineBuffer` (CRLF stripped, over-long
    /// lines dropped), empty lines left out.
    static func rawLines(_ name: String, in directory: String = directory) throws -> [[UInt8]] {
        var buffer = LineBuffer()
        buffer.append(try FileSystem.readFile(directory + "/" + name))
        var lines: [[UInt8]] = []
        buffer.consumeLines { if !$0.isEmpty { lines.append(Array($0)) } }
        buffer.consumeRemainder { if !$0.isEmpty { lines.append(Array($0)) } }
        return lines
    }

    /// The lines of a file that is all text.
    static func lines(_ name: String) throws -> [String] {
        try rawLines(name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The expected World of `name`, next to it.
    static func worldPath(_ name: String) -> String {
        directory + "/" + name.replacingOccurrences(of: ".events2", with: ".world")
    }
}

extension WorldDriver {
    /// Applies a corpus file as the daemon does: lines that do not parse are ignored (and counted).
    mutating func feedLeniently(_ lines: [[UInt8]]) -> Int {
        var ignored = 0
        for line in lines {
            guard let record = try? Events2Parser.parse(line) else {
                ignored += 1
                continue
            }
            updates += world.apply(record)
        }
        return ignored
    }
}

/// A canonical text of a World: one `path = value` line per stored field of each resource in name order
/// (children are in `SmallMap`s, ordered by key, so the text does not depend on hashing), then the
/// counters. Reflection, so a field added to the model shows up without touching this.
enum WorldDump {
    static func text(_ world: World, ignoredLines: Int) -> String {
        var out = ""
        for name in world.resources.keys.sorted() {
            if let r = world.resources[name] { fields(r, path: name, into: &out) }
        }
        out += "resources: \(world.resources.count)\n"
        out += "orphan records: \(world.orphanRecords)\n"
        out += "ignored lines: \(ignoredLines)\n"
        return out
    }

    private static func fields(_ value: Any, path: String, into out: inout String) {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct?, .class?, .tuple?, .collection?:
            if mirror.children.isEmpty { out += "\(path) = (empty)\n" }
            for (i, child) in mirror.children.enumerated() {
                let label = child.label.map { $0.hasPrefix(".") ? "[\(i)]" : "." + $0 } ?? "[\(i)]"
                fields(child.value, path: path + label, into: &out)
            }
        case .optional?:
            if let some = mirror.children.first { fields(some.value, path: path, into: &out) } else { out += "\(path) = nil\n" }
        default:
            out += "\(path) = \(value is String ? String(reflecting: value) : String(describing: value))\n"
        }
    }
}

/// Each corpus file leaves exactly the World written next to it.
@Suite struct Events2CorpusTests {
    @Test func theCorpusIsThere() throws {
        let names = try DRBDFixtures.names()
        #expect(names.count >= 7)
        for name in names {
            #expect(FileManager.default.fileExists(atPath: DRBDFixtures.worldPath(name)), "\(name) has no .world")
        }
    }

    @Test(arguments: try DRBDFixtures.names())
    func leavesTheWorldWrittenNextToIt(_ name: String) throws {
        var d = WorldDriver()
        let ignored = d.feedLeniently(try DRBDFixtures.rawLines(name))
        let text = WorldDump.text(d.world, ignoredLines: ignored)
        let path = DRBDFixtures.worldPath(name)
        if ProcessInfo.processInfo.environment["UPDATE_EVENTS2_CORPUS"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == expected, "\(name): the World differs from \(path)")
    }

    /// Every verb and object type occurs, and apart from the oddities file no line has an unknown key.
    @Test func coversEveryVerbAndObject() throws {
        var verbs: Set<Events2Verb> = []
        var objects: Set<String> = []
        for name in try DRBDFixtures.names() where name != "oddities.plain.events2" {
            for line in try DRBDFixtures.lines(name) where line != "exists -" {
                let r = try parseEvents2(line)
                #expect(r.unknownKeys.isEmpty, "\(name): \(line)")
                verbs.insert(r.verb)
                objects.insert(String(line.split(separator: " ")[1]))
            }
        }
        #expect(verbs == [.exists, .create, .change, .destroy, .rename, .call, .response])
        #expect(objects == ["resource", "device", "connection", "peer-device", "path", "helper"])
    }

    /// An extra check against outputs recorded elsewhere, when a directory of them is named.
    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["EVENTS2_CONFORMANCE_DIR"] != nil,
            "set EVENTS2_CONFORMANCE_DIR to a directory of recorded events2 outputs"))
    func recordedOutputsParse() throws {
        let dir = try #require(ProcessInfo.processInfo.environment["EVENTS2_CONFORMANCE_DIR"])
        let names = try DRBDFixtures.names(in: dir)
        #expect(!names.isEmpty)
        for name in names {
            for line in try DRBDFixtures.rawLines(name, in: dir) where line != Array("exists -".utf8) {
                #expect(throws: Never.self, "\(name): \(String(decoding: line, as: UTF8.self))") {
                    try Events2Parser.parse(line)
                }
            }
        }
    }
}
