import FuzzHarness
#if canImport(Glibc)
import Glibc
#endif

/// The libFuzzer entry point (built only by `make fuzz`, with `-sanitize=fuzzer,address`).
/// `REACTOR_FUZZ_TARGET` names the handler, so one link serves every target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.handler(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// libFuzzer's driver (in the fuzzer runtime `-sanitize=fuzzer` links).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point as `<module>_main` (and aliases `main` to it), which would
/// hide libFuzzer's own `main`; this one hands control to libFuzzer's driver instead.
@_cdecl("FuzzTargets_main")
public func fuzzTargetsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzOneInput)
}

/// The handler chosen once from the environment.
enum FuzzTarget {
    static let handler: @Sendable ([UInt8]) -> Void = {
        let name = getenv("REACTOR_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let handler = FuzzHarness.targets[name] else {
            fatalError("REACTOR_FUZZ_TARGET must be one of: \(FuzzHarness.targets.keys.sorted().joined(separator: ", "))")
        }
        return handler
    }()
}
