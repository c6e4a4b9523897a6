import ReactorCore

/// One `[[umh.<type>]]` rule: filters on a state update and the command to run when they all pass.
public struct UMHRule: Hashable, Sendable {
    public var type: UMHRuleType
    /// For the log only; may be empty (the original's default).
    public var name: String
    /// Run as `sh -c <command>`; the event reaches it only through the environment.
    public var command: String
    /// Extra variables; they cannot override `HOME`/`TERM`/`PATH` or the event's variables.
    public var env: [String: String]
    /// Our extension: after this long the command gets SIGTERM, then SIGKILL. nil: no limit (the original).
    public var timeout: Duration?
    /// Filters by path (`resource-name`, `volume`, `old.role`); a field without a filter does not restrict.
    public var filters: [String: UMHPattern]

    public init(
        type: UMHRuleType, name: String = "", command: String, env: [String: String] = [:],
        timeout: Duration? = nil, filters: [String: UMHPattern] = [:]
    ) {
        self.type = type
        self.name = name
        self.command = command
        self.env = env
        self.timeout = timeout
        self.filters = filters
    }

    /// The name for logs: the command when the rule has none, so a log line always says which rule.
    public var displayName: String { name.isEmpty ? command : name }

    /// The child's argv. The command is one argument to `sh -c` and nothing is pasted into it.
    public var argv: [String] { ["sh", "-c", command] }
}

// MARK: - Config

extension UMHRule {
    /// The longest accepted `timeout`, in seconds.
    static let maxTimeout: Int64 = Int64(Int32.max)

    /// Decodes one rule table strictly: every key not in the type's schema is an error naming the file,
    /// line and key path (the original silently ignored unknown filters, which widened the rule).
    public static func decode(_ reader: TableReader, type: UMHRuleType) throws -> UMHRule {
        var r = reader
        let schema = type.schema
        var rule = UMHRule(type: type, command: try r.requiredString("command"))
        rule.name = try r.string("name", default: "")
        rule.env = Dictionary(try r.stringTable("env"), uniquingKeysWith: { _, last in last })
        rule.timeout = try r.optionalInteger("timeout", in: 1...maxTimeout).map { .seconds($0) }
        for field in schema.objectFields.map(\.spec) {
            rule.filters[field.key] = try UMHPattern.decode(&r, key: field.key, kind: field.kind)
        }
        for side in ["old", "new"] {
            guard var sub = try r.optionalTable(side) else { continue }
            for field in schema.stateFields {
                rule.filters["\(side).\(field.key)"] = try UMHPattern.decode(&sub, key: field.key, kind: field.kind)
            }
            try sub.finish()
        }
        try r.finish()
        return rule
    }

    /// The rule as TOML (header included) with every default written out, which `decode` reads back
    /// to an equal rule.
    func toml() -> String {
        let envPairs = env.keys.sorted().map { "\(TOMLWriter.key($0)) = \(TOMLWriter.quote(env[$0] ?? ""))" }
        var lines = [
            "[[umh.\(type.rawValue)]]",
            "name = \(TOMLWriter.quote(name))",
            "command = \(TOMLWriter.quote(command))",
            envPairs.isEmpty ? "env = {}" : "env = { \(envPairs.joined(separator: ", ")) }",
        ]
        if let timeout { lines.append("timeout = \(timeout.components.seconds)") }
        for path in filterPaths {
            if let pattern = filters[path] { lines.append("\(path) = \(pattern.toml)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every filter path of this rule's type in schema order (object fields, then `old.*`, then `new.*`).
    private var filterPaths: [String] {
        let schema = type.schema
        let state = schema.stateFields.map(\.key)
        return schema.objectFields.map(\.spec.key) + state.map { "old.\($0)" } + state.map { "new.\($0)" }
    }
}

// MARK: - Matching and environment

extension UMHRule {
    /// The fixed variables every command gets, after the rule's own (so the rule cannot override them).
    static let commonEnvironment = [("HOME", "/"), ("TERM", "Linux"), ("PATH", "/sbin:/usr/sbin:/bin:/usr/bin")]

    /// Whether `update` is of this rule's type and passes every filter the rule sets.
    public func matches(_ update: StateUpdate) -> Bool {
        guard let subject = type.schema.subject(of: update) else { return false }
        return filters.allSatisfy { path, pattern in subject[path].map(pattern.matches) ?? false }
    }

    /// The child's complete environment ("KEY=value"): nothing inherited, then the rule's variables, then
    /// `HOME`/`TERM`/`PATH`, then the event's variables. A later definition wins and takes the later place,
    /// so the rule cannot override the fixed or the event's variables. Empty for an update of another type.
    public func environment(for update: StateUpdate) -> [String] {
        let schema = type.schema
        guard let subject = schema.subject(of: update) else { return [] }
        let ruleVars = env.keys.sorted().map { ($0, env[$0] ?? "") }
        let all = ruleVars + Self.commonEnvironment + schema.environment(of: update, subject: subject)
        var seen = Set<String>()
        let lastDefinitions = all.reversed().filter { seen.insert($0.0).inserted }
        return lastDefinitions.reversed().map { "\($0.0)=\($0.1)" }
    }

    /// What the host must start for `update`.
    public func spawnRequest(for update: StateUpdate) -> SpawnRequest {
        SpawnRequest(argv: argv, environment: environment(for: update), captureOutput: true)
    }
}
