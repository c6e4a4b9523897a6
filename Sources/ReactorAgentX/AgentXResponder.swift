import ReactorCore

/// Answers the master's requests from a MIB snapshot (RFC 2741 7.2): Get, GetNext and GetBulk with
/// values; TestSet refused with notWritable (the MIB is read-only); CommitSet and UndoSet answered with
/// their failure (they cannot follow a refused TestSet anyway); CleanupSet has no answer. A request for
/// a non-default context is answered with unsupportedContext: only the default context is registered.
enum AgentXResponder {
    /// The Response for `request`, or nil when none is due.
    static func answer(_ request: AgentXPDU, now: Instant, source: AgentXDataSource) -> AgentXPDU? {
        var error = AgentXError.noError
        var index: UInt16 = 0
        var varbinds: [VarBind] = []
        if request.context != nil {
            error = .unsupportedContext
        } else {
            switch request.payload {
            case .get(let ranges):
                let mib = source.snapshot(for: .get, now: now)
                varbinds = ranges.map { mib.get($0.start) }
            case .getNext(let ranges):
                let mib = source.snapshot(for: .walk, now: now)
                varbinds = ranges.map(mib.next)
                source.walked(varbinds, now: now)
            case .getBulk(let nonRepeaters, let maxRepetitions, let ranges):
                let mib = source.snapshot(for: .walk, now: now)
                varbinds = mib.bulk(
                    nonRepeaters: Int(nonRepeaters), maxRepetitions: Int(maxRepetitions), ranges,
                    limit: AgentXSession.maxBulkVarBinds)
                source.walked(varbinds, now: now)
            case .testSet(let vbs):
                error = .notWritable
                index = vbs.isEmpty ? 0 : 1
            case .commitSet:
                error = .commitFailed
            case .undoSet:
                error = .undoFailed
            default:
                return nil  // CleanupSet, and anything that is not a request
            }
        }
        return AgentXPDU(
            sessionID: request.sessionID, transactionID: request.transactionID, packetID: request.packetID,
            payload: .response(sysUpTime: 0, error: error.rawValue, index: index, varbinds))
    }
}
