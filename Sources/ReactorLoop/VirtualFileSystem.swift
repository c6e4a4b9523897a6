import ReactorCore
import ReactorSystem

/// Design note: the virtual backend's file system, in memory, with the errors the kernel gives.
///
/// A tree of directories, regular files and socket nodes, keyed by normalised absolute path (a relative
/// path is taken from `/`; `.` and `..` are resolved as names). Every call checks its path the way the
/// kernel walks one: a missing component is ENOENT, a component that is not a directory ENOTDIR, a read
/// of a directory EISDIR; `failing` makes chosen paths fail with any errno (EACCES for an unreadable
/// maintenance file). New files and directories get their mode less `umask`; modification times are the
/// backend's wall clock, so the snippet monitor sees edits. It is an object of its own, so that one node
/// of the HA lab keeps its files while daemon processes (backends) come and go on it.
///
/// Tests fill it through the backend's own calls (`backend.writeFile(path, text, mode:)`) or `write`
/// here, and look inside with `contents`, `mode`, `kind` and `paths(under:)`.
public final class VirtualFileSystem {
    /// What a path names.
    public enum Kind: Equatable, Sendable {
        case directory, regularFile, socket
    }

    struct Node {
        var kind: Kind
        var bytes: [UInt8] = []
        var mode: UInt32
        var modification: UInt64
    }

    /// Subtracted from the mode of every file, directory and socket node made (as a process's umask).
    public var umask: UInt32 = 0o022
    /// Paths whose every use fails with the given errno (error injection).
    public var failing: [String: Errno] = [:]
    private var nodes: [String: Node] = [:]

    /// The directories every Linux system has and the daemon expects (`/`, `/etc`, `/run`, `/tmp`, `/var`).
    public init() {
        for path in ["/", "/etc", "/run", "/tmp", "/var"] { nodes[path] = Node(kind: .directory, mode: 0o755, modification: 0) }
    }

    // MARK: test side

    /// The contents of a regular file as text, nil when there is none at `path`.
    public func contents(_ path: String) -> String? {
        guard let node = nodes[Self.normalised(path)], node.kind == .regularFile else { return nil }
        return String(decoding: node.bytes, as: UTF8.self)
    }

    /// The permission bits of what `path` names, nil when nothing is there.
    public func mode(_ path: String) -> UInt32? { nodes[Self.normalised(path)]?.mode }

    /// What `path` names, nil when nothing is there.
    public func kind(_ path: String) -> Kind? { nodes[Self.normalised(path)]?.kind }

    /// Every path below `directory` (not itself), sorted.
    public func paths(under directory: String) -> [String] {
        let prefix = Self.normalised(directory) == "/" ? "/" : Self.normalised(directory) + "/"
        return nodes.keys.filter { $0.hasPrefix(prefix) && $0 != "/" }.sorted()
    }

    /// Removes everything below `directory`, which stays (what a reboot does to a tmpfs like /run).
    public func empty(_ directory: String) {
        for q in paths(under: directory) { nodes[q] = nil }
    }

    /// Removes `path` and everything below it; nothing there is fine.
    public func removeTree(_ path: String) {
        empty(path)
        let p = Self.normalised(path)
        if p != "/" { nodes[p] = nil }
    }

    /// Writes a regular file (parents created) stamped `wall`; a test's way in without a backend.
    public func write(_ path: String, _ text: String, mode: UInt32 = 0o644, at wall: UInt64 = 0) throws(Errno) {
        try write(path, Array(text.utf8), mode: mode, at: wall)
    }

    // MARK: the backend's calls

    func read(_ path: String) throws(Errno) -> [UInt8] {
        let node = try existing(path)
        switch node.kind {
        case .regularFile: return node.bytes
        case .directory: throw Errno.isADirectory
        case .socket: throw Errno.noDeviceOrAddress
        }
    }

    func info(_ path: String) throws(Errno) -> FileSystem.FileInfo {
        let node = try existing(path)
        return FileSystem.FileInfo(
            isDirectory: node.kind == .directory, isRegularFile: node.kind == .regularFile,
            modificationSeconds: Int64(node.modification / 1_000_000_000), modificationNanoseconds: Int64(node.modification % 1_000_000_000),
            size: Int64(node.bytes.count))
    }

