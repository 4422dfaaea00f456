# specrt: build, demo, tests and benchmarks.
#   make demo    build the release library and run the main demo
#   make test    every test: Rust, header freshness, C and C++ against static and shared builds
#   make bench   one JSON object of measurements on this machine (policy calls, GPU dispatches)
#   make bench-rules RULES="DIR..." CORPUS="DIR..."   YARA rule sets against yara and YARA-X
#   make lint    rustfmt and clippy with warnings as errors
#   make install PREFIX=/usr/local   libraries, headers, pkg-config and CMake package files, the
#                                    specrt-scan command line scanner and its man page

CARGO    ?= cargo
CC       ?= cc
CXX      ?= c++
DEBUG    := target/debug
RELEASE  := target/release
CDIR     := target/c
# What a static libspecrt.a needs from the system (`cargo rustc -- --print native-static-libs`).
NATIVE_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
PREFIX   ?= /usr/local
# Which build `make install` copies (the tests install the debug build to save a release build).
INSTALL_FROM ?= $(RELEASE)
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR    := $(firstword $(subst ., ,$(VERSION)))
CFLAGS_C99   := -std=c99 -Wall -Wextra -Wpedantic -Werror -g -pthread -Iinclude -Iexamples/c
CFLAGS_C11   := -std=c11 -Wall -Wextra -Wpedantic -Werror -g -pthread -Iinclude -Iexamples/c
CXXFLAGS_17  := -std=c++17 -Wall -Wextra -Wpedantic -Werror -g -pthread -Iinclude -Iexamples/c -x c++
ASAN         := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

C_TESTS  := policy_vectors policy_misuse gpu_dispatch scan_test yara_test null_args faults
EXAMPLES := policy_tour custom_kernel scan engine_loop
# Leak checking is on for the policy tests; for GPU tests it is off, because the Vulkan loader
# unloads the driver before exit and the driver's own allocations can no longer be attributed.

.PHONY: all demo demo-policy test test-rust test-asan test-header test-c test-yara test-loom test-fuzz fuzz test-policy-only test-install examples bench bench-rules plot lint install clean

all: $(RELEASE)/libspecrt.a $(RELEASE)/specrt-scan

# The shared library's SONAME is libspecrt.so.MAJOR: link it under that name too, so programs
# linked against the build tree find it.
$(RELEASE)/libspecrt.a: FORCE
	@$(CARGO) build --release --lib
	@ln -sf libspecrt.so $(RELEASE)/libspecrt.so.$(MAJOR)

$(DEBUG)/libspecrt.a: FORCE
	$(CARGO) build --lib --features test-hooks
	@ln -sf libspecrt.so $(DEBUG)/libspecrt.so.$(MAJOR)

FORCE:

# specrt-scan, the YARA-compatible command line scanner (tools/), linked statically.
target/%/specrt-scan: target/%/libspecrt.a tools/specrt-scan.c
	$(CC) $(CFLAGS_C99) -O2 tools/specrt-scan.c target/$*/libspecrt.a $(NATIVE_LIBS) -o $@

# The main demo: the pattern scanner on a sample assembled from this machine's /usr/bin.
demo: $(RELEASE)/libspecrt.a
	@mkdir -p $(CDIR)
	$(CC) $(CFLAGS_C99) -O2 examples/c/scan.c $(RELEASE)/libspecrt.a $(NATIVE_LIBS) -o $(CDIR)/scan
	$(CDIR)/scan

# The policy objects on their own.
demo-policy: $(RELEASE)/libspecrt.a
	@mkdir -p $(CDIR)
	$(CC) $(CFLAGS_C99) -O2 examples/c/policy_tour.c $(RELEASE)/libspecrt.a $(NATIVE_LIBS) -o $(CDIR)/policy_tour
	cd $(CDIR) && ./policy_tour

test: test-rust test-loom test-asan test-header test-c test-yara test-policy-only test-install examples test-fuzz
	@echo "make test: all passed"

