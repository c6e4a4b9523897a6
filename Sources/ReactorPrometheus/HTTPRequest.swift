import ReactorCore

/// Parsing of one HTTP/1.x request head (RFC 9112), just enough for a metrics endpoint.
///
/// The parser is strict where leniency could be abused (header names, obsolete line folding, request line
/// shape, conflicting Content-Length) and lenient where clients differ harmlessly (bare LF line ends,
/// empty lines before the request line, no Host header).

/// A parsed request head.
struct HTTPRequest: Equatable {
    enum Version: Equatable {
        case http10, http11
    }

    var method: String
    /// The path of the target without query string (`/metrics`).
    var path: String
    var version: Version
    /// Tokens of all `Connection` headers, lowercased.
    var connectionTokens: Set<String> = []
    /// Whether `Accept-Encoding` allows gzip (listed with q > 0, or `*` with q > 0 and gzip not excluded).
    var acceptsGzip = false
    /// Bytes of body announced by `Content-Length` (0 when absent).
    var contentLength = 0
    /// Whether a `Transfer-Encoding` header was present: a body of unknown length follows.
    var hasTransferEncoding = false

    /// Whether the connection stays open after the response: HTTP/1.1 unless `close`, HTTP/1.0 only with
    /// `keep-alive`.
    var keepAlive: Bool {
        switch version {
        case .http11: !connectionTokens.contains("close")
        case .http10: connectionTokens.contains("keep-alive") && !connectionTokens.contains("close")
        }
    }
}

/// The result of looking at the start of the input buffer.
enum HTTPParseResult: Equatable {
    /// The head is not complete yet.
    case incomplete
    /// A complete head of `length` bytes (including the empty line).
    case request(HTTPRequest, length: Int)
    /// The bytes cannot become a valid request; answer with this status and close.
    case failure(HTTPStatus)
}

enum HTTPRequestParser {
    /// Looks for a complete request head at the start of `buffer`, after any empty lines.
    /// `headEnd` is where the empty line ending the head was found, if known (see `findHeadEnd`).
    static func parse(_ buffer: ArraySlice<UInt8>, headEnd: Int?, limits: HTTPLimits) -> HTTPParseResult {
        guard let headEnd else {
            let lineLength = buffer.firstIndex(of: lineFeed).map { $0 - buffer.startIndex } ?? buffer.count
            if lineLength > limits.maxRequestLine { return .failure(.uriTooLong) }
            return buffer.count > limits.maxHeadBytes ? .failure(.headerFieldsTooLarge) : .incomplete
        }
        guard headEnd - buffer.startIndex <= limits.maxHeadBytes else { return .failure(.headerFieldsTooLarge) }
        var lines = buffer[buffer.startIndex..<headEnd].split(separator: lineFeed, omittingEmptySubsequences: false)
            .map { $0.last == carriageReturn ? $0.dropLast() : $0 }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { return .failure(.badRequest) }
        guard first.count <= limits.maxRequestLine else { return .failure(.uriTooLong) }
        var request: HTTPRequest
        switch requestLine(first) {
        case .success(let r): request = r
        case .failure(let status): return .failure(status)
        }
        for line in lines.dropFirst() {
            guard header(line, into: &request) else { return .failure(.badRequest) }
        }
        return .request(request, length: headEnd - buffer.startIndex)
    }

    /// The index just past the empty line that ends a head starting at `buffer.startIndex`, searching
    /// from `from` (so a trickled head is not scanned again from the start on every byte).
    static func findHeadEnd(_ buffer: ArraySlice<UInt8>, from: Int) -> Int? {
        var i = min(max(from, buffer.startIndex), buffer.endIndex)
        while let lf = buffer[i...].firstIndex(of: lineFeed) {
            // An empty line is LF right after the previous LF, or CR LF right after it.
            let next = lf + 1
            if next < buffer.endIndex, buffer[next] == lineFeed { return next + 1 }
            if next + 1 < buffer.endIndex, buffer[next] == carriageReturn, buffer[next + 1] == lineFeed { return next + 2 }
            i = next
        }
        return nil
    }

    /// Count of empty lines (CRLF or LF) at the start, which RFC 9112 lets a server skip.
    static func leadingEmptyLines(_ buffer: ArraySlice<UInt8>) -> Int {
        var i = buffer.startIndex
        while i < buffer.endIndex {
            if buffer[i] == lineFeed {
                i += 1
            } else if buffer[i] == carriageReturn, i + 1 < buffer.endIndex, buffer[i + 1] == lineFeed {
                i += 2
            } else {
                break
            }
        }
        return i - buffer.startIndex
    }

    // MARK: - Pieces

    private static let lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    /// `METHOD SP target SP HTTP/1.x`, single spaces, a token method.
    private static func requestLine(_ line: ArraySlice<UInt8>) -> Result<HTTPRequest, HTTPStatus> {
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(isTokenCharacter), let path = path(of: parts[1])
        else { return .failure(.badRequest) }
        return version(parts[2]).map {
            HTTPRequest(method: String(decoding: parts[0], as: UTF8.self), path: path, version: $0)
        }
    }

