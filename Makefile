# The two commands of the README are `make run` and `make test`; each installs what it lacks
# (scripts/setup.sh: `make run` only what building and serving needs, `make test` the test tools
# too). Every progress line shows the time since the command started.
.PHONY: run run-ha run-citus test lint fmt bench bench-profile bench-live lighthouse
export COUPONS_T0 := $(shell date +%s)

run:
	@scripts/setup.sh run
	@scripts/run.sh

# The same on a highly available PostgreSQL (scripts/ha.sh: etcd, two PostgreSQL nodes under
# Patroni with a synchronous standby, HAProxy to the primary); `scripts/ha.sh down` removes it.
run-ha:
	@scripts/setup.sh run
	@url=$$(scripts/ha.sh up) && DATABASE_URL=$$url scripts/run.sh

# The same on Citus: a coordinator and two workers (scripts/citus.sh, from the Citus installed
# here: docs/scale.md); the migrations distribute the tables by coupon. `scripts/citus.sh down`
# removes it.
run-citus:
	@scripts/setup.sh run
	@url=$$(scripts/citus.sh up) && DATABASE_URL=$$url scripts/run.sh

test:
	@scripts/setup.sh test
	@scripts/test.sh

lint:
	@scripts/setup.sh lint
	@scripts/lint.sh

fmt:
	cargo fmt --all

# Claim throughput on one hot coupon, both engine modes (docs/benchmark.md).
bench:
	@scripts/setup.sh bench
	@scripts/bench.sh

bench-profile:
	@scripts/setup.sh bench
	@BENCH_MODES=batched BENCH_CONNECTIONS="64 256" BENCH_BIG_CLAIMERS=0 BENCH_PROFILE=1 scripts/bench.sh

# 5,000 SSE subscribers on one release server while claims run: memory and latency.
bench-live:
	@scripts/setup.sh bench
	@scripts/bench-live.sh

# Lighthouse (mobile) scores of the admin pages of a running server (default: the one of make run):
# performance gated at 90 (LIGHTHOUSE_MIN), with the facts make test gates (scripts/lighthouse.sh).
lighthouse:
	@scripts/setup.sh test
	@scripts/lighthouse.sh $(URL)
