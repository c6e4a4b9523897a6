import ReactorCore

/// One `[[agentx]]` table: the same keys and defaults as 1.x.
///
/// Hashable because a plugin's identity is its whole config: a reload restarts the subagent exactly when
/// its table changed.
public struct AgentXConfig: Hashable, Sendable {
    /// The master's AgentX socket; default `localhost:705`.
    public var address: AgentXAddress
    /// Seconds a MIB snapshot is served before a changed World is read again (default 60).
    public var cacheMax: Int64
    /// Seconds the master waits for an answer, sent in the Open PDU (one byte there: 0-255; 0 means the
    /// master's default). 1.x panicked on values over 255; here they are a config error.
    public var agentTimeout: UInt8
    /// Whether the peer columns (24-49) are served.
    public var peerStates: Bool

    public init(address: AgentXAddress = .default, cacheMax: Int64 = 60, agentTimeout: UInt8 = 60, peerStates: Bool = true) {
        self.address = address
        self.cacheMax = cacheMax
        self.agentTimeout = agentTimeout
        self.peerStates = peerStates
    }

    /// Decodes one table strictly: unknown keys, wrong types and out-of-range values are errors naming
    /// file, line and key.
    public static func decode(_ reader: TableReader) throws -> AgentXConfig {
        var r = reader
        let address = try r.optionalParsed("address", AgentXAddress.init(parsing:)) ?? .default
        let cacheMax = try r.integer("cache-max", default: 60, in: 0...31_536_000)
        let timeout = try r.integer("agent-timeout", default: 60, in: 0...255)
        let peerStates = try r.bool("peer-states", default: true)
        try r.finish()
        return AgentXConfig(address: address, cacheMax: cacheMax, agentTimeout: UInt8(timeout), peerStates: peerStates)
    }

    /// This config as an `[[agentx]]` table that `decode` reads back to an equal value (SIGUSR1 dump).
    public func tomlSnippet() -> String {
        var out = "[[agentx]]\n"
        out += "address = \(TOMLWriter.quote(address.description))\n"
        out += "cache-max = \(cacheMax)\n"
        out += "agent-timeout = \(agentTimeout)\n"
        out += "peer-states = \(peerStates)\n"
        return out
    }
}
