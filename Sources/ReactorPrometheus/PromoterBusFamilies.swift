import ReactorCore

/// The promoter's families from what systemd reported over the bus (job results, unit failures, repairs),
/// per resource; none at all without a bus or before the first event, so a scrape without them is
/// exactly what it was before.
enum PromoterBusFamilies {
    static let jobResults = MetricFamily(
        "drbdreactor_promoter_job_results_total", .counter, "systemd jobs of a promoter resource's units that ended, by result")
    static let unitFailures = MetricFamily(
        "drbdreactor_promoter_unit_failures_total", .counter, "Units of a promoter resource that failed, by unit")
    static let restarts = MetricFamily(
        "drbdreactor_promoter_restarts_total", .counter, "Times a promoter resource's target was started again after a unit went down")

    /// Resources sorted by name, then label values sorted, so the output is stable.
    static func write(_ counters: [String: PromoterBusCounters], to w: inout ExpositionWriter) {
        guard !counters.isEmpty else { return }
        let resources = counters.keys.sorted()
        func family(_ f: MetricFamily, label: String, _ values: (PromoterBusCounters) -> [String: UInt64]) {
            w.header(f)
            for r in resources {
                guard let c = counters[r] else { continue }
                for (key, n) in values(c).sorted(by: { $0.key < $1.key }) {
                    w.sample(f.nameBytes, labels: ExpositionWriter.labelSet(["resource": r, label: key])[...], .unsigned(n))
                }
            }
        }
        family(jobResults, label: "result") { $0.jobResults }
        family(unitFailures, label: "unit") { $0.unitFailures }
        w.header(restarts)
        for r in resources {
            w.sample(restarts.nameBytes, labels: ExpositionWriter.labelSet(["resource": r])[...], .unsigned(counters[r]?.restarts ?? 0))
        }
    }
}