# cargo-fuzz targets (nightly toolchain): the counter tail parser, the store loader, the YARA
# compiler, the scanner (random rules x random data, GPU against CPU), the loader of saved
# rule sets, regular-expression strings (whole against windowed verification), and the module
# parsers (pe, elf, math, hash on any bytes). `make test` runs each for FUZZ_SECONDS=20;
# `make fuzz` for 10 minutes each. Crashes land in fuzz/artifacts/.
FUZZ_TARGETS := counter_tail store_loader yara_compiler scanner saved_rules regex modules
FUZZ_SECONDS ?= 20

test-fuzz:
	cd fuzz && cargo +nightly fuzz build -O
	@set -e; cd fuzz && for t in $(FUZZ_TARGETS); do \
	  corpus=$$(mktemp -d); leaks=1; case $$t in scanner) leaks=0;; esac; \
	  echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  ASAN_OPTIONS=detect_leaks=$$leaks:quarantine_size_mb=64 cargo +nightly fuzz run -O $$t $$corpus seeds/$$t ../tests/yara -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -detect_leaks=$$leaks > $$corpus.log 2>&1 \
	    || { tail -40 $$corpus.log; echo "fuzz $$t failed: see fuzz/artifacts/$$t"; exit 1; }; \
	  grep -E "^Done" $$corpus.log; \
	  rm -rf $$corpus $$corpus.log; \
	done

fuzz:
	$(MAKE) test-fuzz FUZZ_SECONDS=600

# Model checking of the lock-free speculator with loom (its own target dir: loom's cfg changes
# every crate's build).
test-loom:
	RUSTFLAGS="--cfg loom" $(CARGO) test --release --no-default-features --test loom_speculator --target-dir target/loom

# Handle validation under AddressSanitizer: the policy-only library and tests/handle_lifetime.rs
# built with the nightly toolchain's -Zsanitizer=address, so a read of freed memory while a freed,
# reused or foreign handle is checked aborts with a report (its own target dir).
HOST_TRIPLE := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
test-asan:
	RUSTFLAGS="-Zsanitizer=address" $(CARGO) +nightly test --no-default-features --target $(HOST_TRIPLE) \
	  --target-dir target/asan --test handle_lifetime

# Differential test against Debian's yara: identical `-s -L` output on every backend and path.
test-yara: $(RELEASE)/specrt-scan
	tests/yara/differential.sh $(RELEASE)/specrt-scan target/yara-differential

test-rust:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --all-features -- -D warnings
	$(CARGO) test --features test-hooks
	$(CARGO) test --no-default-features --lib

# The committed header must equal a fresh cbindgen generation (build.rs rewrites it on build).
test-header: $(DEBUG)/libspecrt.a
	@git diff --exit-code -- include/specrt.h || { echo "include/specrt.h is stale: commit the regenerated header"; exit 1; }
	@test -z "$$(git status --porcelain -- include/specrt.h)" || { echo "include/specrt.h is not committed"; exit 1; }
	@for std in "$(CFLAGS_C99)" "$(CFLAGS_C11)"; do echo '#include "specrt.h"' | $(CC) $$std -fsyntax-only -x c - || exit 1; done
	@echo '#include "specrt.h"' | $(CXX) $(CXXFLAGS_17) -fsyntax-only - 
	@! grep -nE '^#define [A-Za-z]|^typedef' include/specrt.h | grep -vE '#define SPECRT_|typedef .*specrt_' || { echo "include/specrt.h declares names without the specrt_/SPECRT_ prefix (add them to cbindgen.toml's exclude list)"; exit 1; }
	@echo "header: fresh, compiles as C99, C11 and C++17"

