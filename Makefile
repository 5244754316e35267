# The two commands of the README are `make run` and `make test`; each installs what is missing.
.PHONY: setup run test lint fmt bench

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
