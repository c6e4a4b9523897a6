import ReactorLoop
import ReactorSystem
import ReactorCore

/// Design note: log writes never stall the loop.
///
/// Every log sink (stderr, a `[[log]] file`, journald) writes through one `LogQueue`: the entry is
/// formatted, appended to a bounded queue and written at once on a non-blocking descriptor when nothing
/// is waiting. When the descriptor would block (a stderr pipe nobody reads, journald's receive queue
/// full) the rest stays queued and the queue waits for EPOLLOUT on the loop. Past `limit` bytes queued,
/// new entries are dropped and counted; once a write succeeds again, one entry saying how many were
/// dropped is queued behind what was waiting, which is where the gap is (drops only ever happen at the
/// tail). Before the queue is attached to a loop (start-up) nothing can wait for EPOLLOUT: each new
/// entry retries the queue instead. A regular file never reports EAGAIN; a write to a hung disk still
/// waits in the kernel, which no single-threaded daemon can avoid.
///
/// Ownership: the queue owns its descriptor for the process lifetime; its io source exists only while
/// it waits for EPOLLOUT.
public final class LogQueue {
    /// Where the bytes go.
    public enum Target {
        /// A byte stream (stderr, a log file): partial writes continue where they stopped.
        case stream(FileDescriptor)
        /// journald: one entry is one packed field list (`Journal.pack`), handed to `deliver`
        /// (sd_journal_sendv) when the probe socket, connected to `path` on demand, says journald has room.
        case journal(FileDescriptor, path: String, deliver: Journal.Delivery)
    }

    /// Queued bytes beyond which new entries are dropped.
    public static let defaultLimit = 1 << 20

    private let target: Target
    private let limit: Int
    private let dropNotice: (Int) -> [UInt8]
    private var entries: [[UInt8]] = []
    private var head = 0
    /// Bytes of `entries[head]` already written (streams only).
    private var written = 0
    private var queuedBytes = 0
    private var unreportedDrops = 0
    private var journalConnected = false
    private var loop: EventLoop?
    private var waiting: EventLoop.SourceID?

    /// Entries dropped since start (queue full, or the destination refused them).
    public private(set) var droppedCount = 0
    /// Bytes waiting to be written.
    public var pendingBytes: Int { queuedBytes - written }

    /// `dropNotice(n)` formats the entry reporting `n` dropped entries, in the sink's own format.
    public init(target: Target, limit: Int = LogQueue.defaultLimit, dropNotice: @escaping (Int) -> [UInt8]) {
        self.target = target
        self.limit = limit
        self.dropNotice = dropNotice
    }

    /// The descriptor is the queue's: it is unwatched and closed with it.
    deinit {
        stopWaiting()
        switch target {
        case .stream(let fd), .journal(let fd, _, _): fd.close()
        }
    }

    /// From now on, waits for EPOLLOUT on `loop` when the destination would block; writes what is queued.
    public func attach(to loop: EventLoop) {
        self.loop = loop
        flush()
    }

    /// Queues one formatted entry (dropped and counted when the queue is full) and writes what it can.
    public func enqueue(_ bytes: [UInt8]) {
        guard queuedBytes + bytes.count <= limit else {
            droppedCount += 1
            unreportedDrops += 1
            return
        }
        append(bytes)
        if waiting == nil { flush() }
    }

    private func append(_ bytes: [UInt8]) {
        entries.append(bytes)
        queuedBytes += bytes.count
    }

    /// Writes queued entries until the queue is empty or the destination would block.
    private func flush() {
        while head < entries.count {
            let progress: Bool
            do { progress = try writeHead() } catch {
                // The destination refused this entry (EPIPE, EMSGSIZE, no journald): drop it, go on.
                droppedCount += 1
                unreportedDrops += 1
                popHead()
                continue
            }
            guard progress else { return waitForWritable() }
            if unreportedDrops > 0 {
                append(dropNotice(unreportedDrops))
                unreportedDrops = 0
            }
        }
        entries.removeAll(keepingCapacity: false)
        head = 0
        stopWaiting()
    }

    /// Writes (part of) the head entry; false when the destination would block.
    private func writeHead() throws(Errno) -> Bool {
        let entry = entries[head]
        switch target {
        case .stream(let fd):
            let n = try fd.write(entry, from: written)
            guard n > 0 else { return false }
            written += n
            if written == entry.count { popHead() }
        case .journal(let socket, let path, let deliver):
            if !journalConnected {
                try Journal.connect(socket, to: path)
                journalConnected = true
            }
            do {
                guard try Journal.send(entry, probe: socket, deliver: deliver) else { return false }
            } catch {
                // journald restarted (its socket is a new one) or went away: connect anew next time.
                journalConnected = false
                throw error
            }
            popHead()
        }
        return true
    }

    private func popHead() {
        queuedBytes -= entries[head].count
        written = 0
        head += 1
        // Compact now and then so a long-lived queue does not keep every written entry.
        if head > 64 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }

    /// Drops the queued entries (a partly written one stays, so the stream gets no torn line), counted.
    private func dropQueued() {
        let keep = written > 0 ? 1 : 0
        let dropped = entries.count - head - keep
        guard dropped > 0 else { return }
        queuedBytes -= entries[(head + keep)...].reduce(0) { $0 + $1.count }
        entries.removeSubrange((head + keep)...)
        droppedCount += dropped
        unreportedDrops += dropped
    }

    private func waitForWritable() {
        guard waiting == nil, let loop else { return }
        let fd: FileDescriptor
        switch target {
        case .stream(let f), .journal(let f, _, _): fd = f
        }
        do {
            waiting = try loop.addIO(fd, events: .writable, name: "log writer") { [unowned self] _ in self.flush() }
        } catch {
            // Nothing would say when the destination takes bytes again, so what is queued is dropped
            // (counted: the notice of the next entry that goes through says how many). This queue is the
            // log itself; there is nowhere else to say it.
            dropQueued()
        }
    }

    private func stopWaiting() {
        guard let id = waiting else { return }
        loop?.removeIO(id)
        waiting = nil
    }
}
