import Glibc
import ReactorCore

/// Gives back the page mappings of code and read-only data that only start-up needed.
///
/// Why: at start the dynamic loader and the initialisers touch pages of the executable and of every
/// library (relocations, constructors, one-time set-up), and the kernel maps 64 KiB around each touched
/// page. With libsystemd come six more libraries (libgcrypt, libgpg-error, liblzma, libzstd, liblz4,
/// libcap) that the daemon never calls into after start, yet whose pages stay in its resident set.
/// Once the daemon is up, `releaseCleanFileMappings` drops the mappings of every clean, read-only,
/// file-backed region (madvise(2) MADV_DONTNEED): the contents are the file's, so nothing is lost; a page
/// used again is mapped again from the page cache on its next access (a minor fault). Regions holding
/// anonymous pages (RELRO data the loader relocated: copied on write, no longer the file's contents) and
/// writable ones are left alone, so this is safe for any process.
public enum ResidentPages {
    /// A region of `/proc/self/smaps`.
    struct Region: Equatable {
        var start: UInt
        var end: UInt
        var residentKiB: Int
    }

    /// The regions of `smaps` text that are file-backed, not writable and hold no anonymous pages.
    static func releasable(smaps: String) -> [Region] {
        var out: [Region] = []
        var current: Region?
        var anonymous = 0
        func close() {
            if let r = current, anonymous == 0 { out.append(r) }
            current = nil
        }
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.last != ":" {  // a region's header: "start-end perms offset dev inode [path]"
                close()
                anonymous = 0
                let bounds = first.split(separator: "-")
                guard fields.count >= 6, fields[5].hasPrefix("/"), fields[1].count == 4, fields[1].dropFirst().first == "-",
                      bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16)
                else { continue }
                current = Region(start: start, end: end, residentKiB: 0)
            } else if first == "Rss:", fields.count >= 2 {
                current?.residentKiB = Int(fields[1]) ?? 0
            } else if first == "Anonymous:", fields.count >= 2 {
                anonymous = Int(fields[1]) ?? 1
            }
        }
        close()
        return out
    }

    /// Drops the resident pages of every releasable region of this process; returns the KiB that were
    /// resident in them. A region that cannot be read or advised is skipped.
    @discardableResult
    public static func releaseCleanFileMappings() -> Int {
        guard let bytes = try? FileSystem.readFile("/proc/self/smaps") else { return 0 }
        var released = 0
        for r in releasable(smaps: String(decoding: bytes, as: UTF8.self)) where r.residentKiB > 0 {
            // The address range comes from the kernel's own list of this process's mappings.
            if madvise(UnsafeMutableRawPointer(bitPattern: r.start), Int(r.end - r.start), MADV_DONTNEED) == 0 {
                released += r.residentKiB
            }
        }
        return released
    }
}
