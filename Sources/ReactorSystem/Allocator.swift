import ReactorCore

/// glibc malloc tuning for a long-running daemon whose big buffers come and go.
///
/// Why: the /metrics rendering is a multi-megabyte buffer replaced on every World change. glibc serves
/// such a request with mmap, but on its free raises its mmap threshold to that size (the "dynamic"
/// threshold), so from then on the multi-megabyte buffers come from the heap, where they fragment it
/// and are never given back: the daemon's RSS settles at several times what it uses. A fixed threshold
/// (setting it turns the dynamic adjustment off) keeps every large buffer in its own mapping, returned
/// to the kernel on free.
///
/// `mallopt` is declared in <malloc.h>, which Glibc's Swift module map does not include, so it is bound
/// here by its symbol name. Its C signature is `int mallopt(int, int)`: two and one 32-bit integers in
/// registers, which the Swift calling convention passes in the same registers as C on x86_64 and
/// aarch64. (A forwarder in the C shim target would be the tidier home.)
public enum Allocator {
    /// M_MMAP_THRESHOLD from <malloc.h>.
    private static let mmapThresholdParameter: Int32 = -3

    /// Serves allocations of `bytes` and more with their own mappings, for good (mallopt(3),
    /// M_MMAP_THRESHOLD). Returns whether glibc accepted it; on failure nothing changed.
    @discardableResult
    public static func mapLargeAllocations(from bytes: Int32 = 128 * 1024) -> Bool {
        reactor_mallopt(mmapThresholdParameter, bytes) == 1
    }
}

@_silgen_name("mallopt")
private func reactor_mallopt(_ parameter: Int32, _ value: Int32) -> Int32