# Each C test is built four ways (C99 static, C99 shared, C++17 static, all under ASan+UBSan)
# and run in its own scratch directory.
test-c: $(DEBUG)/libspecrt.a
	@mkdir -p $(CDIR)
	@set -e; for t in $(C_TESTS); do \
	  $(CC)  $(CFLAGS_C99) $(ASAN) tests/c/$$t.c $(DEBUG)/libspecrt.a $(NATIVE_LIBS) -o $(CDIR)/$$t-static; \
	  $(CC)  $(CFLAGS_C99) $(ASAN) tests/c/$$t.c -L$(DEBUG) -Wl,-rpath,$(CURDIR)/$(DEBUG) -lspecrt -o $(CDIR)/$$t-shared; \
	  $(CXX) $(CXXFLAGS_17) $(ASAN) tests/c/$$t.c -x none $(DEBUG)/libspecrt.a $(NATIVE_LIBS) -o $(CDIR)/$$t-cxx; \
	  for v in static shared cxx; do \
	    d=$$(mktemp -d); echo "== $$t ($$v)"; \
	    ASAN_OPTIONS=detect_leaks=1 $(CDIR)/$$t-$$v $$d examples/kernels; rm -rf $$d; \
	  done; \
	done

	$(CC) $(CFLAGS_C99) tests/c/store_writer.c $(DEBUG)/libspecrt.a $(NATIVE_LIBS) -o $(CDIR)/store_writer
	tests/c/store_stress.sh $(CDIR)/store_writer

# The policy-only static library (no GPU crate) links and passes the policy vectors, with the same
# header and SPECRT_NO_GPU defined.
test-policy-only:
	$(CARGO) build --no-default-features --lib --target-dir target/policy-only
	@mkdir -p $(CDIR)
	$(CC) $(CFLAGS_C99) -DSPECRT_NO_GPU tests/c/policy_vectors.c target/policy-only/debug/libspecrt.a $(NATIVE_LIBS) -o $(CDIR)/policy_vectors-policy-only
	@d=$$(mktemp -d); $(CDIR)/policy_vectors-policy-only $$d; rm -rf $$d
	@! nm -g --defined-only target/policy-only/debug/libspecrt.a 2>/dev/null | grep -q wgpu || { echo "the policy-only library contains wgpu"; exit 1; }

examples: $(DEBUG)/libspecrt.a
	@mkdir -p $(CDIR)
	@set -e; for e in $(EXAMPLES); do \
	  $(CC) $(CFLAGS_C99) examples/c/$$e.c $(DEBUG)/libspecrt.a $(NATIVE_LIBS) -o $(CDIR)/$$e; \
	  $(CXX) $(CXXFLAGS_17) -fsyntax-only examples/c/$$e.c; \
	done
	@d=$$(mktemp -d); (cd $$d && $(CURDIR)/$(CDIR)/policy_tour > tour.out) && grep -q "persistent-kernel:" $$d/tour.out; rm -rf $$d
	@$(CDIR)/custom_kernel examples/kernels > $(CDIR)/custom_kernel.out && grep -q serial $(CDIR)/custom_kernel.out && grep -q fused $(CDIR)/custom_kernel.out
	@$(CDIR)/scan > $(CDIR)/scan.out && grep -q "private_key_block" $(CDIR)/scan.out && grep -q "^scanned .* GB/s" $(CDIR)/scan.out
	@d=$$(mktemp -d); $(CDIR)/engine_loop $$d/store.toml > $$d/first.out && $(CDIR)/engine_loop $$d/store.toml > $$d/second.out \
	  && grep -q "persistent" $$d/first.out && grep -q "[1-9][0-9]*/16  raced" $$d/first.out \
	  && test "$$(grep -c ' 0/16  raced' $$d/second.out)" = 12 || { echo "engine_loop: the second run raced again"; exit 1; }; rm -rf $$d
	@echo "examples: built and ran"

