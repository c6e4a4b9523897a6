import ReactorCore

/// The Prometheus text format (version 0.0.4), appended into one byte buffer.
///
/// Rendering thousands of samples must take milliseconds, so nothing here builds intermediate strings:
/// names and label sets are appended as bytes, integers are written digit by digit, and label sets of
/// an object are escaped once and reused for each of its families.

/// A metric family: name, type and our own HELP text (plain text without backslashes or newlines).
public struct MetricFamily: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case gauge, counter
    }

    public let name: String
    public let kind: Kind
    public let help: String
    /// `name` as bytes, appended to every sample line.
    public let nameBytes: [UInt8]
    /// The `# HELP` and `# TYPE` lines.
    public let headerBytes: [UInt8]

    public init(_ name: String, _ kind: Kind, _ help: String) {
        self.name = name
        self.kind = kind
        self.help = help
        nameBytes = Array(name.utf8)
        headerBytes = Array("# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n".utf8)
    }
}

/// A sample value: integers stay exact (byte counters beyond 2^53), floats only where the unit is seconds.
public enum MetricValue: Hashable, Sendable {
    case unsigned(UInt64)
    case signed(Int64)
    case float(Double)

    public static func bool(_ b: Bool) -> MetricValue { .unsigned(b ? 1 : 0) }
    /// DRBD prints sizes and I/O in KiB; Prometheus wants bytes.
    public static func kibibytes(_ v: UInt64) -> MetricValue { .unsigned(v.multipliedSaturating(by: 1024)) }
    /// DRBD prints in-flight data in 512-byte sectors.
    public static func sectors(_ v: UInt64) -> MetricValue { .unsigned(v.multipliedSaturating(by: 512)) }
}

extension UInt64 {
    fileprivate func multipliedSaturating(by m: UInt64) -> UInt64 {
        let (r, overflow) = multipliedReportingOverflow(by: m)
        return overflow ? .max : r
    }
}

/// Where exposition text goes. The line syntax (`header`, `sample`) is written once, in the extension,
/// for every output: a byte buffer (`ExpositionWriter`) and a counter that only adds up lengths
/// (`ExpositionByteCounter`), so the length a streamed body announces in Content-Length is, by
/// construction, the length of the bytes it later produces.
public protocol ExpositionOutput {
    /// Bytes written so far.
    var count: Int { get }
    mutating func write(_ bytes: [UInt8])
    mutating func write(_ bytes: ArraySlice<UInt8>)
    mutating func write(byte: UInt8)
    /// `v` in decimal.
    mutating func writeDecimal(_ v: UInt64)
}

extension ExpositionOutput {
    /// `# HELP` then `# TYPE`, the order Prometheus' own clients use.
    public mutating func header(_ family: MetricFamily) {
        write(family.headerBytes)
    }

    /// One sample line: `name{labels,extra} value`. `labels` is an already escaped `k="v",...` list
    /// (see `labelSet`); `extra` an already escaped `k="v"` pair; either may be empty.
    @inline(__always)
    public mutating func sample(_ name: [UInt8], labels: ArraySlice<UInt8>, extra: [UInt8] = [], _ value: MetricValue) {
        write(name)
        if !labels.isEmpty || !extra.isEmpty {
            write(byte: UInt8(ascii: "{"))
            write(labels)
            if !labels.isEmpty && !extra.isEmpty { write(byte: UInt8(ascii: ",")) }
            write(extra)
            write(byte: UInt8(ascii: "}"))
        }
        write(byte: UInt8(ascii: " "))
        append(value)
        write(byte: UInt8(ascii: "\n"))
    }

    public mutating func append(_ s: String) { write(Array(s.utf8)) }

    public mutating func append(_ value: MetricValue) {
        switch value {
        case .unsigned(let v): writeDecimal(v)
        case .signed(let v):
            if v < 0 { write(byte: UInt8(ascii: "-")) }
            writeDecimal(v.magnitude)
        case .float(let v): append(v.isFinite ? "\(v)" : v.isNaN ? "NaN" : v < 0 ? "-Inf" : "+Inf")
        }
    }
}

/// Appends exposition text. `bytes` is the result.
public struct ExpositionWriter: ExpositionOutput {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public var count: Int { bytes.count }
    @inline(__always) public mutating func write(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    @inline(__always) public mutating func write(_ b: ArraySlice<UInt8>) { bytes.append(contentsOf: b) }
    @inline(__always) public mutating func write(byte: UInt8) { bytes.append(byte) }

    /// Writes `v` in decimal without allocating.
    public mutating func writeDecimal(_ v: UInt64) {
        if v < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(v))
            return
        }
        let digits = ExpositionByteCounter.decimalDigits(v)
        let end = bytes.count + digits
        bytes.append(contentsOf: repeatElement(0, count: digits))
        var i = end, n = v
        while n > 0 {
            i -= 1
            bytes[i] = UInt8(ascii: "0") + UInt8(n % 10)
            n /= 10
        }
    }

    /// An escaped label list `k1="v1",k2="v2"`, built once per object and reused for all its samples.
    public static func labelSet(_ pairs: KeyValuePairs<String, String>) -> [UInt8] {
        var out: [UInt8] = []
        for (i, (key, value)) in pairs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendLabel(key, value, to: &out)
        }
        return out
    }

    /// One pair `k="v"`; in the value, backslash, double quote and newline are escaped as the format requires.
    public static func appendLabel(_ key: String, _ value: String, to out: inout [UInt8]) {
        out.append(contentsOf: key.utf8)
        out.append(contentsOf: "=\"".utf8)
        // Names and numbers almost never need escaping: then the value goes in as one copy.
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for c in value.utf8 {
            switch c {
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A single escaped pair, for the extra state label of enum families.
    public static func label(_ key: String, _ value: String) -> [UInt8] {
        var out: [UInt8] = []
        appendLabel(key, value, to: &out)
        return out
    }
}

/// Counts the bytes an exposition would take without producing them (see `ExpositionOutput`).
public struct ExpositionByteCounter: ExpositionOutput {
    public private(set) var count = 0

    public init() {}

    @inline(__always) public mutating func write(_ b: [UInt8]) { count += b.count }
    @inline(__always) public mutating func write(_ b: ArraySlice<UInt8>) { count += b.count }
    @inline(__always) public mutating func write(byte: UInt8) { count += 1 }
    @inline(__always) public mutating func writeDecimal(_ v: UInt64) { count += Self.decimalDigits(v) }

    /// How many digits `v` has in decimal (1 for 0).
    static func decimalDigits(_ v: UInt64) -> Int {
        var digits = 1, rest = v
        while rest >= 10 {
            digits += 1
            rest /= 10
        }
        return digits
    }
}
