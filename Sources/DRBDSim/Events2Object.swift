/// One object of a node's `drbdsetup events2 --full` view (resource, device, connection, peer-device,
/// path) as printed: its identity keys, its state fields and its statistics. Change lines are printed
/// when the state fields differ from what a subscriber last saw; `n` (poll) prints them when the
/// statistics differ too.
struct Events2Object: Hashable, Sendable {
    var kind: String
    /// `name:r0 volume:0`-style keys that identify the object (all a destroy line carries).
    var identity: String
    /// Fields that DRBD prints an event for when they change.
    var state: [String]
    /// Fields before and after which the statistics sit, with `--full`.
    var statistics: [String]
    var trailing: [String] = []

    var key: String { "\(kind) \(identity)" }

    func line(_ verb: String) -> String {
        ([verb, kind, identity] + state + statistics + trailing).joined(separator: " ")
    }

    func destroyLine() -> String { "destroy \(kind) \(identity)" }
}

/// What one subscriber last saw of an object: the state part (for events) and the whole line (for polls).
struct SeenObject: Hashable, Sendable {
    var state: [String]
    var line: String
}

/// One `drbdsetup events2` stream on one node.
struct Subscription: Hashable, Sendable {
    var node: String
    var resource: String?
    var open = true
    var queue: [String] = []
    var seen: [String: SeenObject] = [:]
    /// Keys in the order they were created, so destroys come out children first.
    var order: [String] = []
}

/// `yes`/`no` as DRBD prints booleans.
func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }

/// A percentage with two decimals, as drbdsetup prints `done:`.
func percent(_ value: Double) -> String {
    let hundredths = Int((max(0, min(100, value)) * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
