import Foundation
import Testing

/// The layers of Package.swift, checked on the sources themselves: every `import` of a project module
/// points down. SwiftPM lets a target import a module it does not declare when that module happens to
/// be built already, so the compiler alone does not hold the line; this test does.
@Suite struct LayeringTests {
    /// Each project module and the project modules it may import. Lower layers first; a plugin sees
    /// only the core (and the prometheus plugin the system layer, for gzip and /proc statistics).
    static let allowed: [String: Set<String>] = {
        let core: Set<String> = ["ReactorCore"]
        let system = core.union(["ReactorSystem"])
        let loop = system.union(["ReactorLoop"])
        let log = loop.union(["ReactorLog"])
        let plugins: Set<String> = ["ReactorPromoter", "ReactorUMH", "ReactorDebugger", "ReactorAgentX", "ReactorPrometheus"]
        let daemon = log.union(plugins).union(["ReactorDaemon"])
        return [
            "ReactorCore": [],
            "ReactorSystem": core.union(["CEpoll", "CZlib", "CSystemd"]),
            "ReactorLoop": system,
            "ReactorLog": loop,
            "ReactorPromoter": core,
            "ReactorUMH": core,
            "ReactorDebugger": core,
            "ReactorAgentX": core,
            "ReactorPrometheus": system,
            "ReactorDaemon": daemon,
            "ReactorCtl": daemon.union(["ReactorCtl"]),
            "OCFWrapper": loop,
            "DRBDSim": [],
            "HALab": daemon.union(["DRBDSim"]),  // the real daemon on simulated nodes
            "FuzzHarness": daemon,
            "FuzzTargets": ["FuzzHarness"],
            "drbd-reactor": daemon,
            "drbd-reactorctl": daemon.union(["ReactorCtl"]),
            "ocf-rs-wrapper": log.union(["OCFWrapper"]),
            "drbd-sim": loop.union(["DRBDSim"]),
            "reactor-parser-bench": system.union(["ReactorPrometheus"]),
        ]
    }()

    /// The modules of this package (a folder under Sources/ each); imports of anything else (Glibc,
    /// Logging, TOMLKit, ...) are not a layering question.
    static let projectModules: Set<String> = Set(allowed.keys).union(["CEpoll", "CZlib", "CSystemd"])

    static let sources: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// `(module, file, imported module)` for every import line of every Swift file under Sources/.
    static func imports(under root: URL = sources) throws -> [(module: String, file: String, imported: String)] {
        var found: [(String, String, String)] = []
        let fm = FileManager.default
        for module in try fm.contentsOfDirectory(atPath: root.path).sorted() {
            let dir = root.appendingPathComponent(module)
            guard let walker = fm.enumerator(atPath: dir.path) else { continue }
            for case let rel as String in walker where rel.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(rel), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    guard let i = words.firstIndex(of: "import"), words[..<i].allSatisfy({ $0.hasPrefix("@") }),
                        i + 1 < words.count
                    else { continue }
                    found.append((module, "\(module)/\(rel)", String(words[i + 1])))
                }
            }
        }
        return found
    }

    @Test func everySourceFolderIsAKnownLayer() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path)
        let unknown = folders.filter { Self.allowed[$0] == nil && !["CEpoll", "CZlib", "CSystemd"].contains($0) }
        #expect(unknown.isEmpty, "Sources/ folders without a layer in LayeringTests.allowed: \(unknown)")
    }

    @Test func importsPointDown() throws {
        let all = try Self.imports()
        #expect(all.count > 100, "found only \(all.count) import lines: is the Sources path right?")
        let wrong = all.filter { Self.projectModules.contains($0.imported) && $0.imported != $0.module }
            .filter { !(Self.allowed[$0.module]?.contains($0.imported) ?? false) }
        #expect(wrong.isEmpty, "imports against the layers: \(wrong.map { "\($0.file) imports \($0.imported)" })")
    }

    /// Tests included: they check the C mirrors through ReactorSystem's own API.
    @Test func onlyTheSystemLayerImportsC() throws {
        let tests = Self.sources.deletingLastPathComponent().appendingPathComponent("Tests")
        let c = try (Self.imports() + Self.imports(under: tests)).filter { ["CEpoll", "CZlib", "CSystemd"].contains($0.imported) }
        #expect(!c.isEmpty)
        #expect(c.allSatisfy { $0.module == "ReactorSystem" }, "\(c.filter { $0.module != "ReactorSystem" }.map(\.file))")
    }

    /// The rule table itself says a plugin never sees another plugin.
    @Test func noPluginMayImportAnother() {
        let plugins = ["ReactorPromoter", "ReactorUMH", "ReactorDebugger", "ReactorAgentX", "ReactorPrometheus"]
        for p in plugins {
            #expect(Self.allowed[p]!.isDisjoint(with: plugins), "\(p)")
        }
    }

    /// The daemon and the HA lab reach files only through the loop (`loop.readFile`, `loop.writeFile`,
    /// ...), so the virtual backend's file system is the whole daemon's: no direct `FileSystem.` call
    /// but the pure ones named here (path arithmetic, the stat result's type). drbd-reactorctl (a CLI
    /// without a loop) and the executable's first config read use `HostFiles` instead.
    @Test func theDaemonReachesFilesOnlyThroughTheLoop() throws {
        let pure = ["FileSystem.parentDirectory(", "FileSystem.FileInfo"]
        let fm = FileManager.default
        var offenders: [String] = []
        for module in ["ReactorDaemon", "HALab"] {
            let dir = Self.sources.appendingPathComponent(module)
            for file in try fm.contentsOfDirectory(atPath: dir.path).sorted() where file.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    var rest = code[...]
                    while let r = rest.range(of: "FileSystem.") {
                        let call = rest[r.lowerBound...]
                        let partOfAName = r.lowerBound > code.startIndex && code[code.index(before: r.lowerBound)].isLetter
                        if !partOfAName && !pure.contains(where: { call.hasPrefix($0) }) { offenders.append("\(module)/\(file):\(n + 1): \(line)") }
                        rest = rest[r.upperBound...]
                    }
                }
            }
        }
        #expect(offenders.isEmpty, "direct file system calls: \(offenders)")
    }
}
