import ReactorCore

/// One `[[umh]]` section: four arrays of rules.
///
/// Equality is the plugin's identity on reload: an unchanged section keeps its running plugin (and its
/// running commands), a changed one is stopped and started anew.
public struct UMHConfig: Hashable, Sendable {
    public var resource: [UMHRule]
    public var device: [UMHRule]
    public var peerdevice: [UMHRule]
    public var connection: [UMHRule]

    public init(resource: [UMHRule] = [], device: [UMHRule] = [], peerdevice: [UMHRule] = [], connection: [UMHRule] = []) {
        self.resource = resource
        self.device = device
        self.peerdevice = peerdevice
        self.connection = connection
    }

    /// The rules of one type, in config order.
    public subscript(type: UMHRuleType) -> [UMHRule] {
        get {
            switch type {
            case .resource: resource
            case .device: device
            case .peerdevice: peerdevice
            case .connection: connection
            }
        }
        set {
            switch type {
            case .resource: resource = newValue
            case .device: device = newValue
            case .peerdevice: peerdevice = newValue
            case .connection: connection = newValue
            }
        }
    }

    /// Every rule, type by type, each in config order.
    public var rules: [UMHRule] { UMHRuleType.allCases.flatMap { self[$0] } }

    /// The rules `update` fires, in config order (only rules of the update's type can match).
    public func rules(matching update: StateUpdate) -> [UMHRule] {
        rules.filter { $0.matches(update) }
    }

    /// Decodes one `[[umh]]` table. The deprecated plugin `id` (replaced by config identity in 1.2.0) is
    /// accepted and ignored so that old snippets still load.
    public static func decode(_ reader: TableReader) throws -> UMHConfig {
        var r = reader
        _ = r.value("id")
        var config = UMHConfig()
        for type in UMHRuleType.allCases {
            config[type] = try r.tables(type.rawValue).map { try UMHRule.decode($0, type: type) }
        }
        try r.finish()
        return config
    }

    /// The section as TOML (`[[umh]]` then one `[[umh.<type>]]` per rule) with defaults written out;
    /// parsing and decoding it gives an equal config. Used by the SIGUSR1 dump.
    public func tomlSnippet() -> String {
        (["[[umh]]\n"] + rules.map { $0.toml() }).joined(separator: "\n")
    }
}
