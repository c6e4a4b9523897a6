/// Why one events2 line could not be turned into a record. The reader logs it (at debug level, with the
/// line) and skips the line; a bad line is never fatal.
public enum Events2ParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Nothing but whitespace.
    case emptyLine
    /// The first word is not `exists`, `create`, `change`, `destroy`, `rename`, `call` or `response`.
    case unknownVerb(String)
    /// A verb and nothing else.
    case missingObject(verb: Events2Verb)
    /// The second word is not an object events2 knows.
    case unknownObject(verb: Events2Verb, object: String)
    /// A known object under a verb that never carries it (`call resource`, `rename device`, `change -`).
    case verbObjectMismatch(verb: Events2Verb, object: String)
    /// An identity key (`name`, `volume`, `peer-node-id`, ...) is absent.
    case missingKey(object: String, key: String)
    /// A known key with an empty value (`role:`).
    case missingValue(key: String)
    /// A number that is not a decimal integer of the field's range.
    case badNumber(key: String, value: String)

    public var description: String {
        switch self {
        case .emptyLine: "empty line"
        case .unknownVerb(let v): "unknown event type '\(v)'"
        case .missingObject(let verb): "'\(verb.rawValue)' without an object"
        case .unknownObject(let verb, let object): "unknown object '\(object)' after '\(verb.rawValue)'"
        case .verbObjectMismatch(let verb, let object): "'\(verb.rawValue)' does not apply to '\(object)'"
        case .missingKey(let object, let key): "\(object) line without '\(key)'"
        case .missingValue(let key): "empty value for '\(key)'"
        case .badNumber(let key, let value): "'\(key)' is not a number in range: '\(value)'"
        }
    }
}