    func list(_ path: String) throws(Errno) -> [String] {
        let p = Self.normalised(path)
        guard try existing(p).kind == .directory else { throw Errno.notADirectory }
        let prefix = p == "/" ? "/" : p + "/"
        return nodes.keys.compactMap { key in
            guard key.hasPrefix(prefix), key != "/" else { return nil }
            let rest = key.dropFirst(prefix.count)
            return rest.contains("/") ? nil : String(rest)
        }
    }

    /// The write-then-rename of `FileSystem.writeAtomically`: parents made, the old file replaced whole.
    func write(_ path: String, _ bytes: [UInt8], mode: UInt32, at wall: UInt64) throws(Errno) {
        let p = Self.normalised(path)
        try createDirectories(Self.parent(p), at: wall)
        try checkParent(p)
        if let failure = failing[p] { throw failure }
        if nodes[p]?.kind == .directory { throw Errno.isADirectory }
        nodes[p] = Node(kind: .regularFile, bytes: bytes, mode: mode & ~umask & 0o7777, modification: wall)
        touchParent(p, at: wall)
    }

    func remove(_ path: String, at wall: UInt64) throws(Errno) {
        let p = Self.normalised(path)
        let node: Node
        do { node = try existing(p) } catch {
            if error == .noEntry { return }
            throw error
        }
        if node.kind == .directory { throw Errno.isADirectory }
        nodes[p] = nil
        touchParent(p, at: wall)
    }

    /// `mkdir -p` as `FileSystem.createDirectories` does it: a component that exists as something else
    /// is passed over, and the next one below it fails with ENOTDIR.
    func createDirectories(_ path: String, at wall: UInt64) throws(Errno) {
        var prefix = ""
        for part in Self.components(path) {
            prefix += "/" + part
            if let failure = failing[prefix] { throw failure }
            guard nodes[prefix] == nil else { continue }
            try checkParent(prefix)
            nodes[prefix] = Node(kind: .directory, mode: 0o755 & ~umask, modification: wall)
            touchParent(prefix, at: wall)
        }
    }

    func setMode(_ path: String, _ mode: UInt32) throws(Errno) {
        let p = Self.normalised(path)
        _ = try existing(p)
        nodes[p]?.mode = mode & 0o7777
    }

    /// The node bind(2) makes for a unix socket: a stale non-directory there is replaced (the daemon
    /// unlinks it first), a directory is EADDRINUSE, a missing parent ENOENT.
    func bindSocket(_ path: String, at wall: UInt64) throws(Errno) {
        let p = Self.normalised(path)
        try checkParent(p)
        if let failure = failing[p] { throw failure }
        if nodes[p]?.kind == .directory { throw Errno.addressInUse }
        nodes[p] = Node(kind: .socket, mode: 0o777 & ~umask, modification: wall)
        touchParent(p, at: wall)
    }

    // MARK: paths

    /// The node at `path` after the kernel's checks of every component.
    private func existing(_ path: String) throws(Errno) -> Node {
        let p = Self.normalised(path)
        try checkParent(p)
        if let failure = failing[p] { throw failure }
        guard let node = nodes[p] else { throw Errno.noEntry }
        return node
    }

    /// Every directory above `path` exists, is a directory and is not failing.
    private func checkParent(_ path: String) throws(Errno) {
        var prefix = ""
        for part in Self.components(path).dropLast() {
            prefix += "/" + part
            if let failure = failing[prefix] { throw failure }
            guard let node = nodes[prefix] else { throw Errno.noEntry }
            guard node.kind == .directory else { throw Errno.notADirectory }
        }
    }

    /// A directory's modification time changes when an entry is added or removed.
    private func touchParent(_ path: String, at wall: UInt64) {
        nodes[Self.parent(path)]?.modification = wall
    }

    static func components(_ path: String) -> [String] {
        var parts: [String] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(String(part)) }
        }
        return parts
    }

    static func normalised(_ path: String) -> String { "/" + components(path).joined(separator: "/") }

    static func parent(_ path: String) -> String { "/" + components(path).dropLast().joined(separator: "/") }
}
