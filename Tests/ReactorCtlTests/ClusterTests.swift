import Testing
@testable import ReactorCtl
import ReactorCtl
import ReactorCore
import ReactorSystem
import ReactorPromoter

@Suite struct ClusterContextTests {
    let env = ["HOME": "/home/u"]
    let userFile = "/home/u/.config/drbd-reactorctl/prod.toml"
    let systemFile = "/etc/drbd-reactorctl.d/prod.toml"

    func scope(_ ctx: String, only: [String] = [], files: [String: String], script: String? = nil) throws(CtlError) -> ClusterContext.Scope {
        try ClusterContext.scope(
            ctx, only: only, environment: env, read: { files[$0] },
            script: { program throws(CtlError) in
                guard let script else { throw .command([program], "failed (exit status 1)") }
                return script
            })
    }

    @Test func localContextsAndMissingOnes() throws {
        #expect(try scope("local", files: [userFile: "[nodes.a]\n"]) == .local)
        #expect(try scope("none", files: [:]) == .local)
        #expect(try scope("default", files: [:]) == .local)
        #expect(throws: CtlError.unknownContext(name: "prod", paths: [userFile, systemFile])) { try scope("prod", files: [:]) }
    }

    @Test func nodesSortedByHostAndFilteredByName() throws {
        let text = "[nodes.alpha]\nhostname = \"z.example\"\n[nodes.beta]\nhostname = \"b.example\"\nuser = \"admin\"\n"
        #expect(try scope("prod", files: [systemFile: text]) == .nodes([
            .init(name: "beta", hostname: "b.example", user: "admin"), .init(name: "alpha", hostname: "z.example"),
        ]))
        #expect(try scope("prod", only: ["alpha"], files: [userFile: text]) == .nodes([.init(name: "alpha", hostname: "z.example")]))
        #expect(throws: CtlError.unknownNodes(context: "prod", ["gamma"])) { try scope("prod", only: ["alpha", "gamma"], files: [userFile: text]) }
        // the user's file wins over /etc
        #expect(try scope("prod", files: [userFile: "[nodes.u]\n", systemFile: text]) == .nodes([.init(name: "u")]))
    }

    @Test func aNodesScriptAddsNodesAndAContextWithoutNodesIsAnError() throws {
        #expect(try scope("prod", files: [userFile: "nodes-script = \"gen.sh\"\n[nodes.a]\n"], script: "[nodes.b]\n") == .nodes([
            .init(name: "a"), .init(name: "b"),
        ]))
        #expect(throws: CtlError.emptyContext(name: "prod", file: userFile)) { try scope("prod", files: [userFile: "nodes-script = \"gen.sh\"\n"], script: "") }
        #expect(throws: CtlError.command(["/home/u/.config/drbd-reactorctl/gen.sh"], "failed (exit status 1)")) {
            try scope("prod", files: [userFile: "nodes-script = \"gen.sh\"\n"])
        }
        #expect(throws: CtlError.emptyContext(name: "prod", file: userFile)) { try scope("prod", files: [userFile: ""]) }
    }

    @Test func unknownKeysAreErrors() {
        #expect(throws: CtlError.badContext(file: userFile, "'nodes.a.hostnme': unknown key or not a string")) {
            try scope("prod", files: [userFile: "[nodes.a]\nhostnme = \"x\"\n"])
        }
        #expect(throws: CtlError.badContext(file: userFile, "'node': unknown key or wrong type")) { try scope("prod", files: [userFile: "[node.a]\n"]) }
    }
}

@Suite struct FanOutTests {
    let nodes: [ClusterContext.Node] = [.init(name: "a", hostname: "a.example"), .init(name: "me", hostname: "here"), .init(name: "c", user: "op")]

    func fanOut(_ env: [String: String] = [:]) -> FanOut {
        FanOut(nodes: nodes, nodeName: "here", program: "/usr/sbin/drbd-reactorctl", environment: env)
    }

    @Test func commandsPerNode() {
        let f = fanOut(["DRBD_REACTORCTL_SSH": "ssh -F /tmp/cfg"])
        #expect(f.checkArgv().map(\.argv) == [
            ["ssh", "-F", "/tmp/cfg", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "root@a.example", "--", "true"],
            ["ssh", "-F", "/tmp/cfg", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "op@c", "--", "true"],
        ])
        #expect(f.commandArgv(["-c", "/etc/x y.toml", "status", "it's"]).map(\.argv) == [
            ["ssh", "-F", "/tmp/cfg", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "root@a.example", "--", "drbd-reactorctl", "--local", "-c", "'/etc/x y.toml'", "status", "'it'\\''s'"],
            ["/usr/sbin/drbd-reactorctl", "--local", "-c", "/etc/x y.toml", "status", "it's"],
            ["ssh", "-F", "/tmp/cfg", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "op@c", "--", "drbd-reactorctl", "--local", "-c", "'/etc/x y.toml'", "status", "'it'\\''s'"],
        ])
        #expect(fanOut().ssh == ["ssh"])
        #expect(FanOut.shellQuoted("") == "''" && FanOut.shellQuoted("$HOME") == "'$HOME'" && FanOut.shellQuoted("--nodes=a,b") == "--nodes=a,b")
    }

    @Test func anUnreachableNodeStopsEverything() {
        let runner = RecordingRunner()
        runner.answers["ssh -o BatchMode=yes -o ConnectTimeout=10 op@c -- true"] = ("", 255)
        let t = Transcript()
        let console = Console(colors: false, out: { t.out += $0 }, err: { t.err += $0 })
        #expect(throws: CtlError.nodesFailed(["c"])) { try fanOut().run(["ls"], runner: runner, console: console) }
        #expect(runner.calls == ["ssh -o BatchMode=yes -o ConnectTimeout=10 root@a.example -- true", "ssh -o BatchMode=yes -o ConnectTimeout=10 op@c -- true"])
        #expect(t.out == "Checking ssh connection to all remote nodes: ✗\n")
        #expect(t.err == "Error: node 'c' (op@c) is not reachable: ssh failed (exit status 255)\n")
    }

    @Test func outputIsGroupedPerNodeAndFailuresAreNamed() {
        let runner = RecordingRunner()
        runner.answers["ssh -o BatchMode=yes -o ConnectTimeout=10 root@a.example -- drbd-reactorctl --local ls"] = ("a's list\n", 0)
        runner.answers["/usr/sbin/drbd-reactorctl --local ls"] = ("my list\n", 1)
        let t = Transcript()
        let console = Console(colors: false, out: { t.out += $0 }, err: { t.err += $0 })
        #expect(throws: CtlError.nodesFailed(["me"])) { try fanOut().run(["ls"], runner: runner, console: console) }
        #expect(t.out == "Checking ssh connection to all remote nodes: ✓\n➞ a.example:\na's list\n➞ here:\nmy list\n➞ c:\n")
        #expect(t.err == "Error: node 'me' (here) failed: exit status 1\n")
    }
}
