# gapmap: the two commands a newcomer needs are `make demo` and `make test`.
# Both set up PostgreSQL 15 + PostGIS + pgRouting when missing (Debian,
# apt-get, as root) unless DATABASE_URL points at a server to use.

GO ?= go
ADDR ?= 127.0.0.1:8080

.PHONY: demo test build vet fmt-check clean

## demo: start gapmap on the built-in demo county at http://$(ADDR)/
demo:
	@url=$$(scripts/dbsetup.sh gapmap) && \
	  DATABASE_URL="$$url" GAPMAP_ADDR="$(ADDR)" $(GO) run ./cmd/gapmap demo

## test: vet, format check, and every test against a real PostGIS
test: fmt-check vet
	@scripts/testdeps.sh
	@url=$$(scripts/dbsetup.sh gapmap_test) && \
	  GAPMAP_TEST_DATABASE_URL="$$url" $(GO) test -count=1 ./...

build:
	$(GO) build -o bin/gapmap ./cmd/gapmap

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); \
	  if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
