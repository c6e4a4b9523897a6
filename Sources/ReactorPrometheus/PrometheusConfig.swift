import ReactorCore

/// One `[[prometheus]]` table.
///
/// Hashable because a plugin's identity is its whole config: a reload restarts an
/// instance exactly when its table changed, including the deprecated `id`.
public struct PrometheusConfig: Hashable, Sendable {
    /// Where to listen; default `:9942` (every address, IPv6 first, IPv4 as fallback).
    public var address: ListenAddress
    /// Export the enum-style state families (`drbd_resource_role`, ...): one series per possible value.
    public var enums: Bool
    /// Deprecated and ignored apart from identity; the host warns `'id' is deprecated and ignored!`.
    public var id: String?

    public static let defaultAddress = ListenAddress.any(port: 9942)

    public init(address: ListenAddress = Self.defaultAddress, enums: Bool = false, id: String? = nil) {
        self.address = address
        self.enums = enums
        self.id = id
    }

    /// Decodes one table strictly: unknown keys and malformed addresses are errors naming file, line, key.
    public static func decode(_ reader: TableReader) throws -> PrometheusConfig {
        var r = reader
        let address = try r.optionalParsed("address", ListenAddress.init(parsing:)) ?? defaultAddress
        let enums = try r.bool("enums", default: false)
        let id = try r.optionalString("id")
        try r.finish()
        return PrometheusConfig(address: address, enums: enums, id: id)
    }

    /// This config as a `[[prometheus]]` table that `decode` reads back to an equal value (SIGUSR1 dump,
    /// `drbd-reactorctl`).
    public func tomlSnippet() -> String {
        var out = "[[prometheus]]\n"
        out += "address = \(TOMLWriter.quote(address.description))\n"
        out += "enums = \(enums)\n"
        if let id { out += "id = \(TOMLWriter.quote(id))\n" }
        return out
    }
}
