import ReactorCore
import ReactorSystem

/// The loop's file calls: forwarders to its `LoopBackend` (see its `files` section), so the daemon's
/// configuration, maintenance state, drop-ins and control socket node live on the kernel's file system
/// or on the virtual backend's in-memory one alike.
extension EventLoop: FileReading {
    /// The whole contents of a file.
    public func readFile(_ path: String) throws(Errno) -> [UInt8] { try backend.readFile(path) }

    /// stat(2), following symlinks.
    public func fileInfo(_ path: String) throws(Errno) -> FileSystem.FileInfo { try backend.fileInfo(path) }

    /// The names in a directory, unsorted.
    public func listDirectory(_ path: String) throws(Errno) -> [String] { try backend.listDirectory(path) }

    /// Writes `contents` atomically with `mode` (less the umask), creating missing parents.
    public func writeFile(_ path: String, _ contents: String, mode: UInt32 = 0o644) throws(Errno) {
        try backend.writeFile(path, contents, mode: mode)
    }

    /// unlink(2); a file already gone is fine.
    public func removeFile(_ path: String) throws(Errno) { try backend.removeFile(path) }

    /// `mkdir -p`.
    public func createDirectories(_ path: String) throws(Errno) { try backend.createDirectories(path) }

    /// chmod(2).
    public func setMode(_ path: String, _ mode: UInt32) throws(Errno) { try backend.setMode(path, mode) }
}
