# The two commands of the README are `make run` and `make test`; each installs what is missing.
.PHONY: setup run test lint fmt bench bench-profile

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

bench: setup
	@scripts/bench.sh

bench-profile: setup
	@BENCH_MODES=batched BENCH_CONNECTIONS=256 BENCH_PROFILE=1 scripts/bench.sh
