import ReactorCore

/// One HTTP client of a prometheus endpoint, as a pure state machine: bytes and time in, actions out.
///
/// Design note. The driver (the loop's socket code) owns the fd and calls:
/// - `receive` with whatever `read` returned, `endOfInput` on EOF;
/// - `writeDrained` once all bytes of earlier `.write` actions are sent;
/// - `timeout` when `deadline` has passed.
/// It carries out the returned actions in order. While a response is being written no further requests
/// are answered (bytes are only buffered, up to a limit), so a client that pipelines requests but never
/// reads gets at most one batch of responses buffered, and one that stops reading is cut at the write
/// deadline. A client that sends nothing or trickles bytes is cut at the header deadline. None of this
/// delays other connections: the driver never blocks on any of them.
public struct HTTPConnection {
    public let limits: HTTPLimits
    private var buffer: [UInt8] = []
    /// Where to resume looking for the end of the head in `buffer`.
    private var scanFrom = 0
    /// Body bytes of the last request still to be discarded.
    private var bodyToSkip = 0
    private var inputEnded = false
    /// Output was handed out and `writeDrained` has not been called yet.
    private var awaitingDrain = false
    private var phase: Phase = .open
    private var requestStart: Instant?
    private var idleSince: Instant
    private var writeStart: Instant = .zero
    private var served = 0

    private enum Phase {
        case open
        /// `.close` was returned; waiting for the output to drain.
        case closing
        case closed
    }

    public init(now: Instant, limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        idleSince = now
    }

    /// Whether the connection is finished (the driver has been told to close it).
    public var isClosed: Bool { phase == .closed }

    /// When the driver must call `timeout`, or nil when closed.
    public var deadline: Instant? {
        switch phase {
        case .closed: return nil
        case .closing: return writeStart + limits.writeTimeout
        case .open:
            if awaitingDrain { return writeStart + limits.writeTimeout }
            if let requestStart { return requestStart + limits.headerTimeout }
            return idleSince + (served == 0 ? limits.headerTimeout : limits.idleTimeout)
        }
    }

    /// Bytes arrived from the client.
    public mutating func receive(_ bytes: [UInt8], now: Instant, source: some MetricsSource) -> [HTTPConnectionAction] {
        guard phase == .open, !inputEnded, !bytes.isEmpty else { return [] }
        if requestStart == nil { requestStart = now }
        buffer += bytes
        return process(now: now, source: source)
    }

    /// The client closed its sending side: answer what is complete, then close.
    public mutating func endOfInput(now: Instant, source: some MetricsSource) -> [HTTPConnectionAction] {
        guard phase == .open else { return [] }
        inputEnded = true
        return process(now: now, source: source)
    }

    /// Everything written so far was sent: go on with buffered requests or wait for the next one.
    public mutating func writeDrained(now: Instant, source: some MetricsSource) -> [HTTPConnectionAction] {
        guard awaitingDrain else { return [] }
        awaitingDrain = false
        if phase == .closing {
            phase = .closed
            return []
        }
        idleSince = now
        if requestStart != nil { requestStart = now }
        return process(now: now, source: source)
    }

    /// The deadline passed: 408 for a request that did not complete in time, a silent close when idle,
    /// an abort when the client does not read what we wrote.
    public mutating func timeout(now: Instant) -> [HTTPConnectionAction] {
        guard let deadline, now >= deadline else { return [] }
        if awaitingDrain || phase == .closing {
            phase = .closed
            return [.abort]
        }
        if requestStart != nil {
            return finish(HTTPResponse(error: .requestTimeout).serialized(head: false, connection: .close), now: now)
        }
        phase = .closed
        return [.close]
    }

    // MARK: - Processing

    /// Answers complete requests in order until the input runs out, a batch of output is full, or the
    /// connection must close.
    private mutating func process(now: Instant, source: some MetricsSource) -> [HTTPConnectionAction] {
        if awaitingDrain {
            // The client keeps sending while not reading our answers: stop it before it costs memory.
            guard buffer.count <= limits.maxBufferedBytes else {
                phase = .closed
                return [.abort]
            }
            return []
        }
        var out = ByteChunks()
        var close = false
        while out.count < limits.outputBatchBytes {
            discardBody()
            guard bodyToSkip == 0, !buffer.isEmpty else { break }
            let result = parseNext()
            guard case .request(let request, let length) = result else {
                if case .failure(let status) = result {
                    out.append(contentsOf: HTTPResponse(error: status).serialized(head: false, connection: .close))
                    close = true
                }
                break
            }
            let keepAlive = request.keepAlive && !request.hasTransferEncoding && request.contentLength <= limits.maxBodyBytes
            bodyToSkip = request.contentLength
            consume(length, now: now)
            out.append(contentsOf: respond(to: request, keepAlive: keepAlive, source: source))
            served += 1
            if !keepAlive {
                close = true
                break
            }
        }
        // After EOF nothing more can complete, unless answers are pending because the batch was full.
        if inputEnded && !close && (buffer.isEmpty || out.count < limits.outputBatchBytes) { close = true }
        if close { return finish(out, now: now) }
        guard !out.isEmpty else { return [] }
        awaitingDrain = true
        writeStart = now
        return [.write(out)]
    }

