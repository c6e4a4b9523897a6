import Glibc
@testable import ReactorCtl
import ReactorCtl
import ReactorCore
import ReactorSystem
import ReactorPromoter

/// A runner that records every command and answers from a table (argv joined by spaces -> stdout and
/// exit status); anything else succeeds with no output.
final class RecordingRunner: CommandRunner {
    var calls: [String] = []
    var answers: [String: (String, Int32)] = [:]
    /// Answers that change over calls: each call of that command takes the next one (the last repeats).
    var sequences: [String: [String]] = [:]

    func run(_ argv: [String], stdin: Blocking.Stream, stdout: Blocking.Stream, stderr: Blocking.Stream) throws(Errno) -> Blocking.Outcome {
        let line = argv.joined(separator: " ")
        calls.append(line)
        if var seq = sequences[line], !seq.isEmpty {
            let out = seq.removeFirst()
            sequences[line] = seq.isEmpty ? [out] : seq
            return Blocking.Outcome(exit: .exited(0), stdout: Array(out.utf8))
        }
        let (out, code) = answers[line] ?? ("", 0)
        return Blocking.Outcome(exit: .exited(code), stdout: Array(out.utf8))
    }
}

/// Collects what a `Console` prints.
final class Transcript {
    var out = ""
    var err = ""
}

/// A watch that reports scripted events; when they run out, every second just ends.
final class ScriptedWatch: RoleWatch {
    var events: [WatchEvent]
    var ticks = 0
    var followed = true
    init(_ events: [WatchEvent]) { self.events = events }
    func startTick() { ticks += 1 }
    func next() -> WatchEvent { events.isEmpty ? .tickEnded : events.removeFirst() }
}

/// A context over a fake snippets directory `/etc/drbd-reactor.d` (files: name -> exists) or a real one.
func makeContext(_ dir: SnippetDirectory, runner: CommandRunner, transcript: Transcript, systemdDirectory: String = "/run/systemd/system") -> CtlContext {
    CtlContext(
        snippets: dir, console: Console(colors: false, out: { transcript.out += $0 }, err: { transcript.err += $0 }),
        runner: runner, nodeName: "alpha", systemdDirectory: systemdDirectory, environment: [:])
}

func fakeDirectory(_ files: [String], path: String = "/etc/drbd-reactor.d") -> SnippetDirectory {
    SnippetDirectory(path: path, isFile: { p in files.contains { path + "/" + $0 == p } }, names: { files })
}

/// The directory every temporary directory of these tests lives in; removed when the test process exits,
/// so runs leave nothing behind in /tmp.
let temporaryRoot: String = {
    let root = makeTemporaryDirectory(in: "/tmp", prefix: "reactorctl-test-")
    atexit { try? FileSystem.removeTree(temporaryRoot) }
    return root
}()

private func makeTemporaryDirectory(in parent: String, prefix: String) -> String {
    var template = Array("\(parent)/\(prefix)XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
}

/// A fresh, empty directory under `temporaryRoot`.
func temporaryDirectory() throws -> String {
    makeTemporaryDirectory(in: temporaryRoot, prefix: "t-")
}

/// `drbdsetup status --json` output for `res` with the local role and one peer.
func statusJSON(_ res: String, role: String, peer: String = "beta", peerRole: String = "Secondary") -> String {
    #"[{"name":"\#(res)","role":"\#(role)","connections":[{"name":"\#(peer)","peer-role":"\#(peerRole)"}]}]"#
}
