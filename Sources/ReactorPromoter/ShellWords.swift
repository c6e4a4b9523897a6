import ReactorCore

/// Splits text into words the way a POSIX shell would (without expansions), for OCF agent arguments
/// (`ocf:heartbeat:IPaddr2 ip ip=10.0.0.1 "name=with space"`): blanks and newlines separate words,
/// single quotes are literal, double quotes allow `\` before `$`, `` ` ``, `"`, `\` and newline, a
/// backslash outside quotes takes the next character literally (and joins lines before a newline).
public enum ShellWords {
    /// Why a text could not be split.
    public enum SplitError: Error, Hashable, Sendable, CustomStringConvertible {
        case unterminatedQuote

        public var description: String { "missing closing quote" }
    }

    public static func split(_ text: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var chars = text.makeIterator()
        while let c = chars.next() {
            switch c {
            case " ", "\t", "\n", "\r", "\r\n":
                if inWord { words.append(word) }
                word = ""
                inWord = false
            case "'":
                inWord = true
                var closed = false
                while let q = chars.next() {
                    if q == "'" { closed = true; break }
                    word.append(q)
                }
                guard closed else { throw .unterminatedQuote }
            case "\"":
                inWord = true
                try doubleQuoted(&chars, into: &word)
            case "\\":
                guard let next = chars.next() else { word.append("\\"); inWord = true; continue }
                if next != "\n" {
                    word.append(next)
                    inWord = true
                }
            default:
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// The rest of a double-quoted part, after its opening quote.
    private static func doubleQuoted(_ chars: inout String.Iterator, into word: inout String) throws(SplitError) {
        while let q = chars.next() {
            switch q {
            case "\"": return
            case "\\":
                guard let next = chars.next() else { throw .unterminatedQuote }
                switch next {
                case "$", "`", "\"", "\\": word.append(next)
                case "\n": break
                default: word += "\\" + String(next)
                }
            default: word.append(q)
            }
        }
        throw .unterminatedQuote
    }
}
