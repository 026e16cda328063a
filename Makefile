# prunebench -- build, tests, and the experiment pipeline.
#
#   make               build build/prunebench and build/plugins/*.so
#   make check         deps, then build and run the TAP test suite with prove
#   make test          the same without the deps step
#   make check-slurm   the quick tabular cells through a real one-node Slurm (root)
#   make critical-path the cell graph's critical path, wall time on WORKERS="8 64 512" cores
#   make reproduce     deps -> build -> every experiment cell -> figures -> report/report.pdf
#   make reproduce SCALE=quick   the same pipeline, shrunk for CI (minutes)
#   make sanitize      the test suite under AddressSanitizer + UBSan
#   make fuzz FUZZ_SECONDS=N   the file readers under libFuzzer (clang), N s each; fuzz-smoke: 10 s each
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
VERSION := $(shell scripts/version.sh 2>/dev/null || echo unknown)
# (-ffile-prefix-map: the objects, plugins and binary do not record the
# directory they were built in, so a copy of the tree builds the same bytes
# and a plugin's hash in the results does not depend on where it was built)
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Wshadow $(WERROR) -ffile-prefix-map=$(CURDIR)=.
CFLAGS_ALL := $(WARN) $(OPT) $(SAN) -I. $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(SAN) $(PKG_LDIRS) -llinear -lopenblas -lgsl -lz -ldl -lm $(LDLIBS)

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
# Sources compiled twice, once per precision (base/real.h): X.o (double)
# and X_f32.o (float, -DPB_F32), from the same kernels.
TYPED_SRC := base/blas.c models/mlp.c models/mlp_lrt.c models/rnn.c models/mlp_model.c models/rnn_model.c
LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC)) $(patsubst %.c,$(B)/obj/%_f32.o,$(TYPED_SRC))
HDRS    := $(foreach d,$(LAYERS),$(wildcard $(d)/*.h)) $(wildcard plugins/*.h)
PB      := $(B)/prunebench
PLUGINS := $(sort $(basename $(notdir $(wildcard plugins/*.c))))
PLUGIN_SO := $(patsubst %,$(B)/plugins/%.so,$(PLUGINS))
TESTS   := $(patsubst t/%.c,$(B)/t/%.t,$(wildcard t/*.c))

.PHONY: all check check-slurm test sanitize deps clean bench reproduce figures report cells fits
all: $(PB) $(PLUGIN_SO)

# Every build output is written under a temporary name and renamed, so a
# build killed half-way (SIGKILL of make) never leaves a truncated object,
# library, binary or plugin that looks up to date.
$(B)/obj/%.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c -o $@.tmp $< && mv $@.tmp $@
$(B)/obj/%_f32.o: %.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -DPB_F32 -c -o $@.tmp $< && mv $@.tmp $@

# The vectorized elementwise kernels: -O3 so gcc vectorizes their loops (in
# each per-CPU code path), FMA contraction, no errno from sqrt, no
# floating-point exception flags (lets gcc if-convert selects for AVX2). Not
# -ffast-math: NaN and inf keep their IEEE meaning (see base/vmath.c).
VEC_CFLAGS := -O3 -ffp-contract=fast -fno-math-errno -fno-trapping-math
$(B)/obj/base/vmath.o: CFLAGS_ALL += $(VEC_CFLAGS)

# provenance.o carries the version into every result file's provenance:
# rebuild it when the version changes. build/version.txt is rewritten (at
# parse time, so `make -q` and `make -n` see the truth) only when the version
# differs. No cell depends on the version or on the binary's timestamp (the
# binary is an order-only prerequisite): cells depend on content stamps of
# the code they run (below).
$(B)/obj/formats/provenance.o: $(B)/version.txt
$(B)/obj/formats/provenance.o: CFLAGS_ALL += -DPB_VERSION='"$(VERSION)"'
ifneq ($(filter-out clean deps,$(or $(MAKECMDGOALS),all)),)
$(shell mkdir -p $(B) && t=$(B)/version.txt.$$$$.new && printf '%s\n' '$(VERSION)' > $$t && \
        { cmp -s $$t $(B)/version.txt && rm -f $$t || mv $$t $(B)/version.txt; })
endif
# Its elementwise loops vectorized, same arithmetic (no contraction).
LRT_CFLAGS := -O3 -fno-math-errno
$(B)/obj/models/mlp_lrt.o $(B)/obj/models/mlp_lrt_f32.o: CFLAGS_ALL += $(LRT_CFLAGS)

$(B)/libprunebench.a: $(LIB_OBJ)
	rm -f $@.tmp && ar rcs $@.tmp $^ && mv $@.tmp $@

$(PB): $(CLI_SRC) $(B)/libprunebench.a $(HDRS)
	$(CC) $(CFLAGS_ALL) -o $@.tmp $(CLI_SRC) $(B)/libprunebench.a $(LDLIBS_ALL) && mv $@.tmp $@

# A plugin sees only plugins/prunebench.h and never links against the host.
$(B)/plugins/%.so: plugins/%.c $(wildcard plugins/*.h) | $(B)/plugins
	$(CC) $(WARN) $(OPT) $(PLUGIN_CFLAGS) $(SAN) -Iplugins -fPIC -shared -fvisibility=hidden -o $@.tmp $< -lm && mv $@.tmp $@
# The log-uniform KL of svd and groupvd is vectorized (plugins/log_uniform.h, VEC_CFLAGS above).
VEC_PLUGINS := svd groupvd
$(patsubst %,$(B)/plugins/%.so,$(VEC_PLUGINS)): PLUGIN_CFLAGS := $(VEC_CFLAGS)

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
	PB_BUILD=$(B) PB_OPT='$(OPT)' PB_SAN='$(SAN)' prove --exec '' $(TESTS) t/layers.sh t/new_model.sh t/cache.sh t/kill.sh t/fault_cells.sh t/install.sh t/version.sh t/tex.sh t/critical_path.sh

# The experiment grid through a real one-node Slurm on localhost, compared
# with a local run (as root; scripts/slurm-test.sh; skips where Slurm cannot start).
check-slurm: all
	PB_BUILD=$(B) PB_OPT='$(OPT)' PB_SAN='$(SAN)' scripts/slurm-test.sh

# The whole suite again under AddressSanitizer and UBSan, in its own build tree.
sanitize:
	$(MAKE) B=build-sanitize OPT='-O1 -g -fno-omit-frame-pointer' \
	    SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' check

# ---- fuzzing: fuzz/<reader>.c, clang's libFuzzer with ASan and UBSan ----
#   make fuzz [FUZZ_SECONDS=N]  build every target in build-fuzz/ and run each
#                               N seconds (default 60) on build-fuzz/corpus/<t>,
#                               seeded from fuzz/corpus/<t>; prints executions;
#                               a finding stops it (its input: build-fuzz/<t>-crash-*)
#   make fuzz-smoke             the same, 10 seconds per target (CI)
#   make fuzz-seeds             write fuzz/corpus/ again (fuzz/mkseeds.c)
FUZZ_TARGETS := $(sort $(basename $(notdir $(filter-out fuzz/mkseeds.c,$(wildcard fuzz/*.c)))))
FUZZ_B       ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
.PHONY: fuzz fuzz-smoke fuzz-build fuzz-seeds
fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=$(FUZZ_CC) WERROR= OPT='-O1 -g -fno-omit-frame-pointer' SAN='$(FUZZ_SAN) -fsanitize=fuzzer-no-link' \
	    $(patsubst %,$(FUZZ_B)/fuzz/%,$(FUZZ_TARGETS))
$(B)/fuzz/%: fuzz/%.c fuzz/fuzz.h $(B)/libprunebench.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< $(B)/libprunebench.a $(LDLIBS_ALL)
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_B)/corpus/$$t; \
	    $(FUZZ_B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_B)/$$t- $(FUZZ_B)/corpus/$$t fuzz/corpus/$$t > $(FUZZ_B)/$$t.log 2>&1 \
	        || { tail -n 40 $(FUZZ_B)/$$t.log; echo "fuzz $$t: a finding (log: $(FUZZ_B)/$$t.log)"; exit 1; }; \
	    awk -v t=$$t '/^stat::number_of_executed_units/ { e = $$2 } /^stat::peak_rss_mb/ { r = $$2 } \
	        END { printf "fuzz %-10s %10d executions in $(FUZZ_SECONDS) s, peak RSS %d MB, no finding\n", t, e, r }' \
	        $(FUZZ_B)/$$t.log; \
	done
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=10
$(B)/fuzz-mkseeds: fuzz/mkseeds.c $(B)/libprunebench.a $(HDRS)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/libprunebench.a $(LDLIBS_ALL)
fuzz-seeds: $(B)/fuzz-mkseeds
	rm -rf fuzz/corpus && $(B)/fuzz-mkseeds fuzz/corpus

deps:
	@scripts/deps.sh

# Throughput, not correctness: printed, never asserted.
bench: all
	$(PB) bench --plugin-dir $(B)/plugins
	@echo
	scripts/cost.sh

clean:
	rm -rf build build-sanitize build-fuzz report/gen report/*.aux report/*.log report/*.out report/report.pdf

# ---- install, uninstall, the man page ----
# make install [PREFIX=/usr/local] [DESTDIR=/staging]: the binary, the
# plugins, the plugin header, prunebench.pc, the man page and the shipped
# datasets under DESTDIR+PREFIX. The installed binary finds its plugins and
# data beside itself (PREFIX/lib/prunebench/plugins, PREFIX/share/prunebench/
# datasets; cli/cli.h), so the tree may be moved, DESTDIR included. The man
# page is `prunebench help --man`: the same text as `help COMMAND`.
PREFIX      ?= /usr/local
INST_BIN    := $(DESTDIR)$(PREFIX)/bin
INST_PLUG   := $(DESTDIR)$(PREFIX)/lib/prunebench/plugins
INST_INC    := $(DESTDIR)$(PREFIX)/include/prunebench
INST_PC     := $(DESTDIR)$(PREFIX)/lib/pkgconfig
INST_MAN    := $(DESTDIR)$(PREFIX)/share/man/man1
INST_DATA   := $(DESTDIR)$(PREFIX)/share/prunebench/datasets
SHIPPED_DATA := $(wildcard datasets/*.csv) datasets/PROVENANCE.md datasets/SHA256SUMS
MAN_PAGE    := $(B)/prunebench.1
.PHONY: install uninstall man
all: $(MAN_PAGE)
man: $(MAN_PAGE)
$(MAN_PAGE): $(PB)
	$(PB) help --man > $@.tmp && mv $@.tmp $@
install: all
	install -d '$(INST_BIN)' '$(INST_PLUG)' '$(INST_INC)' '$(INST_PC)' '$(INST_MAN)' '$(INST_DATA)'
	install -m 755 $(PB) '$(INST_BIN)/prunebench'
	install -m 755 $(PLUGIN_SO) '$(INST_PLUG)/'
	install -m 644 plugins/prunebench.h '$(INST_INC)/'
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' prunebench.pc.in > '$(INST_PC)/prunebench.pc'
	install -m 644 $(MAN_PAGE) '$(INST_MAN)/'
	install -m 644 $(SHIPPED_DATA) '$(INST_DATA)/'
uninstall:
	rm -f '$(INST_BIN)/prunebench' $(patsubst %,'$(INST_PLUG)/%.so',$(PLUGINS)) '$(INST_INC)/prunebench.h' \
	    '$(INST_PC)/prunebench.pc' '$(INST_MAN)/prunebench.1' $(patsubst datasets/%,'$(INST_DATA)/%',$(SHIPPED_DATA))
	-rmdir '$(INST_PLUG)' '$(DESTDIR)$(PREFIX)/lib/prunebench' '$(INST_INC)' '$(INST_DATA)' \
	    '$(DESTDIR)$(PREFIX)/share/prunebench' 2>/dev/null

# ---- what a cell's numbers depend on (experiments.mk writes the stamps) ----
# A cell depends on content stamps, never on the binary's timestamp or the
# version: the code its kind of cell runs, the plugin it loads, its settings
# and its data. The code of a kind is the source (.c, .h) of the layers it
# calls into, plugins/*.h, the CLI files that are no command of their own
# (cli/main.c, cli/cli.c, ...) and its commands' cli/cmd_<command>*.c where
# they exist -- train, rank, curve and summarize live in cli/main.c until the
# CLI is one file per command, and main.c is in every kind -- plus the
# compiler's version, the compile and link flags and the BLAS build.
CODE_KINDS   := fit rank curve noise p1sum p2sum p4 export eval tidy sweep p3sum baselines finetune
LOW_LAYERS   := base datasets models formats posterior host
fit_LAYERS   := $(LOW_LAYERS) train
rank_LAYERS  := $(LOW_LAYERS)
$(foreach k,curve noise p1sum p2sum p4 export eval tidy sweep p3sum baselines,$(eval $(k)_LAYERS := $(LOW_LAYERS) protocols))
# fine-tuned P1 curves (curve --finetune) train: the training layer too
finetune_LAYERS := $(LOW_LAYERS) train protocols
fit_CMDS     := train hyper
rank_CMDS    := rank
curve_CMDS   := curve
finetune_CMDS := curve
noise_CMDS   := noise
p1sum_CMDS   := summarize
p2sum_CMDS   := noise_summary noise
p4_CMDS      := structure
export_CMDS  := export
eval_CMDS    := evaluate
tidy_CMDS    := tidy
sweep_CMDS   := sweep
p3sum_CMDS   := sweep_summary
baselines_CMDS := baselines
# Commands no cell runs; a cli/cmd_*.c that is neither theirs nor a cell
# kind's is counted in every kind (unknown, so assumed to matter).
OTHER_CMDS   := bench plugins check_plugin provenance sparse_eval help findings
cmd_files     = $(wildcard $(patsubst %,cli/cmd_%*.c,$(1)))
UNKNOWN_CMD_FILES = $(filter-out $(call cmd_files,$(foreach k,$(CODE_KINDS),$($(k)_CMDS)) $(OTHER_CMDS)),$(wildcard cli/cmd_*.c))
# Sources that only some cells run are kept out of the layer-wide sets and
# make stamps of their own, which only those cells depend on, so an edit of
# them remakes nothing else (a day's fit is not thrown away for an edit that
# cannot change it): hyper, the hypernetworks (P5's hyper-train and
# hyper-gen cells); lsa, the LSA word vectors and their cache (the cells on
# a *-lsa pair set, and the baselines). Each file listed here must be
# called only from those cells' code paths.
SPECIFIC_KINDS := hyper lsa
hyper_FILES  := train/hyper.c train/hyper.h train/family_hyper.c formats/hypernet.c formats/hypernet.h cli/cmd_hyper.c
lsa_FILES    := datasets/lsa.c datasets/lsa.h datasets/vector_pairs.c datasets/vector_pairs.h datasets/memo.c datasets/memo.h
# The LSA word vectors are cached between runs under a key that includes a
# hash of the code deriving them (datasets/memo.h, vector_pairs.c): the
# files of their stamp and the eigensolver, so an edit of that code never
# finds the old code's vectors.
LSA_CODE_SRC := $(lsa_FILES) base/linalg.c
$(B)/obj/datasets/vector_pairs.o: $(LSA_CODE_SRC)
$(B)/obj/datasets/vector_pairs.o: CFLAGS_ALL += -DPB_LSA_CODE='"$(shell cat $(LSA_CODE_SRC) | sha256sum | cut -c1-16)"'
CODE_KINDS   += $(SPECIFIC_KINDS)
layer_files   = $(sort $(foreach d,$($(1)_LAYERS),$(wildcard $(d)/*.c $(d)/*.h)) $(wildcard plugins/*.h) \
                  $(filter-out cli/cmd_%,$(wildcard cli/*.c cli/*.h)) $(call cmd_files,$($(1)_CMDS)) $(UNKNOWN_CMD_FILES))
code_files    = $(if $(filter $(1),$(SPECIFIC_KINDS)),$($(1)_FILES),\
                  $(filter-out $(foreach k,$(SPECIFIC_KINDS),$($(k)_FILES)),$(call layer_files,$(1))))
# Evaluated once, on first use (only the experiment goals use them).
once          = $(eval $(1) := $$(shell $(2)))$($(1))
CC_VERSION    = $(call once,CC_VERSION,$(CC) --version 2>/dev/null | head -n 1)
BLAS_VERSION  = $(call once,BLAS_VERSION,pkg-config --modversion openblas 2>/dev/null)
# "path=sha256" for every source file a stamp may name
SRC_SUMS      = $(call once,SRC_SUMS,sha256sum $(sort $(foreach k,$(CODE_KINDS),$(call code_files,$(k))) $(wildcard plugins/*.c) $(DATA_FILES)) \
                  | sed 's/^\([0-9a-f]*\)  \(.*\)/\2=\1/')
sums_of       = $(filter $(addsuffix =%,$(1)),$(SRC_SUMS))
# (the flags without -Werror and without the tree's path in -ffile-prefix-map:
# a copy of the tree elsewhere builds the same code, so its cells are the same)
STAMP_FLAGS   = $(filter-out -Werror -ffile-prefix-map=%,$(1))
CODE_ENV      = $(CC_VERSION) | $(call STAMP_FLAGS,$(CFLAGS_ALL)) | vmath.o $(VEC_CFLAGS) | mlp_lrt.o $(LRT_CFLAGS) \
                | $(LDLIBS_ALL) | openblas $(BLAS_VERSION) $(OPENBLAS_CORETYPE)
# A plugin: its source, plugins/*.h, and how it is compiled.
PLUGIN_ENV    = $(CC_VERSION) | $(call STAMP_FLAGS,$(WARN)) $(OPT) $(SAN) $(if $(filter $(1),$(VEC_PLUGINS)),$(VEC_CFLAGS))
code_stamp    = $(CODE_ENV)$(nl)$(call sums_of,$(call code_files,$(1)))
plugin_stamp  = $(call PLUGIN_ENV,$(1))$(nl)$(call sums_of,plugins/$(1).c $(wildcard plugins/*.h))
define nl


endef

# Which methods train their own network, as the built plugins say (their
# descriptor's training facet): $(B)/plugins.mk, remade from the plugin .so
# files. Only the experiment goals read it, so `make clean`, `make deps`,
# `make check` and goals under $(B)/ build nothing to learn it on a fresh
# clone; `make reproduce` runs the experiments in a second make, after
# `make all`.
NO_PIPELINE_GOALS := all clean deps check check-slurm test sanitize bench reproduce install uninstall man fuzz fuzz-smoke fuzz-build fuzz-seeds
PIPELINE := $(filter-out $(NO_PIPELINE_GOALS) $(B)/%,$(or $(MAKECMDGOALS),all))
ifneq ($(PIPELINE),)
-include $(B)/plugins.mk
else
SRC_SUMS :=
CC_VERSION :=
BLAS_VERSION :=
endif
# Make remakes an included makefile even under -n and -q, with its
# prerequisites: the binary is built here only when missing, so asking
# `make -n` after an edit relinks nothing.
$(B)/plugins.mk: $(PLUGIN_SO)
	@test -x $(PB) || $(MAKE) --no-print-directory $(PB)
	set -o pipefail; { printf 'TRAINERS :='; $(PB) plugins --plugin-dir $(B)/plugins --trainers | tr '\n' ' '; echo; } > $@.tmp
	mv $@.tmp $@

include experiments.mk
