# peakready — build, test, and run the main job.
GO              ?= go
MOCKERY_VERSION := v2.53.7
REPORTS         ?= reports

.PHONY: build test lint demo smoke generate bench fuzz clean

build: ## build bin/peakready
	$(GO) build -o bin/peakready ./cmd/peakready

test: ## run every test with the race detector
	$(GO) test -race -timeout 30m ./...

lint: ## gofmt check and go vet
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

demo: ## the main job: a short peak scenario against the bundled integrator and the fakes
	$(GO) run ./cmd/peakready run smoke

smoke: ## the CI gate scenario, with JUnit and JSON reports
	@mkdir -p $(REPORTS)
	$(GO) run ./cmd/peakready run smoke --junit $(REPORTS)/smoke.xml --json $(REPORTS)/smoke.json

generate: ## regenerate mocks (mockery v2, configured in .mockery.yaml)
	$(GO) run github.com/vektra/mockery/v2@$(MOCKERY_VERSION)

bench: ## benchmarks, with allocations
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

fuzz: ## every fuzz target for FUZZTIME each (default 10s)
	@for target in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$target/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$target $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-10s} $$target || exit 1; \
	  done; \
	done

clean:
	rm -rf bin $(REPORTS)
