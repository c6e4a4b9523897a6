import Testing
@testable import ReactorCtl
import ReactorCtl
import ReactorCore
import ReactorSystem
import ReactorPromoter

@Suite struct EditSessionTests {
    let valid = "[[promoter]]\n[promoter.resources.r0]\nstart = [\"app.service\"]\n"

    @Test func headerAndStrip() {
        let h = EditSession.header(error: "line one\nline two")
        #expect(h.hasSuffix("#| Error: line one\n#| line two\n"))
        #expect(EditSession.header(error: nil).hasSuffix("#| Happy editing:\n"))
        #expect(EditSession.strip(h + valid) == valid)
    }

    @Test func verdicts() {
        func v(_ edited: String, previous: String = "", fromTemplate: Bool = false, kind: PluginKind = .promoter, force: Bool = false) -> EditSession.Verdict {
            EditSession.verdict(edited, previous: previous, fromTemplate: fromTemplate, path: "/d/x.toml", kind: kind, force: force)
        }
        #expect(v(" \n\n") == .empty)
        #expect(v(valid + "\n", previous: valid) == .unchanged)
        #expect(v(valid, previous: valid, fromTemplate: true) == .save(warnings: []))
        #expect(v(valid, kind: .umh) == .invalid("Expected exactly one umh plugin"))
        #expect(v(valid + "[[debugger]]\n") == .invalid("Expected exactly 1 plugin configuration"))
        #expect(v("[[promoter]]\n[promoter.resources.r0]\nstrat = [\"a\"]\n") == .invalid("/d/x.toml:3: 'promoter[0].resources.r0.strt': unknown key (known keys here: 'adjust-resource-on-start', 'dependencies-as', 'fencing-promote-delay', 'on-disk-detach', 'on-drbd-demote-failure', 'on-quorum-loss', 'on-stop-failure', 'preferred-nodes', 'preferred-nodes-policy', 'runner', 'secondary-force', 'sleep-before-promote-factor', 'start', 'stop', 'stop-services-on-exit', 'target-as')".replacingStrt()))
        let mount = "[[promoter]]\n[promoter.resources.r0]\nstart = [\"a.service\", \"data.mount\"]\n"
        #expect(v(mount) == .invalid("Mount unit should not be the topmost unit, consider using an OCF file system RA"))
        #expect(v(mount, force: true) == .save(warnings: ["Mount unit should not be the topmost unit, consider using an OCF file system RA"]))
        #expect(v("[[promoter]]\n[promoter.resources.r0]\nstart = [\"/mnt/data\"]\n") == .invalid("/d/x.toml: 'r0': Service name '/mnt/data' contains a '/'; If this is a mount unit please use \"systemd-escape --path --suffix=mount '/mnt/data'\""))
    }

    @Test func templatesAreTheirOwnType() throws {
        for kind in [PluginKind.prometheus, .debugger, .umh, .agentx] {
            #expect(try EditSession.validate(kind.template, path: "/d/t.toml", kind: kind, force: false) == [], "\(kind)")
        }
        // The promoter template has placeholders to fill in.
        #expect(throws: (any Error).self) { try EditSession.validate(PluginKind.promoter.template, path: "/d/t.toml", kind: .promoter, force: false) }
    }

    @Test func editLoopKeepsTheOldFileOnAnInvalidEdit() throws {
        let dir = try temporaryDirectory() + "/drbd-reactor.d"
        try FileSystem.createDirectories(dir)
        try FileSystem.writeAtomically(dir + "/r.toml", valid)
        let runner = EditorRunner(rounds: ["[[promoter]]\nbogus = 1\n"])  // then saved unchanged: aborted
        let t = Transcript()
        let saved = try makeContext(.onDisk(dir), runner: runner, transcript: t).edit(["r"], kind: .promoter, force: false, disabled: false)
        #expect(saved.isEmpty)
        #expect(String(decoding: try FileSystem.readFile(dir + "/r.toml"), as: UTF8.self) == valid)
        #expect(t.err.contains("Error: \(dir)/r.toml:2: 'promoter[0].bogus': unknown key"))
        #expect(runner.seen.count == 2)
        #expect(runner.seen[1].contains("#| Error: \(dir)/r.toml:2:"))
        #expect(t.out.contains("WARN: Edit aborted, no new changes have been made"))
        #expect(try FileSystem.listDirectory(dir) == ["r.toml"])
    }

    @Test func editLoopSavesANewSnippetAndReloads() throws {
        let dir = try temporaryDirectory() + "/drbd-reactor.d"
        try FileSystem.createDirectories(dir)
        let runner = EditorRunner(rounds: ["[[debugger]]\n"])
        runner.answers["systemctl is-active --quiet drbd-reactor-reload.path"] = ("", 3)
        let saved = try makeContext(.onDisk(dir), runner: runner, transcript: Transcript()).edit(["dbg"], kind: .debugger, force: false, disabled: false)
        #expect(saved == [dir + "/dbg.toml"])
        #expect(String(decoding: try FileSystem.readFile(dir + "/dbg.toml"), as: UTF8.self) == "[[debugger]]\n")
        #expect(runner.calls.last == "systemctl reload drbd-reactor.service")
    }
}

/// A runner whose editor (`sh -c ...`) writes the next of `rounds` into the file (keeping it unchanged
/// once they are used up) and records what it was shown.
final class EditorRunner: CommandRunner {
    var rounds: [String]
    var seen: [String] = []
    let inner = RecordingRunner()
    var calls: [String] { inner.calls }
    var answers: [String: (String, Int32)] {
        get { inner.answers }
        set { inner.answers = newValue }
    }

    init(rounds: [String]) { self.rounds = rounds }

    func run(_ argv: [String], stdin: Blocking.Stream, stdout: Blocking.Stream, stderr: Blocking.Stream) throws(Errno) -> Blocking.Outcome {
        guard argv.first == "sh", let file = argv.last else { return try inner.run(argv, stdin: stdin, stdout: stdout, stderr: stderr) }
        seen.append(String(decoding: try FileSystem.readFile(file), as: UTF8.self))
        if !rounds.isEmpty { try Blocking.overwrite(file, rounds.removeFirst()) }
        return Blocking.Outcome(exit: .exited(0))
    }
}

extension String {
    /// The unknown-key test writes `strat`; the message names it.
    func replacingStrt() -> String { replacing("strt", with: "strat") }
}
