# Convenience targets; each one is `python3 dev.py <task>`. `make help` lists them.
.PHONY: help demo test simulate bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

demo:  ## the main job: central server + depot + handhelds syncing, on demo data
	python3 dev.py demo

test:  ## lint, type-check (strict on protocol/ and sync/), run the test suite
	python3 dev.py test

simulate:  ## one simulated working day with chaos, printing a summary
	python3 dev.py simulate

bench:  ## the benchmark suite
	python3 dev.py bench

clean:  ## remove the virtualenv and local databases
	rm -rf .venv var .pytest_cache .hypothesis
