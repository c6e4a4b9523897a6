import ReactorCore

/// The DRBD versions the promoter needs, as 1.x checks them before it runs any promoter:
/// drbd-utils 9.29.0 (its `drbd-services@.target`, `drbd-promote@.service` and
/// `drbd-service-shim.sh` verbs) and a loaded kernel module of at least 9.1.7.
///
/// 1.x refused to start at all (or, on reload, kept the old configuration) when they were missing; here
/// only the promoters are not started, and every other plugin runs.
public enum PromoterVersionGate {
    public static let minimumUtils = "9.29.0"
    public static let minimumKmod = "9.1.7"

    /// Why promoters cannot run with `versions`, or nil when they can.
    public static func problem(with versions: DRBDVersions) -> String? {
        if compare(versions.utils, minimumUtils) == .orderedAscending {
            return "drbd-utils minimum version ('\(minimumUtils)') not fulfilled by '\(versions.utils)'"
        }
        if versions.kmod == DRBDVersions.unknown.kmod {
            return "the DRBD kernel module looks not installed or not loaded (version \(versions.kmod))"
        }
        if compare(versions.kmod, minimumKmod) == .orderedAscending {
            return "DRBD kernel module minimum version ('\(minimumKmod)') not fulfilled by '\(versions.kmod)'"
        }
        return nil
    }

    enum Order { case orderedAscending, orderedSame, orderedDescending }

    /// Compares dotted versions numerically, part by part (`9.29.0` > `9.3.1`); a missing or non-numeric
    /// part counts as 0.
    static func compare(_ a: String, _ b: String) -> Order {
        let x = parts(a), y = parts(b)
        for i in 0..<max(x.count, y.count) {
            let p = i < x.count ? x[i] : 0, q = i < y.count ? y[i] : 0
            if p != q { return p < q ? .orderedAscending : .orderedDescending }
        }
        return .orderedSame
    }

    private static func parts(_ v: String) -> [Int] {
        v.split(separator: ".").map { Int($0) ?? 0 }
    }
}
