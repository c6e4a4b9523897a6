/// The DRBD kernel module and drbd-utils versions shown in `drbd_version{kmod,utils}`.
///
/// They come from `drbdadm --version`, which the host runs as a child (never blocking the loop) and whose
/// output it hands to `init(drbdadmVersionOutput:)`. `0.0.0` means unknown: the module is not loaded, or
/// drbdadm is missing or failed, exactly as the original reports it.
public struct DRBDVersions: Hashable, Sendable {
    public var kmod: String
    public var utils: String

    public static let unknown = DRBDVersions(kmod: "0.0.0", utils: "0.0.0")

    public init(kmod: String, utils: String) {
        self.kmod = kmod
        self.utils = utils
    }

    /// Reads `DRBD_KERNEL_VERSION_CODE=0x090208` and `DRBDADM_VERSION_CODE=0x091c00` lines (other lines,
    /// such as `DRBD_KERNEL_VERSION=9.2.8`, are ignored); a missing or malformed code stays `0.0.0`.
    public init(drbdadmVersionOutput output: String) {
        self = .unknown
        for line in output.split(whereSeparator: \.isNewline) {
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingSpaces, value = line[line.index(after: eq)...].trimmingSpaces
            switch key {
            case "DRBD_KERNEL_VERSION_CODE": kmod = Self.version(fromCode: value) ?? kmod
            case "DRBDADM_VERSION_CODE": utils = Self.version(fromCode: value) ?? utils
            default: continue
            }
        }
    }

    /// `0x091c00` -> `9.28.0`: one byte each for major, minor and patch.
    static func version(fromCode text: Substring) -> String? {
        guard text.hasPrefix("0x") || text.hasPrefix("0X"), let code = UInt32(text.dropFirst(2), radix: 16),
            code <= 0xff_ffff
        else { return nil }
        return "\(code >> 16).\((code >> 8) & 0xff).\(code & 0xff)"
    }
}

extension Substring {
    /// Without leading and trailing blanks.
    fileprivate var trimmingSpaces: Substring {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
