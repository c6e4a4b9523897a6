/// Rejects, before the TOML library sees the text, the inputs on which that library (toml++ inside
/// TOMLKit 0.6.0) is not safe; fuzzing found both:
/// - a table header whose key does not start with a key character or quote (`[[[umh]]]`, `[=x]`): the
///   parser asserts it does, so a debug build aborts and a build without assertions has undefined
///   behaviour (the assertion becomes an optimizer assumption). A typo in a snippet must not end the
///   daemon on reload.
/// - a `}` where an array expects a value (`a = [1,}`): the same kind of assertion; any closing bracket
///   that does not match the open one is rejected.
/// - control characters, which TOML forbids everywhere (U+0000-U+0008, U+000B-U+001F except CR before
///   LF, U+007F): a NUL would also silently end the text handed over as a C string.
enum TOMLPrecheck {
    /// The first problem as (line, column, message), or nil when the library may parse `text`.
    static func problem(_ text: String) -> (line: Int, column: Int, message: String)? {
        var scanner = Scanner(bytes: Array(text.utf8))
        return scanner.run()
    }

    /// A scan that knows just enough TOML to tell a table header from an array value: strings and
    /// comments are skipped, brackets inside values counted.
    private struct Scanner {
        let bytes: [UInt8]
        var i = 0, line = 1, lineStart = 0
        /// Open `[` and `{` of the value being read; headers exist only when none is open.
        var open: [UInt8] = []
        var depth: Int { open.count }
        /// Whether the current line already had a key or `=` (a `[` after it opens an array).
        var inValue = false

        init(bytes: [UInt8]) { self.bytes = bytes }

        var column: Int { i - lineStart + 1 }

        mutating func run() -> (line: Int, column: Int, message: String)? {
            if let bad = controlCharacter() { return bad }
            // A byte order mark is no key: the library skips it.
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3; lineStart = 3 }
            while i < bytes.count {
                let b = bytes[i]
                switch b {
                case 0x0A:
                    i += 1; line += 1; lineStart = i
                    if depth == 0 { inValue = false }
                case UInt8(ascii: "#"):
                    while i < bytes.count && bytes[i] != 0x0A { i += 1 }
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    skipString(quote: b)
                    if depth == 0 { inValue = true }
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    if depth == 0 && !inValue && b == UInt8(ascii: "[") {
                        if let bad = header() { return bad }
                    } else {
                        open.append(b); i += 1
                    }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if let last = open.popLast(), last != (b == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")) {
                        return (line, column, "'\(Character(Unicode.Scalar(b)))' does not close '\(Character(Unicode.Scalar(last)))'")
                    }
                    i += 1
                case 0x20, 0x09, 0x0D:
                    i += 1
                default:
                    if depth == 0 { inValue = true }
                    i += 1
                }
            }
            return nil
        }

        /// At a header's `[`: the key must start with a key character or a quote (or be the blank key
        /// `]` the library reports itself).
        mutating func header() -> (line: Int, column: Int, message: String)? {
            i += 1
            skipBlanks()
            if i < bytes.count && bytes[i] == UInt8(ascii: "[") { i += 1; skipBlanks() }
            guard i < bytes.count else { return nil }
            let c = bytes[i]
            let keyStart = c.isASCIILetterOrDigit || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
                || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") || c == UInt8(ascii: "]")
            guard keyStart else { return (line, column, "a table header must start with a key") }
            // The rest of the header line is a key and brackets: read it as values would be read.
            inValue = true
            return nil
        }

        mutating func skipBlanks() {
            while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        }

        /// Skips a basic or literal string, single- or multi-line, counting lines.
        mutating func skipString(quote: UInt8) {
            let triple = i + 2 < bytes.count && bytes[i + 1] == quote && bytes[i + 2] == quote
            i += triple ? 3 : 1
            while i < bytes.count {
                let b = bytes[i]
                if b == 0x5C && quote == UInt8(ascii: "\"") { i += 2; continue }
                if b == 0x0A {
                    if !triple { return }
                    line += 1; lineStart = i + 1
                }
                if b == quote {
                    if !triple { i += 1; return }
                    if i + 2 < bytes.count && bytes[i + 1] == quote && bytes[i + 2] == quote {
                        i += 3
                        while i < bytes.count && bytes[i] == quote { i += 1 }
                        return
                    }
                }
                i += 1
            }
        }

        func controlCharacter() -> (line: Int, column: Int, message: String)? {
            var line = 1, column = 0, afterCR = false
            for byte in bytes {
                column += 1
                if afterCR && byte != 0x0A { return (line, column - 1, "a carriage return must be followed by a line feed") }
                afterCR = byte == 0x0D
                if byte == 0x0A { line += 1; column = 0 }
                if byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D || byte == 0x7F {
                    return (line, column, "control character (TOML allows only tab and line ends)")
                }
            }
            return afterCR ? (line, column, "a carriage return must be followed by a line feed") : nil
        }
    }
}

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A)
    }
}
