/// Turns one `drbdsetup events2` line into an `Events2Record`: a pure function on bytes.
///
/// Design: the line is never split into Strings. A cursor yields whitespace-separated tokens as slices
/// of the input; verbs, objects, keys and state words are matched as bytes (`ByteTable`); only values
/// the record keeps as text (names, addresses) become Strings. One generic key/value loop serves every
/// object kind; each kind only says which keys it has and how to store them (`Events2Fields`).
///
/// Grammar: `<verb> <object> key:value ...`, each token split at its first colon (so
/// `local:ipv6:[fd00::1]:7789` is key `local`, value `ipv6:[fd00::1]:7789`). Unknown keys are reported in
/// `unknownKeys`, never fatal; an unknown state word becomes `.other`. A line that cannot be a record
/// (garbage, unknown object, missing identity, bad number) is a typed `Events2ParseError`.
public enum Events2Parser {
    /// Parses one line (without its newline; a trailing `\r` or other whitespace is ignored).
    public static func parse(_ line: ArraySlice<UInt8>) throws(Events2ParseError) -> Events2Record {
        var tokens = Events2Tokens(line)
        guard let verbToken = tokens.next() else { throw .emptyLine }
        guard let verb = verbs.value(of: verbToken) else {
            throw .unknownVerb(String(decoding: verbToken, as: UTF8.self))
        }
        guard let objectToken = tokens.next() else { throw .missingObject(verb: verb) }
        guard let object = objects.value(of: objectToken) else {
            throw .unknownObject(verb: verb, object: String(decoding: objectToken, as: UTF8.self))
        }
        guard object.accepts(verb) else { throw .verbObjectMismatch(verb: verb, object: object.rawValue) }
        var unknown: [String] = []
        let parsed: Events2Object
        switch object {
        case .endMarker: parsed = .endOfInitialState
        case .resource: parsed = .resource(try fields(&tokens, &unknown))
        case .device: parsed = .device(try fields(&tokens, &unknown))
        case .connection: parsed = .connection(try fields(&tokens, &unknown))
        case .peerDevice: parsed = .peerDevice(try fields(&tokens, &unknown))
        case .path: parsed = .path(try fields(&tokens, &unknown))
        case .helper: parsed = .helper(try fields(&tokens, &unknown))
        }
        if verb == .rename, case .resource(let r) = parsed, r.newName == nil {
            throw .missingKey(object: "resource", key: Events2Resource.Key.newName.rawValue)
        }
        return Events2Record(verb: verb, object: parsed, unknownKeys: unknown)
    }

    /// Parses one line held in an array.
    public static func parse(_ line: [UInt8]) throws(Events2ParseError) -> Events2Record {
        try parse(line[...])
    }

    /// Parses one line given as text (tests, tools); the daemon feeds bytes.
    public static func parse(_ line: String) throws(Events2ParseError) -> Events2Record {
        try parse(Array(line.utf8)[...])
    }

    /// The single key/value loop: fills a placeholder record of kind `F` from the remaining tokens and
    /// checks that its identity keys were present.
    static func fields<F: Events2Fields>(
        _ tokens: inout Events2Tokens, _ unknown: inout [String]
    ) throws(Events2ParseError) -> F {
        var record = F(placeholder: ())
        var seen: UInt32 = 0
        var hint = 0
        while let token = tokens.next() {
            let colon = token.firstIndex(of: UInt8(ascii: ":")) ?? token.endIndex
            guard let index = F.keys.index(of: token[..<colon], hint: &hint) else {
                unknown.append(String(decoding: token[..<colon], as: UTF8.self))
                continue
            }
            let value = colon < token.endIndex ? token[(colon + 1)...] : token[colon...]
            try record.set(F.keys.values[index], Events2Value(bytes: value, key: F.keys.names[index]))
            seen |= 1 << UInt32(index)
        }
        let missing = F.requiredKeys & ~seen
        if missing != 0 {
            throw .missingKey(object: F.objectName, key: F.keys.names[missing.trailingZeroBitCount])
        }
        return record
    }

    /// The second word of a line.
    enum ObjectWord: String, CaseIterable, Sendable {
        case endMarker = "-", resource, device, connection, peerDevice = "peer-device", path, helper

        /// Which verbs DRBD prints with this object: helpers only with call/response, rename only for
        /// resources, `-` only after `exists`.
        func accepts(_ verb: Events2Verb) -> Bool {
            switch (self, verb) {
            case (.endMarker, .exists): true
            case (.endMarker, _): false
            case (.helper, .call), (.helper, .response): true
            case (.helper, _), (_, .call), (_, .response): false
            case (.resource, .rename): true
            case (_, .rename): false
            default: true
            }
        }
    }

    static let verbs = ByteTable(cases: Events2Verb.self)
    static let objects = ByteTable(cases: ObjectWord.self)
}

/// Yields the whitespace-separated tokens of a line as slices of it.
struct Events2Tokens {
    private let line: ArraySlice<UInt8>
    private var position: Int

    init(_ line: ArraySlice<UInt8>) {
        self.line = line
        position = line.startIndex
    }

    mutating func next() -> ArraySlice<UInt8>? {
        var i = position
        let end = line.endIndex
        while i < end, Self.isSpace(line[i]) { i += 1 }
        guard i < end else {
            position = end
            return nil
        }
        let start = i
        while i < end, !Self.isSpace(line[i]) { i += 1 }
        position = i
        return line[start..<i]
    }

    /// Space, tab, CR, LF, VT, FF.
    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
}
