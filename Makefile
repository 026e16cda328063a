# prunebench -- build, tests, and the experiment pipeline.
#
#   make               build build/prunebench and build/plugins/*.so
#   make check         deps, then build and run the TAP test suite with prove
#   make test          the same without the deps step
#   make reproduce     deps -> build -> every experiment cell -> figures -> report/report.pdf
#   make reproduce SCALE=quick   the same pipeline, shrunk for CI (minutes)
#   make sanitize      the test suite under AddressSanitizer + UBSan
#   make deps          install missing Debian packages (as root) or print the apt-get line
#
# Every experiment cell (fit, order, curve) is one file target, so `make -j2`
# runs cells in parallel and a second run with nothing changed does nothing.

SHELL := /bin/bash
.DELETE_ON_ERROR:
.SUFFIXES:

CC      ?= cc
OPT     ?= -O2 -g
ifeq ($(CI),true)
WERROR  ?= -Werror
endif
PKGS    := gsl openblas
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LDIRS  := $(shell pkg-config --libs-only-L $(PKGS) 2>/dev/null)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Wshadow $(WERROR)
CFLAGS_ALL := $(WARN) $(OPT) $(SAN) -I. $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(SAN) $(PKG_LDIRS) -lopenblas -lgsl -lz -ldl -lm $(LDLIBS)

# OpenBLAS 0.3.21 (Debian 12) does not recognize some newer x86-64 CPUs and
# falls back to its slowest kernels ("Prescott"; 4x slower GEMM measured on an
# AVX-512 Xeon). Unless the user chose one, pick the kernel family from the
# CPU flags. The core in use is printed in every result's provenance.
ifeq ($(origin OPENBLAS_CORETYPE),undefined)
OPENBLAS_CORETYPE := $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX || \
                       { grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo Haswell; })
endif
ifneq ($(OPENBLAS_CORETYPE),)
export OPENBLAS_CORETYPE
endif

B       ?= build
# The layers, bottom to top (docs/architecture.md; scripts/layercheck.sh
# enforces that no file includes a header of a layer above its own).
LAYERS  := base datasets models formats train posterior host protocols cli
CLI_SRC := $(wildcard cli/*.c)
LIB_SRC := $(foreach d,$(filter-out cli,$(LAYERS)),$(wildcard $(d)/*.c))
LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC))
HDRS    := $(foreach d,$(LAYERS),$(wildcard $(d)/*.h)) $(wildcard plugins/*.h)
PB      := $(B)/prunebench
PLUGINS := $(sort $(basename $(notdir $(wildcard plugins/*.c))))
PLUGIN_SO := $(patsubst %,$(B)/plugins/%.so,$(PLUGINS))
TESTS   := $(patsubst t/%.c,$(B)/t/%.t,$(wildcard t/*.c))

.PHONY: all check test sanitize deps clean bench reproduce figures report FORCE
all: $(PB) $(PLUGIN_SO)

$(B)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# The vectorized elementwise kernels: -O3 so gcc vectorizes their loops (in
# each per-CPU code path), FMA contraction, no errno from sqrt, no
# floating-point exception flags (lets gcc if-convert selects for AVX2). Not
# -ffast-math: NaN and inf keep their IEEE meaning (see base/vmath.c).
VEC_CFLAGS := -O3 -ffp-contract=fast -fno-math-errno -fno-trapping-math
$(B)/obj/base/vmath.o: CFLAGS_ALL += $(VEC_CFLAGS)

# provenance.o carries the version into every result file's provenance:
# rebuild it when the version changes (a stamp rewritten only then). The temp
# file is per process, so two makes started together cannot take each other's.
$(B)/obj/formats/provenance.o: $(B)/version.txt
$(B)/obj/formats/provenance.o: CFLAGS_ALL += -DPB_VERSION='"$(VERSION)"'
$(B)/version.txt: FORCE
	@mkdir -p $(@D); t=$@.$$$$.new; printf '%s\n' '$(VERSION)' > $$t; \
	 if cmp -s $$t $@; then rm -f $$t; else mv $$t $@; fi
# Its elementwise loops vectorized, same arithmetic (no contraction).
$(B)/obj/models/mlp_lrt.o: CFLAGS_ALL += -O3 -fno-math-errno

$(B)/libprunebench.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(PB): $(CLI_SRC) $(B)/libprunebench.a $(HDRS)
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_SRC) $(B)/libprunebench.a $(LDLIBS_ALL)

# A plugin sees only plugins/prunebench.h and never links against the host.
$(B)/plugins/%.so: plugins/%.c $(wildcard plugins/*.h) | $(B)/plugins
	$(CC) $(WARN) $(OPT) $(PLUGIN_CFLAGS) $(SAN) -Iplugins -fPIC -shared -fvisibility=hidden -o $@ $< -lm
# The log-uniform KL of svd and groupvd is vectorized (plugins/log_uniform.h, VEC_CFLAGS above).
$(B)/plugins/svd.so $(B)/plugins/groupvd.so: PLUGIN_CFLAGS := $(VEC_CFLAGS)

$(B)/t/%.t: t/%.c t/tap.h t/testutil.h t/blobs.h $(B)/libprunebench.a $(HDRS) | $(B)/t
	$(CC) $(CFLAGS_ALL) -It -o $@ $< $(B)/libprunebench.a $(LDLIBS_ALL)

# The test model (t/new_model.sh adds it to a copy of the tree as models/linear.c).
$(B)/t/toy_model.t: t/toy_model.c.in

$(B)/plugins $(B)/t $(B)/template:
	mkdir -p $@

# The plugin template (docs/) and a deliberately broken plugin, for the tests.
TEST_PLUGINS := $(B)/template/plugin_template.so $(B)/template/nan_plugin.so $(B)/template/badkl_plugin.so
$(B)/template/plugin_template.so: docs/plugin_template.c plugins/prunebench.h | $(B)/template
	$(CC) $(WARN) $(OPT) $(SAN) -Iplugins -fPIC -shared -fvisibility=hidden -o $@ $< -lm
$(B)/template/%_plugin.so: t/%_plugin.c.in plugins/prunebench.h | $(B)/template
	$(CC) $(WARN) $(OPT) $(SAN) -Iplugins -fPIC -shared -fvisibility=hidden -x c -o $@ $< -lm

# check and reproduce first make sure the Debian packages are there (deps),
# then build in a fresh make so pkg-config sees what was just installed.
check: deps
	$(MAKE) test

test: all $(TESTS) $(TEST_PLUGINS)
	PB_BUILD=$(B) prove --exec '' $(TESTS) t/layers.sh t/new_model.sh

# The whole suite again under AddressSanitizer and UBSan, in its own build tree.
sanitize:
	$(MAKE) B=build-sanitize OPT='-O1 -g -fno-omit-frame-pointer' \
	    SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' check

deps:
	@scripts/deps.sh

# Throughput, not correctness: printed, never asserted.
bench: all
	$(PB) bench --plugin-dir $(B)/plugins

clean:
	rm -rf build build-sanitize report/gen report/*.aux report/*.log report/*.out report/report.pdf

include experiments.mk
