import ReactorCore

/// The status codes the metrics endpoint answers with.
public enum HTTPStatus: Int, Error, Hashable, Sendable {
    case ok = 200
    case badRequest = 400
    case notFound = 404
    case methodNotAllowed = 405
    case requestTimeout = 408
    case uriTooLong = 414
    case headerFieldsTooLarge = 431
    case httpVersionNotSupported = 505

    public var reason: String {
        switch self {
        case .ok: "OK"
        case .badRequest: "Bad Request"
        case .notFound: "Not Found"
        case .methodNotAllowed: "Method Not Allowed"
        case .requestTimeout: "Request Timeout"
        case .uriTooLong: "URI Too Long"
        case .headerFieldsTooLarge: "Request Header Fields Too Large"
        case .httpVersionNotSupported: "HTTP Version Not Supported"
        }
    }
}

/// A response about to be serialized. Content-Length is always sent (also for HEAD, where it is the
/// length the GET body would have), so keep-alive clients know where the next response starts.
struct HTTPResponse {
    /// The exposition format version Prometheus negotiates on.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    var status: HTTPStatus
    var headers: KeyValuePairs<String, String> = [:]
    var contentType = "text/plain; charset=utf-8"
    var body: ByteChunks

    /// A short plain-text page for an error status.
    init(error status: HTTPStatus, headers: KeyValuePairs<String, String> = [:]) {
        self.status = status
        self.headers = headers
        body = ByteChunks(Array("\(status.rawValue) \(status.reason)\n".utf8))
    }

    init(status: HTTPStatus, contentType: String, headers: KeyValuePairs<String, String> = [:], body: ByteChunks) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// How the response tells the client about the connection's future.
    enum ConnectionHeader {
        /// HTTP/1.1 keep-alive: the default, no header.
        case none
        /// An HTTP/1.0 client asked for keep-alive and gets it.
        case keepAlive
        case close
    }

    /// Status line and headers, then (unless `head`) the body's chunks, shared rather than copied.
    func serialized(head: Bool, connection: ConnectionHeader) -> ByteChunks {
        var text = "HTTP/1.1 \(status.rawValue) \(status.reason)\r\n"
        text += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        switch connection {
        case .none: break
        case .keepAlive: text += "Connection: keep-alive\r\n"
        case .close: text += "Connection: close\r\n"
        }
        text += "\r\n"
        var out = ByteChunks(Array(text.utf8))
        if !head { out.append(contentsOf: body) }
        return out
    }

    /// The page at `/`, for humans who open the endpoint in a browser.
    static let indexPage = HTTPResponse(
        status: .ok, contentType: "text/html; charset=utf-8",
        body: ByteChunks(Array(
            """
            <!DOCTYPE html>
            <html><head><title>drbd-reactor</title></head>
            <body><h1>drbd-reactor</h1><p><a href="/metrics">Metrics</a></p></body></html>

            """.utf8)))
}
