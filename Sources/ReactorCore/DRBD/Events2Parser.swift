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
    public static func parse(_ line: Span<UInt8>) throws(Events2ParseError) -> Events2Record {
        var tokens = Events2Tokens()
        guard let verbToken = tokens.next(line) else { throw .emptyLine }
        guard let verb = verbs.value(of: line, verbToken) else { throw .unknownVerb(text(line, verbToken)) }
        guard let objectToken = tokens.next(line) else { throw .missingObject(verb: verb) }
        guard let object = objects.value(of: line, objectToken) else {
            throw .unknownObject(verb: verb, object: text(line, objectToken))
        }
        guard object.accepts(verb) else { throw .verbObjectMismatch(verb: verb, object: object.rawValue) }
        var unknown: [String] = []
        let parsed: Events2Object
        switch object {
        case .endMarker: parsed = .endOfInitialState
        case .resource: parsed = .resource(try fields(line, &tokens, &unknown))
        case .device: parsed = .device(try fields(line, &tokens, &unknown))
        case .connection: parsed = .connection(try fields(line, &tokens, &unknown))
        case .peerDevice: parsed = .peerDevice(try fields(line, &tokens, &unknown))
        case .path: parsed = .path(try fields(line, &tokens, &unknown))
        case .helper: parsed = .helper(try fields(line, &tokens, &unknown))
        }
        if verb == .rename, case .resource(let r) = parsed, r.newName == nil {
            throw .missingKey(object: "resource", key: Events2Resource.Key.newName.rawValue)
        }
        return Events2Record(verb: verb, object: parsed, unknownKeys: unknown)
    }

    /// Parses one line held in (a slice of) an array, e.g. the reader's buffer.
    public static func parse(_ line: ArraySlice<UInt8>) throws(Events2ParseError) -> Events2Record {
        try parse(line.span)
    }

    /// Parses one line held in an array.
    public static func parse(_ line: [UInt8]) throws(Events2ParseError) -> Events2Record {
        try parse(line.span)
    }

    /// Parses one line given as text (tests, tools); the daemon feeds bytes.
    public static func parse(_ line: String) throws(Events2ParseError) -> Events2Record {
        try parse(Array(line.utf8).span)
    }

    /// The single key/value loop: fills a placeholder record of kind `F` from the remaining tokens and
    /// checks that its identity keys were present.
    static func fields<F: Events2Fields>(
        _ line: Span<UInt8>, _ tokens: inout Events2Tokens, _ unknown: inout [String]
    ) throws(Events2ParseError) -> F {
        let keys = F.keys  // once per line, not once per token (a static's lazy-init check)
        var record = F(placeholder: ())
        var seen: UInt32 = 0
        var hint = 0
        while let start = tokens.nextStart(line) {
            let token: Range<Int>, colon: Int, index: Int
            if let knownColon = keys.spellings.colon(ofKeyAt: start, in: line, entry: hint) {
                // The key DRBD prints next: no scan for the key's end, no table search.
                (token, colon, index) = (tokens.value(line, from: start, colon: knownColon), knownColon, hint)
                hint &+= 1
            } else {
                (token, colon) = tokens.keyValue(line, from: start)
                guard let found = keys.index(of: line, token.lowerBound..<colon, hint: &hint) else {
                    unknown.append(text(line, token.lowerBound..<colon))
                    continue
                }
                index = found
            }
            let key = keys.values[index]
            let value = min(colon + 1, token.upperBound)..<token.upperBound
            try record.set(key, Events2Value(range: value, key: key), line)
            seen |= 1 << UInt32(index)
        }
        let missing = F.requiredKeys & ~seen
        if missing != 0 {
            throw .missingKey(object: F.objectName, key: keys.names[missing.trailingZeroBitCount])
        }
        return record
    }

    private static func text(_ line: Span<UInt8>, _ range: Range<Int>) -> String {
        Events2Value<ObjectWord>.text(line, range)
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