    /// Writes `out` (if any) and closes after it.
    private mutating func finish(_ out: ByteChunks, now: Instant) -> [HTTPConnectionAction] {
        guard !out.isEmpty else {
            phase = .closed
            return [.close]
        }
        phase = .closing
        awaitingDrain = true
        writeStart = now
        return [.write(out), .close]
    }

    /// Skips leading empty lines and parses the head at the start of the buffer.
    private mutating func parseNext() -> HTTPParseResult {
        let empty = HTTPRequestParser.leadingEmptyLines(buffer[...])
        if empty > 0 {
            buffer.removeFirst(empty)
            scanFrom = 0
        }
        let headEnd = HTTPRequestParser.findHeadEnd(buffer[...], from: scanFrom)
        let result = HTTPRequestParser.parse(buffer[...], headEnd: headEnd, limits: limits)
        // The last 3 bytes may be the start of an empty line that the next bytes complete.
        if result == .incomplete { scanFrom = max(0, buffer.count - 3) }
        return result
    }

    /// Drops a parsed head; what remains is the start of the next request (pipelining).
    private mutating func consume(_ length: Int, now: Instant) {
        buffer.removeFirst(length)
        scanFrom = 0
        requestStart = buffer.isEmpty && bodyToSkip == 0 ? nil : now
    }

    /// Drops announced body bytes as they arrive (bodies mean nothing to us).
    private mutating func discardBody() {
        let n = min(bodyToSkip, buffer.count)
        guard n > 0 else { return }
        buffer.removeFirst(n)
        bodyToSkip -= n
        if buffer.isEmpty && bodyToSkip == 0 { requestStart = nil }
    }

    /// The response to one request: GET/HEAD on `/metrics` and `/`, 404 elsewhere, 405 for other methods.
    private func respond(to request: HTTPRequest, keepAlive: Bool, source: some MetricsSource) -> ByteChunks {
        let head = request.method == "HEAD"
        let connection: HTTPResponse.ConnectionHeader =
            !keepAlive ? .close : request.version == .http10 ? .keepAlive : .none
        var response: HTTPResponse
        switch request.path {
        case "/metrics":
            let gzip = request.acceptsGzip
            response = HTTPResponse(
                status: .ok, contentType: HTTPResponse.metricsContentType,
                headers: gzip ? ["Content-Encoding": "gzip", "Vary": "Accept-Encoding"] : ["Vary": "Accept-Encoding"],
                body: ByteChunks())
            if head || request.method == "GET" { response.body = source.metricsBody(gzip: gzip) }
        case "/":
            response = HTTPResponse.indexPage
        default:
            response = HTTPResponse(error: .notFound)
        }
        if response.status == .ok && !head && request.method != "GET" {
            response = HTTPResponse(error: .methodNotAllowed, headers: ["Allow": "GET, HEAD"])
        }
        return response.serialized(head: head, connection: connection)
    }
}

/// What the driver does for a connection, in order.
public enum HTTPConnectionAction: Hashable, Sendable {
    /// Queue these bytes for sending (in chunks that share the cached buffers; see `ByteChunks`).
    case write(ByteChunks)
    /// Close once everything queued has been sent (or the machine's deadline passes).
    case close
    /// Close now and drop unsent bytes: the client stopped reading.
    case abort
}

/// Bounds that keep one client from costing much memory or time.
public struct HTTPLimits: Hashable, Sendable {
    /// Longest request line (method, target, version); beyond it: 414.
    public var maxRequestLine = 4096
    /// Largest request head (request line and headers); beyond it: 431.
    public var maxHeadBytes = 8192
    /// Request bodies up to this size are read and discarded; a larger one closes the connection after
    /// the response.
    public var maxBodyBytes = 64 * 1024
    /// Stop answering pipelined requests once this much output is queued, until it drained.
    public var outputBatchBytes = 64 * 1024
    /// Input buffered while output is pending; beyond it the connection is aborted.
    public var maxBufferedBytes = 64 * 1024
    /// A request head must be complete this long after its first byte (or after connect).
    public var headerTimeout: Duration = .seconds(10)
    /// A kept-alive connection may stay silent this long between requests.
    public var idleTimeout: Duration = .seconds(60)
    /// Queued output must drain within this time.
    public var writeTimeout: Duration = .seconds(30)

    public init() {}
}
