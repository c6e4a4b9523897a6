import ReactorCore
import ReactorSystem

/// The virtual backend's file calls: its `VirtualFileSystem`, with modification times from its wall
/// clock.
extension VirtualBackend {
    public func readFile(_ path: String) throws(Errno) -> [UInt8] { try fileSystem.read(path) }

    public func fileInfo(_ path: String) throws(Errno) -> FileSystem.FileInfo { try fileSystem.info(path) }

    public func listDirectory(_ path: String) throws(Errno) -> [String] { try fileSystem.list(path) }

    public func writeFile(_ path: String, _ contents: String, mode: UInt32) throws(Errno) {
        try fileSystem.write(path, Array(contents.utf8), mode: mode, at: wallNanoseconds)
    }

    public func removeFile(_ path: String) throws(Errno) { try fileSystem.remove(path, at: wallNanoseconds) }

    public func createDirectories(_ path: String) throws(Errno) { try fileSystem.createDirectories(path, at: wallNanoseconds) }

    public func setMode(_ path: String, _ mode: UInt32) throws(Errno) { try fileSystem.setMode(path, mode) }
}
