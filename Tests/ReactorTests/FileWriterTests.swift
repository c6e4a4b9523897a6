import Glibc
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

/// The drop-in writer on a real temporary directory.
@Suite struct FileWriterTests {
    @Test func writesAtomicallyCreatingParentsAndReplaces() throws {
        let d = TempDir()
        let path = d.path + "/run/systemd/system/drbd-services@res\\x2d1.target.d/reactor.conf"
        try FileSystem.writeAtomically(path, "one\n")
        #expect(String(decoding: try FileSystem.readFile(path), as: UTF8.self) == "one\n")
        try FileSystem.writeAtomically(path, "two\n")
        #expect(String(decoding: try FileSystem.readFile(path), as: UTF8.self) == "two\n")
        let dir = d.path + "/run/systemd/system/drbd-services@res\\x2d1.target.d"
        #expect(try FileSystem.listDirectory(dir) == ["reactor.conf"])  // no .tmp left behind
        try FileSystem.remove(path)
        try FileSystem.remove(path)  // already gone: fine
        #expect(try FileSystem.listDirectory(dir).isEmpty)
    }

    @Test func failuresAreTypedErrors() throws {
        let d = TempDir()
        let file = d.write("plain", "x")
        #expect(throws: Errno.self) { try FileSystem.writeAtomically(file + "/below/it.conf", "x") }
        #expect(throws: Errno.self) { try FileSystem.remove(d.path) }  // a directory
    }

    /// `removeTree` removes a tree with its files and subdirectories, and a symlink inside it as a link:
    /// the directory it points to, outside the tree, keeps its files.
    @Test func removeTreeRemovesLinksNotWhatTheyPointTo() throws {
        let d = TempDir()
        let outside = d.mkdir("outside")
        let kept = d.write("outside/kept", "x")
        let tree = d.mkdir("tree")
        _ = d.mkdir("tree/sub")
        d.write("tree/sub/file", "y")
        #expect(symlink(outside, tree + "/link") == 0)
        try FileSystem.removeTree(tree)
        #expect(!Blocking.exists(tree))
        #expect(Blocking.exists(kept), "the linked directory's contents stay")
        try FileSystem.removeTree(tree)  // already gone: fine
    }
}
