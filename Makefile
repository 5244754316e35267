# The two commands of the README are `make run` and `make test`; each installs what is missing.
.PHONY: setup run test lint fmt bench bench-profile bench-live

setup:
	@scripts/setup.sh

run: setup
	@scripts/run.sh

test: setup
	@scripts/test.sh

lint: setup
	@scripts/lint.sh

fmt:
	cargo fmt --all

# Claim throughput on one hot coupon, both engine modes (README "Benchmark").
bench: setup
	@scripts/bench.sh

bench-profile: setup
	@BENCH_MODES=batched BENCH_CONNECTIONS="64 256" BENCH_BIG_CLAIMERS=0 BENCH_PROFILE=1 scripts/bench.sh

# 5,000 SSE subscribers on one release server while claims run: memory and latency (README).
bench-live: setup
	@scripts/bench-live.sh
