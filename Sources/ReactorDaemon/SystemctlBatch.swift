import ReactorCore

/// Design note: `systemctl` calls of one kind (`reset-failed`, `start`, `stop`, `show
/// --property=ActiveState`, each on one unit) that plugins request in the same loop turn run as ONE
/// `systemctl VERB UNIT...`, and each requester gets its own answer as if it had run alone.
///
/// Why: every `systemctl` is a connection to systemd's private bus, and systemd sends every unit's
/// signals to every such connection, whether it asked or not. A hundred promoters starting at once (a
/// node failure) meant a hundred connections, each waiting for its job while receiving the signals of
/// all the others: measured in the HA lab, 100 targets took 16.7 s to start in parallel and 3.4 s as one
/// `systemctl start` of all of them, with the same units and no daemon involved.
///
/// Semantics kept per requester: `systemctl start A B` enqueues both jobs and waits for both, like two
/// calls; it fails if either job fails. A failed batch is therefore followed by one `systemctl
/// is-active UNIT...`, and a requester whose unit is active (start) or no longer active (stop) gets exit
/// 0, the others the batch's status and the stderr lines that name their unit. `show` prints one
/// `ActiveState=` line per unit, in argument order: each requester gets its line. `reset-failed` goes on
/// with the other units when one is not loaded; its status is passed on to every requester (the
/// promoter ignores it).
struct SystemctlBatch: Hashable, Sendable {
    /// What goes in front of the units (`["systemctl", "start"]`); requests with the same prefix join.
    let prefix: [String]
    /// The units, in request order.
    var units: [String] = []

    /// The verbs that may run as one call, with the options that may come with them.
    static let verbs: Set<[String]> = [
        ["reset-failed"], ["start"], ["stop"], ["show", "--property=ActiveState"],
    ]

    /// The prefix `argv` joins, if it is a batchable `systemctl` call on exactly one unit (`systemctl` from
    /// `PATH` or by path).
    static func prefix(of argv: [String]) -> [String]? {
        guard argv.count >= 3, argv[0] == "systemctl" || argv[0].hasSuffix("/systemctl"), let unit = argv.last, !unit.hasPrefix("-") else { return nil }
        let middle = Array(argv[1..<(argv.count - 1)])
        return verbs.contains(middle) ? Array(argv.dropLast()) : nil
    }

    var argv: [String] { prefix + units }

    /// Whether a failed batch needs `systemctl is-active` to tell its requesters apart.
    var needsActiveCheck: Bool { prefix.last == "start" || prefix.last == "stop" }

    /// One requester's answer: its stdout lines and exit.
    struct Answer: Hashable, Sendable {
        var stdout: [String] = []
        var stderr: [String] = []
        var exit: ChildExit
    }

    /// The answers for `units` in order, from the batch's output and exit and, after a failed start or
    /// stop, the lines of `systemctl is-active UNIT...` (one state per unit, in order).
    func answers(stdout: [String], stderr: [String], exit: ChildExit, activeStates: [String]? = nil) -> [Answer] {
        let (named, unnamed) = Self.attribute(stderr, to: units)
        func ownStderr(_ unit: String) -> [String] { (named[unit] ?? []) + unnamed }
        switch prefix.last {
        case "--property=ActiveState":
            let states = stdout.filter { $0.hasPrefix("ActiveState=") }
            guard states.count == units.count else {
                let failure = ChildExit.exited(exit.success ? 1 : exitCode(exit))
                return units.map { Answer(stderr: ownStderr($0) + ["unexpected output of '\(argv.joined(separator: " "))'"], exit: failure) }
            }
            return units.indices.map { Answer(stdout: [states[$0]], stderr: ownStderr(units[$0]), exit: exit) }
        case "start", "stop":
            guard !exit.success, let activeStates, activeStates.count == units.count else {
                return units.map { Answer(stderr: exit.success ? [] : ownStderr($0), exit: exit) }
            }
            let wanted: (String) -> Bool = prefix.last == "start" ? { $0 == "active" } : { $0 != "active" && $0 != "deactivating" }
            return units.indices.map { i in
                wanted(activeStates[i]) ? Answer(exit: .exited(0)) : Answer(stderr: ownStderr(units[i]), exit: exit)
            }
        default:
            return units.map { Answer(stderr: ownStderr($0), exit: exit) }
        }
    }

    /// Each stderr line goes to the units it names (systemctl quotes them between blanks, quotes, `:`
    /// or `.`), a line naming none to everyone. One pass over the words: with 100 units and 100 lines,
    /// a substring search per unit, line and requester took the daemon 1.4 s (HA lab failover).
    static func attribute(_ lines: [String], to units: [String]) -> (named: [String: [String]], unnamed: [String]) {
        let known = Set(units)
        var named: [String: [String]] = [:]
        var unnamed: [String] = []
        for line in lines {
            var hit = false
            var seen: Set<Substring> = []
            for word in line.split(whereSeparator: { $0 == " " || $0 == "'" || $0 == "\"" || $0 == "\t" }) {
                var w = word
                while let last = w.last, last == ":" || last == "." || last == "," { w = w.dropLast() }
                guard known.contains(String(w)), seen.insert(w).inserted else { continue }
                named[String(w), default: []].append(line)
                hit = true
            }
            if !hit { unnamed.append(line) }
        }
        return (named, unnamed)
    }

    private func exitCode(_ exit: ChildExit) -> Int32 {
        if case .exited(let code) = exit { return code }
        return 1
    }
}