    /// HTTP/1.0 and 1.1 are served (other 1.x minors as 1.1); other majors get 505; anything else is 400.
    private static func version(_ text: ArraySlice<UInt8>) -> Result<HTTPRequest.Version, HTTPStatus> {
        let v = Array(text)
        guard v.count == 8, v.starts(with: "HTTP/".utf8), v[6] == UInt8(ascii: "."), isDigit(v[5]), isDigit(v[7]) else {
            return .failure(.badRequest)
        }
        guard v[5] == UInt8(ascii: "1") else { return .failure(.httpVersionNotSupported) }
        return .success(v[7] == UInt8(ascii: "0") ? .http10 : .http11)
    }

    /// The path of an origin-form (`/p?q`) or absolute-form (`http://h/p`) target; other forms
    /// (authority, `*`) are not meaningful here and give `nil` (400).
    private static func path(of target: ArraySlice<UInt8>) -> String? {
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
        var rest = target
        for scheme in ["http://", "https://"] where rest.count > scheme.utf8.count {
            if rest.prefix(scheme.utf8.count).lowercasedASCII.elementsEqual(scheme.utf8) {
                rest = rest.dropFirst(scheme.utf8.count)
                rest = rest[(rest.firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex)...]
                if rest.isEmpty { return "/" }
            }
        }
        guard rest.first == UInt8(ascii: "/") else { return nil }
        let end = rest.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        return String(decoding: rest[..<end], as: UTF8.self)
    }

    /// One `name: value` line; false when malformed (no colon, space before it, folded line, bad value).
    private static func header(_ line: ArraySlice<UInt8>, into request: inout HTTPRequest) -> Bool {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[..<colon].allSatisfy(isTokenCharacter)
        else { return false }
        let name = String(decoding: line[..<colon].lowercasedASCII, as: UTF8.self)
        let value = line[(colon + 1)...].trimmingBlanks
        guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7f }) else { return false }
        switch name {
        case "connection":
            request.connectionTokens.formUnion(listElements(value).map { String(decoding: $0.lowercasedASCII, as: UTF8.self) })
        case "accept-encoding":
            request.acceptsGzip = acceptsGzip(value, previously: request.acceptsGzip)
        case "content-length":
            guard let length = contentLength(value), request.contentLength == 0 || request.contentLength == length
            else { return false }
            request.contentLength = length
        case "transfer-encoding":
            request.hasTransferEncoding = true
        default:
            break
        }
        return true
    }

    /// Digits only, up to 18 of them (anything larger is refused as a body anyway).
    private static func contentLength(_ value: ArraySlice<UInt8>) -> Int? {
        guard !value.isEmpty, value.count <= 18, value.allSatisfy(isDigit) else { return nil }
        return value.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// RFC 9110 12.5.3: `gzip` (or `x-gzip`) with q > 0, or `*` with q > 0 when gzip is not listed.
    static func acceptsGzip(_ value: ArraySlice<UInt8>, previously: Bool) -> Bool {
        var explicit: Bool?
        var wildcard: Bool?
        for element in listElements(value) {
            let params = element.split(separator: UInt8(ascii: ";")).map(\.trimmingBlanks)
            guard let coding = params.first?.lowercasedASCII else { continue }
            let allowed = !params.dropFirst().contains(where: isZeroQuality)
            if coding.elementsEqual("gzip".utf8) || coding.elementsEqual("x-gzip".utf8) {
                explicit = (explicit ?? false) || allowed
            } else if coding.elementsEqual("*".utf8) {
                wildcard = allowed
            }
        }
        return explicit ?? wildcard ?? previously
    }

    /// `q=0`, `q=0.`, `q=0.0`, `q=0.00`, `q=0.000` (case-insensitive q).
    private static func isZeroQuality(_ param: ArraySlice<UInt8>) -> Bool {
        let p = param.lowercasedASCII.filter { $0 != UInt8(ascii: " ") }
        guard p.starts(with: "q=0".utf8) else { return false }
        let rest = p.dropFirst(3)
        return rest.isEmpty || (rest.first == UInt8(ascii: ".") && rest.dropFirst().allSatisfy { $0 == UInt8(ascii: "0") })
    }

    /// Elements of a comma-separated header list, trimmed, empty ones dropped.
    private static func listElements(_ value: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        value.split(separator: UInt8(ascii: ",")).map(\.trimmingBlanks).filter { !$0.isEmpty }
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }
}

extension ArraySlice<UInt8> {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingBlanks: ArraySlice<UInt8> {
        let blank = { (c: UInt8) in c == 0x20 || c == 0x09 }
        guard let start = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return [] }
        return self[start...last]
    }

    /// ASCII letters lowercased, other bytes unchanged.
    fileprivate var lowercasedASCII: [UInt8] {
        map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
    }
}
