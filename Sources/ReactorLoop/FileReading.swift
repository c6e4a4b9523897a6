import ReactorCore
import ReactorSystem

/// What reading a configuration needs of a file system: whole files, stat, directory listings.
///
/// The daemon reads through its loop (`EventLoop` conforms: its backend's file calls), so on the
/// virtual backend a test's in-memory `/etc/drbd-reactor.toml` and snippets are what it loads and
/// reloads. What has no loop reads the kernel's file system directly through `HostFiles`:
/// drbd-reactorctl (a CLI) and the daemon's executable before its loop exists.
public protocol FileReading {
    /// The whole contents of a file.
    func readFile(_ path: String) throws(Errno) -> [UInt8]
    /// stat(2), following symlinks.
    func fileInfo(_ path: String) throws(Errno) -> FileSystem.FileInfo
    /// The names in a directory (without `.` and `..`), unsorted.
    func listDirectory(_ path: String) throws(Errno) -> [String]
}

/// The kernel's file system, read directly (blocking): for code that runs without a loop.
public struct HostFiles: FileReading {
    public init() {}
    public func readFile(_ path: String) throws(Errno) -> [UInt8] { try FileSystem.readFile(path) }
    public func fileInfo(_ path: String) throws(Errno) -> FileSystem.FileInfo { try FileSystem.info(path) }
    public func listDirectory(_ path: String) throws(Errno) -> [String] { try FileSystem.listDirectory(path) }
}