# One JSON object (see README, Performance). The anchors run when yara and Vectorscan's headers
# (libvectorscan-dev) are installed.
BENCH := target/bench
bench: $(RELEASE)/libspecrt.a
	@mkdir -p $(CDIR) $(BENCH)
	@$(CC) -std=c99 -O2 -Iinclude benches/c/policy_bench.c $(RELEASE)/libspecrt.a $(NATIVE_LIBS) -o $(CDIR)/policy_bench
	@$(CC) -std=c99 -O2 -pthread benches/c/hs_bench.c -lhs -o $(CDIR)/hs_bench 2>/dev/null || echo "Vectorscan anchor skipped (install libvectorscan-dev)" >&2
	@SPECRT_C_BENCH=$(CURDIR)/$(CDIR)/policy_bench $(CARGO) bench --quiet --bench policy > $(BENCH)/policy.json
	@$(CARGO) bench --quiet --bench dispatch > $(BENCH)/dispatch.json 2>/dev/null
	@SPECRT_BENCH_YARA=$$(command -v yara) SPECRT_BENCH_HS=$(CURDIR)/$(CDIR)/hs_bench \
	  $(CARGO) bench --quiet --bench scan > $(BENCH)/scan.json 2>$(BENCH)/scan.log
	@$(CARGO) bench --quiet --bench report -- $(BENCH)/policy.json $(BENCH)/dispatch.json $(BENCH)/scan.json

# The real-rule benchmark: the YARA rules of the directories in RULES (default: a synthetic set
# with the statistics of public ones, benches/rules/synth.py) over the files under CORPUS,
# against yara and YARA-X (pip install yara-x) on all threads; one JSON object on stdout.
#   make bench-rules RULES="DIR..." CORPUS="DIR..." [BENCH_RULES_BYTES=N]
CORPUS ?= /usr
BENCH_RULES_BYTES ?= 0
bench-rules:
	@$(CARGO) bench --bench rules --no-run 2>/dev/null
	@set -e; bin=$$($(CARGO) bench --bench rules --no-run --message-format=json 2>/dev/null | \
	  python3 -c 'import sys,json; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("executable")][-1])'); \
	rules="$(RULES)"; \
	if [ -z "$$rules" ]; then python3 benches/rules/synth.py $(BENCH)/synthetic-rules; rules=$(BENCH)/synthetic-rules; fi; \
	python3 benches/rules/bench.py --bench-bin "$$bin" $$(for d in $$rules; do printf -- '--rules %s ' "$$d"; done) \
	  $$(for d in $(CORPUS); do printf -- '--corpus %s ' "$$d"; done) --out $(BENCH)/rules \
	  --min-size 16384 --max-bytes $(BENCH_RULES_BYTES)

# The README's plot from a committed result: make plot JSON=benches/results/NAME.json
plot:
	$(CARGO) bench --quiet --bench report -- --plot-data $(JSON) > $(BENCH)/plot.dat
	gnuplot -e "data='$(BENCH)/plot.dat'; out='$(basename $(JSON)).png'" benches/plot.gp

install: $(INSTALL_FROM)/libspecrt.a $(INSTALL_FROM)/specrt-scan
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/lib/cmake/specrt $(DESTDIR)$(PREFIX)/include \
	  $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(INSTALL_FROM)/specrt-scan $(DESTDIR)$(PREFIX)/bin/specrt-scan
	install -m 644 tools/specrt-scan.1 $(DESTDIR)$(PREFIX)/share/man/man1/specrt-scan.1
	install -m 644 $(INSTALL_FROM)/libspecrt.a $(DESTDIR)$(PREFIX)/lib/libspecrt.a
	install -m 755 $(INSTALL_FROM)/libspecrt.so $(DESTDIR)$(PREFIX)/lib/libspecrt.so.$(VERSION)
	ln -sf libspecrt.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libspecrt.so.$(MAJOR)
	ln -sf libspecrt.so.$(MAJOR) $(DESTDIR)$(PREFIX)/lib/libspecrt.so
	install -m 644 include/specrt.h include/specrt.hpp $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@NATIVE_LIBS@|$(NATIVE_LIBS)|' \
	  packaging/specrt.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/specrt.pc
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(MAJOR)|g' \
	  -e 's|@CMAKE_NATIVE_LIBS@|$(subst $(eval) ,;,$(patsubst -l%,%,$(NATIVE_LIBS)))|' \
	  packaging/specrtConfig.cmake.in > $(DESTDIR)$(PREFIX)/lib/cmake/specrt/specrtConfig.cmake
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(MAJOR)|g' \
	  packaging/specrtConfigVersion.cmake.in > $(DESTDIR)$(PREFIX)/lib/cmake/specrt/specrtConfigVersion.cmake

