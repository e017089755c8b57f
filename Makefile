# gapmap: the two commands a newcomer needs are `make demo` and `make test`.
# Both set up PostgreSQL 15 + PostGIS + pgRouting when missing (Debian,
# apt-get, as root) unless DATABASE_URL points at a server to use.

GO ?= go
NPM ?= npm
ADDR ?= 127.0.0.1:8080

# The review map (cmd/gapmap/web): MapLibre GL JS and the pmtiles protocol
# (the page on an offline PMTiles pack) come from npm through the committed
# lockfile and are copied into static/vendor, which the binary embeds. Go
# builds without them; the page then says MapLibre is missing.
WEB := cmd/gapmap/web
VENDOR := $(WEB)/static/vendor
MAPLIBRE := $(VENDOR)/maplibre-gl.mjs $(VENDOR)/maplibre-gl-worker.mjs $(VENDOR)/maplibre-gl.css $(VENDOR)/LICENSE.txt
# pmtiles.js is the package's browser build, with fflate (MIT) inside.
PMTILES := $(VENDOR)/pmtiles.js $(VENDOR)/fflate-LICENSE.txt

.PHONY: demo test faults replica bench-page build web e2e vet fmt-check clean

## demo: start gapmap on the built-in demo county at http://$(ADDR)/
demo: web
	@url=$$(scripts/dbsetup.sh gapmap) && \
	  DATABASE_URL="$$url" GAPMAP_ADDR="$(ADDR)" $(GO) run ./cmd/gapmap demo

## test: vet, format check, every Go test against a real PostGIS, then the
## review map end to end in headless Chromium
test: fmt-check vet web
	@scripts/testdeps.sh
	@url=$$(scripts/dbsetup.sh gapmap_test) && admin=$$(scripts/dbsetup.sh --admin gapmap_test) && \
	  GAPMAP_TEST_DATABASE_URL="$$url" GAPMAP_TEST_ADMIN_DATABASE_URL="$$admin" $(GO) test -count=1 -timeout 45m ./...
	@$(MAKE) --no-print-directory e2e

## faults: the fault suite, by hand (about 10 minutes; not part of test): the
## real binary on a private PostgreSQL cluster the suite starts on a free port
## from 55432 and removes, killed during imports and exports, its database
## stopped and its connections terminated under load, 500 clients, slow
## clients and bombs; prints a summary table. dbsetup.sh installs PostgreSQL,
## PostGIS and pgRouting when missing (the suite uses only their binaries).
faults:
	@DATABASE_URL= scripts/dbsetup.sh gapmap_test >/dev/null
	$(GO) vet -tags faults ./cmd/gapmap/faults/
	CI=1 $(GO) test -tags faults -count=1 -timeout 30m -v -run TestFaults ./cmd/gapmap/faults/

## replica: serving beyond one machine, by hand (about a minute; not part
## of test): a private primary (port from 55432) and a hot standby made by
## pg_basebackup (port from 55532), gapmap instance A on the primary and B
## reading from the standby (GAPMAP_READ_DATABASE_URL); an edit through A is
## fresh through B, also with the standby paused or stopped, and B returns
## to the standby when it is back.
replica:
	@DATABASE_URL= scripts/dbsetup.sh gapmap_test >/dev/null
	$(GO) vet -tags faults ./cmd/gapmap/faults/
	CI=1 $(GO) test -tags faults -count=1 -timeout 10m -v -run TestReplica ./cmd/gapmap/faults/

## bench-page: the review map's speed, by hand (a few minutes; not part of
## test): navigation → first map drawn and a click on a village → its panel,
## cold and warm browser cache, RUNS times (default 5), in headless Chromium
## on `gapmap demo` (database GAPMAP_E2E_DB, default gapmap_bench), with the
## request waterfall and the server time of each request. BASE=<git ref>
## measures that ref's build too, alternating, for a before/after in one
## run; PROFILE=1 adds a CPU profile of the page's main thread;
## SOFTWARE_COMPOSITING=1 adds a browser that composites the page on the CPU
## (WebGL still on SwiftShader), alternating with the first.
bench-page: web
	@scripts/benchpage.sh

build: web
	$(GO) build -o bin/gapmap ./cmd/gapmap

## web: install the page's npm packages (npm ci, only when the lockfile
## changed) and copy MapLibre's and pmtiles' dist files where the binary
## embeds them
web: $(MAPLIBRE) $(PMTILES)

$(WEB)/node_modules/.package-lock.json: $(WEB)/package.json $(WEB)/package-lock.json
	@scripts/testdeps.sh node
	cd $(WEB) && $(NPM) ci --no-audit --no-fund --loglevel=error
	@# A go.mod makes node_modules a module of its own, so that `go ./...`
	@# never builds Go files an npm package may ship.
	@printf 'module node_modules\n' > $(WEB)/node_modules/go.mod
	@touch $@

$(VENDOR)/LICENSE.txt: $(WEB)/node_modules/.package-lock.json
	@mkdir -p $(VENDOR)
	cp $(WEB)/node_modules/maplibre-gl/LICENSE.txt $@

$(VENDOR)/pmtiles.js: $(WEB)/node_modules/.package-lock.json
	@mkdir -p $(VENDOR)
	cp $(WEB)/node_modules/pmtiles/dist/pmtiles.js $@

$(VENDOR)/fflate-LICENSE.txt: $(WEB)/node_modules/.package-lock.json
	@mkdir -p $(VENDOR)
	cp $(WEB)/node_modules/fflate/LICENSE $@

$(VENDOR)/%: $(WEB)/node_modules/.package-lock.json
	@mkdir -p $(VENDOR)
	cp $(WEB)/node_modules/maplibre-gl/dist/$* $@

## e2e: the page's unit tests and the review map end to end in headless
## Chromium against `gapmap demo` on its own database (gapmap_e2e);
## screenshots go to cmd/gapmap/web/e2e/artifacts
e2e: web
	@scripts/testdeps.sh
	@$(WEB)/e2e/run.sh

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(find . -name '*.go' -not -path '*/node_modules/*' -not -path './.git/*' -exec gofmt -l {} +); \
	  if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin $(VENDOR) $(WEB)/node_modules $(WEB)/e2e/artifacts
