# Benchmarks (bench/README.md). REACTOR_BIN=/path/to/drbd-reactor make bench measures another binary;
# without it, .build/release/drbd-reactor is used (built with `swift build -c release --static-swift-stdlib` if missing).
.PHONY: bench bench-quick

bench:
	python3 bench/run.py

bench-quick:
	python3 bench/run.py --quick

# Reliability (README, Reliability): libFuzzer over the parsers (FUZZ_SECONDS per target, default 60).
.PHONY: fuzz
fuzz:
	scripts/fuzz

# Soak (README, Reliability): 1000 resources, churn, scrapes and reloads for SOAK_SECONDS (default 1800).
.PHONY: soak
soak:
	nice -n 10 python3 bench/soak.py

# HA lab figures (README, Performance): failover and quorum-loss times on three nspawn nodes, p50/max over
# RUNS (default 3); OTHER_REACTOR_BIN=/path/to/drbd-reactor adds another binary's column.
.PHONY: bench-ha
bench-ha:
	python3 bench/ha.py
