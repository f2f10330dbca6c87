# peakready — build, test, and run the main job.
GO              ?= go
MOCKERY_VERSION := v2.53.7
REPORTS         ?= reports

# What `peakready version` prints: the nearest tag, else the commit.
VERSION         ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS         := -s -w -X main.version=$(VERSION)

# The image: published as $(IMAGE):$(IMAGE_TAG), also tagged $(LOCAL_IMAGE) for tests
# (PEAKREADY_IMAGE=$(LOCAL_IMAGE)) and .ci/run.
IMAGE           ?= ghcr.io/peakready/peakready
IMAGE_TAG       ?= $(VERSION)
LOCAL_IMAGE     ?= peakready/peakready:local
IMAGE_CONTEXT   := bin/image
IMAGE_GOARCH    ?= $(shell $(GO) env GOARCH)
CA_CERTS        ?= /etc/ssl/certs/ca-certificates.crt

.PHONY: build test lint demo smoke generate bench fuzz clean image image-context image-smoke deploy-test

build: ## build bin/peakready
	$(GO) build -ldflags '-X main.version=$(VERSION)' -o bin/peakready ./cmd/peakready

test: ## run every test with the race detector, then those it slows too much to mean anything without it
	$(GO) test -race -timeout 30m ./...
	$(GO) test -count=1 -timeout 10m -run 'TestShopifyExampleShowsItsCause' ./scenarios/

lint: ## gofmt check and go vet
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*' -not -path './testdata/jsclients/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

demo: ## the main job: a short peak scenario against the bundled integrator and the fakes
	$(GO) run ./cmd/peakready run smoke

smoke: ## the CI gate scenario, with JUnit and JSON reports
	@mkdir -p $(REPORTS)
	$(GO) run ./cmd/peakready run smoke --junit $(REPORTS)/smoke.xml --json $(REPORTS)/smoke.json

image-context: ## the image's build context in bin/image: static binary, CA bundle, non-root user
	@test -r $(CA_CERTS) || { echo "no CA bundle at $(CA_CERTS) (install ca-certificates, or set CA_CERTS)"; exit 1; }
	rm -rf $(IMAGE_CONTEXT) && mkdir -p $(IMAGE_CONTEXT)/tmp $(IMAGE_CONTEXT)/work
	chmod 1777 $(IMAGE_CONTEXT)/tmp
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_GOARCH) $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(IMAGE_CONTEXT)/peakready ./cmd/peakready
	cp $(CA_CERTS) $(IMAGE_CONTEXT)/ca-certificates.crt
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/work:/sbin/nologin\n' > $(IMAGE_CONTEXT)/passwd
	printf 'root:x:0:\nnonroot:x:65532:\n' > $(IMAGE_CONTEXT)/group

image: image-context ## build the FROM-scratch image $(IMAGE):$(IMAGE_TAG), also tagged $(LOCAL_IMAGE)
	docker build --build-arg VERSION=$(VERSION) -f Dockerfile -t $(IMAGE):$(IMAGE_TAG) -t $(LOCAL_IMAGE) $(IMAGE_CONTEXT)
	@docker image inspect -f '{{.Size}}' $(LOCAL_IMAGE) | awk '{printf "$(LOCAL_IMAGE): %.1f MB\n", $$1/1e6}'

image-smoke: ## smoke-test $(LOCAL_IMAGE): a fake's admin API, and a short scenario inside the image
	deploy/image-smoke.sh $(LOCAL_IMAGE)

deploy-test: ## the deployment tests: deploy/ (compose, k8s, CI templates), containertest (needs PEAKREADY_IMAGE), --redis docker, the binary's dependencies
	$(GO) test -race -timeout 20m ./deploy/... ./containertest/... ./integrator/redisserver/...
	$(GO) test -race -run 'TestBinaryLinksNoTestCode|TestTestCodeRules' ./cmd/peakready

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
