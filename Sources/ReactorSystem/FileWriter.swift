import Glibc
import ReactorCore

/// Writing and removing small files: the promoter's generated systemd drop-ins under /run (a tmpfs, so
/// these blocking calls return at once).
extension FileSystem {
    /// `mkdir -p`: creates `path` and its missing parents (mode 0755); existing directories are fine.
    public static func createDirectories(_ path: String) throws(Errno) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if (try? info(prefix))?.isDirectory != true {
                do { _ = try retryingEINTR { mkdir(prefix, 0o755) } } catch {
                    if error.rawValue != EEXIST { throw error }
                }
            }
            prefix += "/"
        }
    }

    /// Writes `contents` to `path` atomically: `<path>.tmp` is written in full, then renamed over `path`,
    /// so systemd never reads a half-written file. Creates the parent directories.
    public static func writeAtomically(_ path: String, _ contents: String, mode: UInt32 = 0o644) throws(Errno) {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try createDirectories(String(path[..<slash]))
        }
        let tmp = path + ".tmp"
        let fd = FileDescriptor(owning: try retryingEINTR { Glibc.open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode)) })
        let bytes = Array(contents.utf8)
        var offset = 0
        do {
            while offset < bytes.count { offset += try fd.write(bytes, from: offset) }
        } catch {
            fd.close()
            unlink(tmp)
            throw error
        }
        fd.close()
        _ = try retryingEINTR { rename(tmp, path) }
    }

    /// unlink(2); a file that is already gone is fine.
    public static func remove(_ path: String) throws(Errno) {
        do { _ = try retryingEINTR { unlink(path) } } catch {
            if error != .noEntry { throw error }
        }
    }

    /// `rm -r`: removes `path` and, for a directory, everything under it. A symlink is removed itself,
    /// never followed (lstat), so a link to a directory outside the tree leaves that directory alone.
    /// A path that is already gone is fine.
    public static func removeTree(_ path: String) throws(Errno) {
        var st = stat()
        guard (try? retryingEINTR { lstat(path, &st) }) != nil else { return }
        guard st.st_mode & S_IFMT == S_IFDIR else { return try remove(path) }
        for name in try listDirectory(path) { try removeTree(path + "/" + name) }
        do { _ = try retryingEINTR { rmdir(path) } } catch {
            if error != .noEntry { throw error }
        }
    }
}
