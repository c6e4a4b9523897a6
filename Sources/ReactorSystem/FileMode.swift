import Glibc
import ReactorCore

extension FileSystem {
    /// The directory part of `path` ("." without a slash, "/" for a top-level entry).
    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// chmod(2): the control socket is made root-only (0600) right after it is bound.
    public static func setMode(_ path: String, _ mode: UInt32) throws(Errno) {
        _ = try retryingEINTR { chmod(path, mode_t(mode)) }
    }
}
