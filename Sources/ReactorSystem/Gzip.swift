import CZlib
import ReactorCore

/// gzip (RFC 1952) through zlib, for `Content-Encoding: gzip` responses.
///
/// Design note: a /metrics body is a large part that changes only when the World changes (the DRBD
/// section, cached) followed by a small part that changes on every scrape (process and health metrics).
/// Compressing the large part again on each scrape would waste the cache, so parts are compressed as
/// separate raw deflate *chunks* and joined, the way pigz does it: every chunk but the last ends with a
/// sync flush (an empty stored block, so it ends on a byte boundary and is not final), the last with
/// Z_FINISH; the gzip trailer's CRC is combined from the chunks' CRCs with `crc32_combine`. A later
/// chunk never refers back into an earlier one, so the concatenation is one valid deflate stream.
public enum Gzip {
    /// One raw deflate chunk with what the gzip trailer needs about its input.
    public struct Chunk: Hashable, Sendable {
        public var deflated: [UInt8]
        public var crc: UInt32
        public var inputLength: Int
        /// Whether the chunk ends the stream (Z_FINISH) rather than with a sync flush.
        public var isFinal: Bool
    }

    /// `bytes` as one gzip member.
    public static func compress(_ bytes: [UInt8]) -> [UInt8] {
        join([deflate(bytes, final: true)])
    }

    /// Joins chunks into one gzip member (a copy; see `member` for the parts without one).
    public static func join(_ chunks: [Chunk]) -> [UInt8] {
        let parts = member(chunks)
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { out += part }
        return out
    }

    /// One gzip member as buffers to send one after the other: header, each chunk's deflate data (the
    /// chunk's own buffer, shared, not copied), trailer. Every chunk but the last must be non-final and
    /// the last must be final; a sequence that breaks this would decode wrongly, so it is caught in
    /// debug builds.
    public static func member(_ chunks: [Chunk]) -> [[UInt8]] {
        assert(chunks.last?.isFinal == true && chunks.dropLast().allSatisfy { !$0.isFinal }, "only the last chunk may be final")
        var crc: uLong = 0
        var length = 0
        for chunk in chunks {
            crc = crc32_combine(crc, uLong(chunk.crc), Int(chunk.inputLength))
            length += chunk.inputLength
        }
        var trailer: [UInt8] = []
        appendLittleEndian(UInt32(truncatingIfNeeded: crc), to: &trailer)
        appendLittleEndian(UInt32(truncatingIfNeeded: length), to: &trailer)  // ISIZE is the length mod 2^32
        return [header] + chunks.map(\.deflated) + [trailer]
    }

    /// ID1 ID2 CM=deflate FLG=0 MTIME=0 (none, so equal bodies give equal bytes) XFL=0 OS=3 (Unix).
    private static let header: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]

    /// Compresses `input` as a raw deflate chunk (no header or trailer).
    public static func deflate(_ input: [UInt8], final: Bool) -> Chunk {
        deflate(parts: CollectionOfOne(input), final: final)
    }

    /// Compresses the concatenation of `parts` as one raw deflate chunk, one part at a time: the parts
    /// are never joined, so a streamed input (see `ExpositionStream`) costs one part of memory.
    public static func deflate(parts: some Sequence<[UInt8]>, final: Bool) -> Chunk {
        var stream = z_stream()
        // windowBits -15: raw deflate, the gzip framing is ours (see `join`). Level 1: this runs on the
        // one loop thread, and metrics text (repeated names and labels) compresses well even so, at
        // about a third of the default level's time. deflateInit2 is a macro, so its function is called
        // with the version and struct size it would pass.
        let rc = deflateInit2_(&stream, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        // Fails only on bad parameters (constant here) or out of memory, where we cannot go on anyway.
        precondition(rc == Z_OK, "deflateInit2 failed: \(rc)")
        defer { deflateEnd(&stream) }
        // The output grows as zlib produces it: reserving deflateBound (more than the input) would keep
        // a buffer of the plain text's size alive in the cache for a tenth of it in data.
        var output: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        var crc: uLong = 0
        var length = 0
        for part in parts {
            part.withUnsafeBufferPointer { inBuf in
                stream.next_in = mutableInput(inBuf)
                stream.avail_in = uInt(inBuf.count)
                drain(&stream, flush: Z_NO_FLUSH, into: &output, scratch: &scratch, step: { CZlib.deflate($0, $1) })
                crc = crc32(crc, inBuf.baseAddress, uInt(inBuf.count))
            }
            length += part.count
        }
        stream.next_in = nil
        stream.avail_in = 0
        drain(&stream, flush: final ? Z_FINISH : Z_SYNC_FLUSH, into: &output, scratch: &scratch, step: { CZlib.deflate($0, $1) })
        return Chunk(deflated: output, crc: UInt32(truncatingIfNeeded: crc), inputLength: length, isFinal: final)
    }

    /// The data of a gzip member, or nil when `bytes` is not valid gzip (also used by tests to check
    /// what clients will see).
    public static func decompress(_ bytes: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15+16: expect and check the gzip header and trailer.
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 64 * 1024)
        let rc = bytes.withUnsafeBufferPointer { inBuf -> Int32 in
            stream.next_in = mutableInput(inBuf)
            stream.avail_in = uInt(inBuf.count)
            return drain(&stream, flush: Z_NO_FLUSH, into: &output, scratch: &scratch, step: { inflate($0, $1) })
        }
        return rc == Z_STREAM_END ? output : nil
    }

    /// `next_in` for zlib, which only reads through it: the field is `z_const Bytef *`, and zlib.h leaves
    /// `z_const` empty unless ZLIB_CONST is defined, so Swift sees a mutable pointer. Casting is safe
    /// because nothing is written through it, and avoids copying a shared (cached) input to get one.
    private static func mutableInput(_ buffer: UnsafeBufferPointer<UInt8>) -> UnsafeMutablePointer<Bytef>? {
        buffer.baseAddress.map { UnsafeMutablePointer(mutating: $0) }
    }

    /// Calls deflate or inflate until it has consumed its input and produced everything it can for
    /// `flush`, collecting the output through `scratch`. Returns zlib's last code (Z_STREAM_END once
    /// finished).
    @discardableResult
    private static func drain(
        _ stream: inout z_stream, flush: Int32, into output: inout [UInt8], scratch: inout [UInt8],
        step: (UnsafeMutablePointer<z_stream>, Int32) -> Int32
    ) -> Int32 {
        var rc: Int32 = Z_OK
        repeat {
            let produced = scratch.withUnsafeMutableBufferPointer { out -> Int in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                rc = step(&stream, flush)
                return out.count - Int(stream.avail_out)
            }
            output += scratch[..<produced]
            // Go on while zlib may have more: a full scratch buffer, a finish not yet reported as
            // Z_STREAM_END, or input left. A sync flush is complete once output space was left over.
        } while rc == Z_OK && (stream.avail_out == 0 || flush == Z_FINISH || stream.avail_in > 0)
        return rc
    }

    private static func appendLittleEndian(_ v: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }
}