# Install into a temporary prefix and consume it three ways: pkg-config (shared and static) for
# the C tour, CMake find_package for the C++ engine (shared and static); check the exports; run
# the installed specrt-scan against yara (tests/cli/specrt_scan.sh).
test-install: $(DEBUG)/libspecrt.a $(DEBUG)/specrt-scan
	@set -e; p=$$(mktemp -d); w=$$(mktemp -d); trap 'rm -rf $$p $$w' EXIT; \
	$(MAKE) --no-print-directory install PREFIX=$$p INSTALL_FROM=$(DEBUG) >/dev/null; \
	test "$$(readelf -d $$p/lib/libspecrt.so.$(VERSION) | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" = libspecrt.so.$(MAJOR); \
	bad=$$(nm -D --defined-only $$p/lib/libspecrt.so | awk '{print $$3}' | grep -v '^specrt_' || true); \
	test -z "$$bad" || { echo "libspecrt.so exports non-specrt symbols: $$bad"; exit 1; }; \
	export PKG_CONFIG_PATH=$$p/lib/pkgconfig; \
	$(CC) -std=c99 -Wall -Werror examples/c/policy_tour.c $$(pkg-config --cflags --libs specrt) -Wl,-rpath,$$p/lib -o $$w/tour-shared; \
	ldd $$w/tour-shared | grep -q "libspecrt.so.$(MAJOR) => $$p/lib"; \
	$(CC) -std=c99 -Wall -Werror examples/c/policy_tour.c $$(pkg-config --cflags specrt) -L$$p/lib \
	  -Wl,-Bstatic -lspecrt -Wl,-Bdynamic $$(pkg-config --static --libs-only-l specrt | sed 's/-lspecrt//') -o $$w/tour-static; \
	if ldd $$w/tour-static | grep -q libspecrt; then echo "tour-static links libspecrt.so"; exit 1; fi; \
	(cd $$w && ./tour-shared >/dev/null && ./tour-static >/dev/null); \
	cmake -S examples/cpp -B $$w/build -DCMAKE_PREFIX_PATH=$$p -DCMAKE_BUILD_TYPE=Release >/dev/null; \
	cmake --build $$w/build >/dev/null; \
	$$w/build/engine examples/kernels $$w/store.toml >/dev/null; \
	$$w/build/engine_static examples/kernels $$w/store.toml | grep -q "no race"; \
	for cc in $(CC) clang; do command -v $$cc >/dev/null || continue; \
	  for std in c99 c11; do echo '#include "specrt.h"' | $$cc -std=$$std -Wall -Wextra -Wpedantic -Werror -I$$p/include -fsyntax-only -x c -; done; done; \
	for cxx in $(CXX) clang++; do command -v $$cxx >/dev/null || continue; \
	  echo '#include "specrt.hpp"' | $$cxx -std=c++17 -Wall -Wextra -Wpedantic -Werror -I$$p/include -fsyntax-only -x c++ -; done; \
	tests/cli/specrt_scan.sh $$p/bin/specrt-scan $$p/share/man/man1/specrt-scan.1; \
	echo "install: pkg-config (shared, static) and CMake (shared, static) consumers built and ran; exports are specrt_* only; specrt-scan and its man page installed"

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --all-features -- -D warnings
	$(CARGO) clippy --no-default-features --all-targets -- -D warnings

clean:
	$(CARGO) clean
