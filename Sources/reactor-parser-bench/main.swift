import ReactorCore
import ReactorPrometheus
import ReactorSystem

/// Parser micro-benchmark: for each events2 file given, nanoseconds per line for parsing alone and for
/// parsing plus applying to a fresh World (diffs included); then, for the World the file leaves, the
/// cost of the /metrics DRBD section with `enums = true`: evaluating a snapshot, and writing its text out
/// in chunks as a response does. Prints JSON for bench/run.py.
/// Usage: reactor-parser-bench FILE...

func lines(of path: String) -> [[UInt8]] {
    guard let bytes = try? FileSystem.readFile(path) else { return [] }
    return bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map(Array.init)
}

/// A fixed number of passes (for instruction counting under callgrind), else a time budget.
let fixedPasses = ProcessEnvironment.get("REACTOR_BENCH_PASSES").flatMap { Int($0) }

/// Runs `body` over all lines repeatedly for at least `budget`; returns ns per line.
func measure(_ all: [[UInt8]], budget: Duration = .milliseconds(300), _ body: ([[UInt8]]) -> Int) -> Double {
    var passes = 0
    var sink = 0
    let start = Clock.now()
    repeat {
        sink &+= body(all)
        passes += 1
    } while fixedPasses.map({ passes < $0 }) ?? (Clock.now() - start < budget)
    let elapsed = Clock.now() - start
    if sink == Int.min { print("") }  // keep the work observable
    return Double(elapsed.nanosecondsClamped) / Double(passes * max(all.count, 1))
}

var results: [String] = []
for path in CommandLine.arguments.dropFirst() {
    let all = lines(of: path)
    guard !all.isEmpty else { continue }
    let parse = measure(all) { ls in
        var ok = 0
        for l in ls { if (try? Events2Parser.parse(l)) != nil { ok += 1 } }
        return ok
    }
    let apply = measure(all) { ls in
        var world = World()
        var updates = 0
        for l in ls { if let applied = try? world.apply(line: l[...]) { updates += applied.updates.count } }
        return updates
    }
    var world = World()
    for l in all { _ = try? world.apply(line: l[...]) }
    let renderer = MetricsRenderer(enums: true)
    let snapshotNs = measure([[]]) { _ in renderer.snapshot(resources: world.resources, versions: .unknown).byteCount }
    let snapshot = renderer.snapshot(resources: world.resources, versions: .unknown)
    let textNs = measure([[]]) { _ in
        var stream = ExpositionStream(snapshot)
        var bytes = 0
        while let chunk = stream.next() { bytes += chunk.count }
        return bytes
    }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    results.append(
        "{\"file\": \"\(name)\", \"lines\": \(all.count), \"parse_ns_per_line\": \(Int(parse)), \"parse_apply_ns_per_line\": \(Int(apply)), "
            + "\"resources\": \(world.resources.count), \"metrics_bytes\": \(snapshot.byteCount), "
            + "\"metrics_snapshot_us\": \(Int(snapshotNs / 1000)), \"metrics_text_us\": \(Int(textNs / 1000))}")
    print(
        "\(name): \(all.count) lines, parse \(Int(parse)) ns/line, parse+apply \(Int(apply)) ns/line; "
            + "\(world.resources.count) resources: /metrics snapshot \(Int(snapshotNs / 1000)) us, text \(snapshot.byteCount) bytes in \(Int(textNs / 1000)) us",
        to: &standardError)
}
print("[\n  " + results.joined(separator: ",\n  ") + "\n]")

struct StandardError: TextOutputStream {
    mutating func write(_ s: String) { RawOutput.write(2, Array(s.utf8)) }
}
nonisolated(unsafe) var standardError = StandardError()
