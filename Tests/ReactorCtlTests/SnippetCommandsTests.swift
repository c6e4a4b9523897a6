import Testing
@testable import ReactorCtl
import ReactorCtl
import ReactorCore
import ReactorSystem
import ReactorPromoter

@Suite struct SnippetCommandsTests {
    let promoter = "[[promoter]]\n[promoter.resources.r0]\nstart = [\"app.service\"]\n"

    func setUp(_ files: [String: String]) throws -> (String, RecordingRunner, Transcript, CtlContext) {
        let dir = try temporaryDirectory()
        for (name, text) in files { try FileSystem.writeAtomically(dir + "/" + name, text) }
        let runner = RecordingRunner()
        runner.answers["systemctl is-active --quiet drbd-reactor-reload.path"] = ("", 3)
        let t = Transcript()
        return (dir, runner, t, makeContext(.onDisk(dir), runner: runner, transcript: t))
    }

    @Test func disableNowReloadsBeforeStoppingTheTargets() throws {
        let (dir, runner, t, ctx) = try setUp(["r.toml": promoter, "m.toml": "[[prometheus]]\n"])
        #expect(try ctx.disable(["r"], now: true) == [dir + "/r.toml"])
        #expect(FileSystem.isRegular(dir + "/r.toml.disabled") && !FileSystem.isRegular(dir + "/r.toml"))
        #expect(runner.calls == ["systemctl is-active --quiet drbd-reactor-reload.path", "systemctl reload drbd-reactor.service", "systemctl stop drbd-services@r0.target"])
        #expect(t.err == "Disabling '\(dir)/r.toml'...\n")
    }

    @Test func enableRefusesToOverwriteAndSkipsTheReloadWhenAutoloaded() throws {
        let (dir, runner, t, ctx) = try setUp(["a.toml.disabled": promoter, "b.toml.disabled": promoter, "b.toml": promoter])
        runner.answers["systemctl is-active --quiet drbd-reactor-reload.path"] = ("", 0)
        #expect(try ctx.enable([]) == [dir + "/a.toml"])
        #expect(t.out.contains("WARN: '\(dir)/b.toml' already exists, doing nothing"))
        #expect(runner.calls == ["systemctl is-active --quiet drbd-reactor-reload.path"])
    }

    @Test func rmAsksUntilItGetsAnAnswer() throws {
        let (dir, runner, t, ctx) = try setUp(["r.toml": promoter, "s.toml": promoter])
        var answers = ["maybe", "Y", ""]
        let removed = try ctx.remove(["r", "s"], disabled: false, force: false, ask: { answers.isEmpty ? nil : answers.removeFirst() })
        #expect(removed == [dir + "/r.toml"])
        #expect(FileSystem.isRegular(dir + "/s.toml"))
        #expect(t.out.contains("Unknown answer 'maybe', use 'y' or 'n'"))
        #expect(runner.calls.last == "systemctl reload drbd-reactor.service")
    }

    @Test func restartWithFilesDisablesAndEnablesThem() throws {
        let (dir, runner, _, ctx) = try setUp(["r.toml": promoter])
        try ctx.restart(["r"], withTargets: false)
        #expect(FileSystem.isRegular(dir + "/r.toml"))
        #expect(runner.calls.filter { $0 == "systemctl reload drbd-reactor.service" }.count == 2)
        try ctx.restart([], withTargets: false)
        #expect(runner.calls.last == "systemctl restart drbd-reactor.service")
    }

    @Test func aFailingReloadOrStopFailsTheCommandAfterDoingTheRest() throws {
        let (dir, runner, _, ctx) = try setUp(["r.toml": promoter, "s.toml": promoter.replacingOccurrences(of: "r0", with: "s0")])
        runner.answers["systemctl stop drbd-services@r0.target"] = ("", 1)
        #expect(throws: CtlError.command(["systemctl", "stop", "drbd-services@r0.target"], "failed (exit status 1)")) {
            try ctx.disable([], now: true)
        }
        // the other target was still stopped, both files are disabled
        #expect(runner.calls.last == "systemctl stop drbd-services@s0.target")
        #expect(FileSystem.isRegular(dir + "/r.toml.disabled") && FileSystem.isRegular(dir + "/s.toml.disabled"))
        runner.answers["systemctl reload drbd-reactor.service"] = ("", 1)
        #expect(throws: CtlError.command(["systemctl", "reload", "drbd-reactor.service"], "failed (exit status 1)")) { try ctx.enable(["r"]) }
        #expect(FileSystem.isRegular(dir + "/r.toml"))
        runner.answers["systemctl restart drbd-reactor.service"] = ("", 5)
        #expect(throws: CtlError.self) { try ctx.restart([], withTargets: false) }
    }

    @Test func aFailedRestartStillEnablesTheSnippetAgain() throws {
        let (dir, runner, _, ctx) = try setUp(["r.toml": promoter])
        runner.answers["systemctl stop drbd-services@r0.target"] = ("", 1)
        #expect(throws: CtlError.command(["systemctl", "stop", "drbd-services@r0.target"], "failed (exit status 1)")) {
            try ctx.restart(["r"], withTargets: true)
        }
        #expect(FileSystem.isRegular(dir + "/r.toml") && !FileSystem.isRegular(dir + "/r.toml.disabled"))
    }

    @Test func aFileThatCannotBeRemovedFailsTheCommand() throws {
        let (dir, _, t, ctx) = try setUp(["r.toml": promoter])
        let ctx2 = CtlContext(
            snippets: SnippetDirectory(path: dir, isFile: { _ in true }, names: { ["r.toml", "gone.toml"] }), console: ctx.console,
            runner: ctx.runner, nodeName: "alpha", systemdDirectory: "/run", environment: [:])
        #expect(throws: CtlError.incomplete(failed: 1, of: 2)) { try ctx2.remove([], disabled: false, force: true, ask: { nil }) }
        #expect(!FileSystem.isRegular(dir + "/r.toml"))
        #expect(t.err.contains("Error: '\(dir)/gone.toml'"))
    }

    @Test func mainFileMustNameTheSnippets() throws {
        let (dir, _, _, _) = try setUp(["main.toml": "statistics-poll-interval = 5\n", "ok.toml": "snippets = \"/etc/x.d\"\n"])
        #expect(throws: CtlError.snippetsPath(config: dir + "/main.toml", reason: "no 'snippets' directory set")) {
            try CtlContext.snippetsPath(config: dir + "/main.toml")
        }
        #expect(try CtlContext.snippetsPath(config: dir + "/ok.toml") == "/etc/x.d")
    }
}
