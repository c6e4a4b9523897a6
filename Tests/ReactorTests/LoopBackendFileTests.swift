import Logging
import Testing
@testable import ReactorCore
@testable import ReactorSystem
@testable import ReactorLoop

/// The loop's file calls on both backends, so the virtual file system stays a faithful stand-in for
/// the kernel's: the same contents, kinds, listings, modes and the same errnos for the same mistakes.
/// The epoll backend works in a fresh temporary directory, the virtual one under `/tmp/t`.
@Suite struct LoopBackendFileTests {
    typealias Kind = LoopBackendConformanceTests.Kind

    /// A loop of `kind` and an empty directory of its file system.
    func setUp(_ kind: Kind) throws -> (loop: EventLoop, root: String, keep: TempDir?) {
        let loop = try kind.loop()
        switch kind {
        case .epoll:
            let dir = TempDir()
            return (loop, dir.path, dir)
        case .virtual:
            try loop.createDirectories("/tmp/t")
            return (loop, "/tmp/t", nil)
        }
    }

    /// The errno `body` failed with, nil when it succeeded.
    func failure(_ body: () throws -> Void) -> Errno? {
        do { try body() } catch { return error as? Errno }
        return nil
    }

    @Test(arguments: Kind.allCases) func writeReadListStatRemove(_ kind: Kind) throws {
        let (loop, root, keep) = try setUp(kind)
        defer { _ = keep }
        try loop.writeFile(root + "/a/b/unit.conf", "[Unit]\n", mode: 0o600)
        #expect(try loop.readFile(root + "/a/b/unit.conf") == Array("[Unit]\n".utf8))
        try loop.writeFile(root + "/a/b/unit.conf", "[Service]\n", mode: 0o644)
        #expect(try loop.readFile(root + "/a/b/unit.conf") == Array("[Service]\n".utf8), "replaced whole")
        try loop.writeFile(root + "/a/other", "", mode: 0o644)
        #expect(try loop.listDirectory(root + "/a").sorted() == ["b", "other"])
        let file = try loop.fileInfo(root + "/a/b/unit.conf")
        #expect(file.isRegularFile && !file.isDirectory && file.size == 10)
        #expect(file.modification > 1_700_000_000 * 1_000_000_000, "a wall-clock time")
        let dir = try loop.fileInfo(root + "/./a/../a/b")
        #expect(dir.isDirectory && !dir.isRegularFile)
        try loop.removeFile(root + "/a/b/unit.conf")
        #expect(try loop.listDirectory(root + "/a/b") == [])
        try loop.removeFile(root + "/a/b/unit.conf")  // already gone: fine
        try loop.createDirectories(root + "/a/b/c/d")
        try loop.createDirectories(root + "/a/b/c")  // exists: fine
        #expect(try loop.fileInfo(root + "/a/b/c/d").isDirectory)
        try loop.setMode(root + "/a/other", 0o600)
    }

    @Test(arguments: Kind.allCases) func theKernelsErrors(_ kind: Kind) throws {
        let (loop, root, keep) = try setUp(kind)
        defer { _ = keep }
        try loop.writeFile(root + "/file", "x", mode: 0o644)
        #expect(failure { _ = try loop.readFile(root + "/missing") } == .noEntry)
        #expect(failure { _ = try loop.fileInfo(root + "/missing/below") } == .noEntry)
        #expect(failure { _ = try loop.readFile(root + "/file/below") } == .notADirectory)
        #expect(failure { _ = try loop.readFile(root) } == .isADirectory)
        #expect(failure { _ = try loop.listDirectory(root + "/file") } == .notADirectory)
        #expect(failure { _ = try loop.listDirectory(root + "/missing") } == .noEntry)
        #expect(failure { try loop.writeFile(root + "/file/below", "", mode: 0o644) } == .notADirectory)
        #expect(failure { try loop.createDirectories(root + "/file/below") } == .notADirectory)
        #expect(failure { try loop.removeFile(root + "/file/below") } == .notADirectory)
        #expect(failure { try loop.setMode(root + "/missing", 0o600) } == .noEntry)
    }

    @Test(arguments: Kind.allCases) func aUnixListenerMakesASocketNodeThatStaysUntilRemoved(_ kind: Kind) throws {
        let (loop, root, keep) = try setUp(kind)
        defer { _ = keep }
        let path = root + "/control.sock"
        #expect(failure { _ = try loop.listen(.unix(root + "/missing/control.sock")) } == .noEntry)
        try loop.writeFile(path, "stale", mode: 0o644)
        let listener = try loop.listen(.unix(path))  // a stale file is replaced
        let node = try loop.fileInfo(path)
        #expect(!node.isRegularFile && !node.isDirectory)
        #expect(failure { _ = try loop.readFile(path) } == .noDeviceOrAddress)
        try loop.setMode(path, 0o600)
        #expect(try loop.listDirectory(root) == ["control.sock"])
        loop.close(listener)
        #expect((try? loop.fileInfo(path)) != nil, "closing the socket leaves its node")
        try loop.removeFile(path)
        #expect(try loop.listDirectory(root) == [])
    }

    @Test func theVirtualFileSystemAppliesTheUmaskAndInjectedErrors() throws {
        let backend = VirtualBackend()
        let loop = EventLoop(backend: backend, logger: Logger(label: "test"))
        try loop.writeFile("/run/x/f", "x", mode: 0o666)
        #expect(backend.fileSystem.mode("/run/x/f") == 0o644)
        #expect(backend.fileSystem.mode("/run/x") == 0o755)
        try loop.setMode("/run/x/f", 0o600)
        #expect(backend.fileSystem.mode("/run/x/f") == 0o600, "chmod is not masked")
        let before = try loop.fileInfo("/run/x/f").modification
        backend.advance(by: .seconds(3))
        try loop.writeFile("/run/x/f", "y", mode: 0o644)
        #expect(try loop.fileInfo("/run/x/f").modification == before + 3_000_000_000, "stamped with the virtual wall clock")
        backend.fileSystem.failing["/run/x"] = .permissionDenied
        #expect(failure { _ = try loop.readFile("/run/x/f") } == .permissionDenied, "a directory that cannot be searched")
        #expect(backend.fileSystem.paths(under: "/run") == ["/run/x", "/run/x/f"])
        backend.fileSystem.empty("/run")
        #expect(backend.fileSystem.kind("/run") == .directory && backend.fileSystem.paths(under: "/run").isEmpty)
        backend.fileSystem.removeTree("/run")
        #expect(backend.fileSystem.kind("/run") == nil && backend.fileSystem.paths(under: "/").contains("/etc"))
    }
}
