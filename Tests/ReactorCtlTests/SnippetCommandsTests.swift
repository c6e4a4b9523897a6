import Reactor
import Testing
@testable import ReactorCtl

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
        #expect(ctx.disable(["r"], now: true) == [dir + "/r.toml"])
        #expect(FileSystem.isRegular(dir + "/r.toml.disabled") && !FileSystem.isRegular(dir + "/r.toml"))
        #expect(runner.calls == ["systemctl is-active --quiet drbd-reactor-reload.path", "systemctl reload drbd-reactor.service", "systemctl stop drbd-services@r0.target"])
        #expect(t.err == "Disabling '\(dir)/r.toml'...\n")
    }

    @Test func enableRefusesToOverwriteAndSkipsTheReloadWhenAutoloaded() throws {
        let (dir, runner, t, ctx) = try setUp(["a.toml.disabled": promoter, "b.toml.disabled": promoter, "b.toml": promoter])
        runner.answers["systemctl is-active --quiet drbd-reactor-reload.path"] = ("", 0)
        #expect(ctx.enable([]) == [dir + "/a.toml"])
        #expect(t.out.contains("WARN: '\(dir)/b.toml' already exists, doing nothing"))
        #expect(runner.calls == ["systemctl is-active --quiet drbd-reactor-reload.path"])
    }

    @Test func rmAsksUntilItGetsAnAnswer() throws {
        let (dir, runner, t, ctx) = try setUp(["r.toml": promoter, "s.toml": promoter])
        var answers = ["maybe", "Y", ""]
        let removed = ctx.remove(["r", "s"], disabled: false, force: false, ask: { answers.isEmpty ? nil : answers.removeFirst() })
        #expect(removed == [dir + "/r.toml"])
        #expect(FileSystem.isRegular(dir + "/s.toml"))
        #expect(t.out.contains("Unknown answer 'maybe', use 'y' or 'n'"))
        #expect(runner.calls.last == "systemctl reload drbd-reactor.service")
    }

    @Test func restartWithFilesDisablesAndEnablesThem() throws {
        let (dir, runner, _, ctx) = try setUp(["r.toml": promoter])
        ctx.restart(["r"], withTargets: false)
        #expect(FileSystem.isRegular(dir + "/r.toml"))
        #expect(runner.calls.filter { $0 == "systemctl reload drbd-reactor.service" }.count == 2)
        ctx.restart([], withTargets: false)
        #expect(runner.calls.last == "systemctl restart drbd-reactor.service")
    }

    @Test func mainFileMustNameTheSnippets() throws {
        let (dir, _, _, _) = try setUp(["main.toml": "statistics-poll-interval = 5\n", "ok.toml": "snippets = \"/etc/x.d\"\n"])
        #expect(throws: CtlError.snippetsPath(config: dir + "/main.toml", reason: "no 'snippets' directory set")) {
            try CtlContext.snippetsPath(config: dir + "/main.toml")
        }
        #expect(try CtlContext.snippetsPath(config: dir + "/ok.toml") == "/etc/x.d")
    }
}
