# experiments.mk -- the experiment grid as Make targets (included by Makefile).
#
# Three kinds of experiment, each one table of per-experiment variables and
# one rule family:
#   tabular repeats  DATASETS      <d>_MODEL <d>_EPOCHS <d>_TITLE [<d>_TRAIN_EXTRA] [<d>_DATA_FILES]
#   images, one run  IMAGE_EXPS    <e>_MODEL <e>_TITLE [<e>_DATA] [<e>_PRECISION]
#   sequences, one   SEQ_EXPS      <e>_DATA <e>_MODEL <e>_TITLE <e>_OPTS [<e>_LIMIT] [<e>_PRECISION]
# Precision (train --precision): the tabular experiments train in double;
# the image and sequence experiments in float32 (IMAGE_PRECISION,
# SEQ_PRECISION, or <e>_PRECISION for one experiment), as the seeds'
# frameworks did: the products in float, the optimizer in double.
# One file per cell, named by what the cell is:
#   results/<scale>/<dataset>/fit/base-r<k>.fit          shared base fit of repeat k
#   results/<scale>/<dataset>/fit/<method>-r<k>.fit      fit of a method that trains its own network
#   results/<scale>/<dataset>/order/<method>-r<k>.tsv    removal order
#   results/<scale>/<dataset>/curve/<method>-r<k>.tsv    protocol P1 curve (curvec/: compensated;
#                                                         curvef/: fine-tuned after pruning)
#   results/<scale>/<dataset>/noise/<method>-r<k>.tsv    protocol P2
#   results/<scale>/<dataset>/p1-*.{tsv,gp,tex}          summary over methods and repeats
#   results/<scale>/<dataset>/p1.{pdf,png}               figure
# Each rule family appends the cells it makes to CELLS (`make cells` makes
# them all, without summaries, figures or report).
#
# What a cell depends on (results/<scale>/stamps/, each file rewritten at
# parse time only when its content changes, so its timestamp means
# "changed", and `make -q` / `make -n` see the truth):
#   code-<kind>.sha       the code that kind of cell runs (Makefile: code_files)
#   plugin-<method>.sha   the plugin's source and compile flags
#   <exp>-train.txt       an experiment's training settings and data hashes
#   <exp>-rank-<m>.txt    one method's settings (prunable set, options)
#   <exp>-curve.txt, <exp>-noise.txt, <exp>-p4.txt, <exp>-finetune.txt   protocol settings
# The binary and the plugin .so are order-only prerequisites: rebuilding them
# (a commit changes the version they print) remakes no cell. Result files
# still record the version in their provenance.
#
# SCALE=full (default) is the published-size run; SCALE=quick shrinks epochs
# and repeats so the whole pipeline runs in a few minutes.

SCALE ?= full
ifeq ($(SCALE),quick)
REPEATS          ?= 2
NOISE_DRAWS      ?= 20
NOISE_LEVELS     ?= 0:0.25:1
NOISE_FRACTIONS  ?= 0:0.1:0.9,0.95,0.99,1
IMAGE_EPOCHS     ?= 1
SEQ_EPOCHS       ?= 1
SEQ_TRAIN_LIMIT  ?= 5000
SEQ_FRACTIONS    ?= 0,0.5,0.8,0.9,0.95,0.99,1
SEQ_TIMING       ?= 1
else ifeq ($(SCALE),full)
REPEATS          ?= 10
NOISE_DRAWS      ?= 100
NOISE_LEVELS     ?= 0:0.1:1
NOISE_FRACTIONS  ?= 0:0.05:0.95,0.98,0.99,1
IMAGE_EPOCHS     ?= 200
# The seed's budget on its smaller text set (Movie Reviews: 8000 training
# reviews, 1000 epochs); docs/protocols.md says why not all 60000 sequences.
SEQ_EPOCHS       ?= 1000
SEQ_TRAIN_LIMIT  ?= 8000
SEQ_FRACTIONS    ?= $(FRACTIONS)
SEQ_TIMING       ?= 5
else
$(error SCALE must be 'full' or 'quick', not '$(SCALE)')
endif
# $(call by_scale,FULL,QUICK)
by_scale    = $(if $(filter quick,$(SCALE)),$(2),$(1))
# $(call count_of,N,WORD): "1 epoch", "200 epochs"
count_of    = $(1) $(2)$(if $(filter 1,$(1)),,s)

R          := results/$(SCALE)
# Each step prints one short line (V=1: its command) and, after a cell, the
# pipeline's progress (scripts/cell.sh).
Q          := $(if $(V),,@)
empty      :=
space      := $(empty) $(empty)
comma      := ,
CELL       := scripts/cell.sh
# Each step's wall time, for scripts/critical-path.sh and Slurm's time limits.
export PB_COST_LOG := $(R)/cost.log
# RUNNER=slurm: each prunebench cell runs as a Slurm job step
# (scripts/slurm-run.sh; README, "Running on a cluster"), with
# SLURM_PARTITION, SLURM_ACCOUNT, SRUN_FLAGS and its other settings passed on.
RUNNER     ?= local
ifeq ($(RUNNER),slurm)
export PB_RUNNER := scripts/slurm-run.sh
export SLURM_PARTITION SLURM_ACCOUNT SRUN_FLAGS SLURM_MEM SLURM_TIME SLURM_TIME_TRAIN SLURM_MAX_TIME \
       SLURM_SIGNAL_SECONDS SLURM_RETRIES SLURM_MAX_RESUMES SLURM_LOG_DIR SRUN
else ifneq ($(RUNNER),local)
$(error RUNNER must be 'local' or 'slurm', not '$(RUNNER)')
endif
# `train --method NAME` finds the plugin of this build tree (B=build-sanitize too).
export PB_PLUGIN_DIR := $(B)/plugins
# Derived data kept between cells: the LSA word vectors of a pair set are
# computed by the first cell that opens the set (seconds) and read back by
# the others, bit for bit (datasets/memo.h). A user's own $PB_CACHE_DIR wins.
PB_CACHE_DIR ?= $(R)/cache
export PB_CACHE_DIR
S          := $(R)/stamps
METHODS    ?= $(PLUGINS)
# Methods that train their own network ($(B)/plugins.mk, from the built
# plugins): they get their own fit per repeat instead of scoring the shared
# base fit.
fit_of      = $(if $(filter $(1),$(TRAINERS)),$(1),base)
FRACTIONS  ?= 0:0.05:0.95,0.98,0.99,1
# Protocol P3 (threshold sweep): the lambda grid and Monte Carlo samples of the bound.
P3_LAMBDAS ?= $(call by_scale,1e-3..1e3/4,1e-3..1e3/2)
P3_SAMPLES ?= $(call by_scale,20,5)
TRAIN_OPTS ?= --family gauss-diag --batch 32 --lr 0.01 --init-sd 0.5 --prior-mean eb --noise eb --test-fraction 0.2
PRUNABLE   ?= weights
REPEAT_IDS := $(shell seq 0 $$(( $(REPEATS) - 1 )))
CELLS      :=

# ---- stamps ----
# $(call stamp,NAME,CONTENT) writes CONTENT to $(S)/NAME.<pid>.new at parse
# time; the end of this file moves each over $(S)/NAME if it differs. Only
# the experiment goals write stamps.
# A dry run (make -n, make -q) answers with a copy of the stamps
# ($(R)/stamps.dry), so asking what an edit would remake and then undoing the
# edit leaves the real stamps, and so the cells, as they were.
ifneq ($(PIPELINE),)
ifneq ($(findstring n,$(firstword -$(MAKEFLAGS)))$(findstring q,$(firstword -$(MAKEFLAGS))),)
S          := $(R)/stamps.dry
STAMP_PID  := $(shell rm -rf $(S) && mkdir -p $(R)/stamps && cp -pr $(R)/stamps $(S) && echo $$PPID)
else
STAMP_PID  := $(shell mkdir -p $(S) && echo $$PPID)
endif
stamp       = $(file >$(S)/$(1).$(STAMP_PID).new,$(2))
endif
code        = $(S)/code-$(1).sha
plugin      = $(S)/plugin-$(1).sha

# ---- tabular experiments: repeats on a small data set ----
# Per dataset (seed 004), one block each: its name, model, epochs (full,
# quick), title, extra training options, the tracked data files (hashed into
# its training settings). DATASETS=wine on the command line picks some.
DATASETS              += wine
wine_MODEL            := mlp:13-13-3:tanh
wine_EPOCHS           := $(call by_scale,1000,150)
wine_TITLE            := Wine
wine_DATA_FILES       := datasets/wine_data.csv
DATASETS              += boston
boston_MODEL          := mlp:13-39-1:tanh:mse
boston_EPOCHS         := $(call by_scale,1000,150)
boston_TITLE          := Boston
boston_DATA_FILES     := datasets/boston_house_prices.csv
DATASETS              += synthetic
synthetic_MODEL       := mlp:100-1:identity:mse
synthetic_EPOCHS      := $(call by_scale,100,20)
synthetic_TITLE       := Synthetic
synthetic_TRAIN_EXTRA := --init seed004-synthetic
DATA_FILES             = $(foreach d,$(DATASETS),$($(d)_DATA_FILES))

# Per-method plugin options, e.g. `make reproduce obd_OPTIONS=hessian=exact`.
obd_OPTIONS ?=
belsley_OPTIONS ?=
# e.g. magnitude_OPTIONS=scope=layer, snip_OPTIONS=batch=32, synflow_OPTIONS=rounds=20
magnitude_OPTIONS ?=
snip_OPTIONS ?=
synflow_OPTIONS ?=
TRAINER_METHODS = $(filter $(TRAINERS),$(METHODS))

# The code of each kind of cell, and each method's plugin (after the tables:
# the source hashes include the tabular data files).
$(foreach k,$(CODE_KINDS),$(call stamp,code-$(k).sha,$(call code_stamp,$(k))))
$(foreach m,$(METHODS),$(call stamp,plugin-$(m).sha,$(call plugin_stamp,$(m))))
# Which methods the run has: the summaries and the report follow it (a method
# left out leaves the summaries even though no prerequisite of theirs is newer).
$(call stamp,report-methods.txt,$(METHODS))

# $(1) dataset: its settings, base fits, summaries.
define TABULAR_RULES
$(call stamp,$(1)-train.txt,model=$($(1)_MODEL)$(nl)epochs=$($(1)_EPOCHS)$(nl)train=$(TRAIN_OPTS) $($(1)_TRAIN_EXTRA)$(nl)data=$(call sums_of,$($(1)_DATA_FILES)))
$(call stamp,$(1)-curve.txt,fractions=$(FRACTIONS))
$(call stamp,$(1)-noise.txt,fractions=$(NOISE_FRACTIONS)$(nl)levels=$(NOISE_LEVELS)$(nl)draws=$(NOISE_DRAWS))
$(call stamp,$(1)-sweep.txt,lambdas=$(P3_LAMBDAS)$(nl)samples=$(P3_SAMPLES))
CELLS += $(foreach k,$(REPEAT_IDS),$(R)/$(1)/fit/base-r$(k).fit $(R)/$(1)/sweep/D-r$(k).tsv)

$(R)/$(1)/fit/base-r%.fit: $(call code,fit) $(S)/$(1)-train.txt | $(PB) $(B)/datasets.verified
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $(1) --model $($(1)_MODEL) --repeat $$* --epochs $($(1)_EPOCHS) $(TRAIN_OPTS) $($(1)_TRAIN_EXTRA) -o $$@

# P1 summaries: plain (variant p1) and with conditional-mean compensation (p1c)
$(R)/$(1)/p1-summary.tsv $(R)/$(1)/p1-mean.tsv $(R)/$(1)/p1-methods.gp $(R)/$(1)/p1-table.tex $(R)/$(1)/p1-macros.tex &: $(call code,p1sum) report/reference.tsv $(S)/report-methods.txt $(foreach m,$(METHODS),$(foreach k,$(REPEAT_IDS),$(R)/$(1)/curve/$(m)-r$(k).tsv)) | $(PB)
	$(Q)$(CELL) $(R)/$(1)/p1-summary.tsv $(PB) summarize --dataset $(1) --title "$($(1)_TITLE)" --reference report/reference.tsv \
	    --mean $(R)/$(1)/p1-mean.tsv --gp $(R)/$(1)/p1-methods.gp --tex $(R)/$(1)/p1-table.tex \
	    --macros $(R)/$(1)/p1-macros.tex --tsv $(R)/$(1)/p1-summary.tsv $$(filter $(R)/$(1)/curve/%,$$^)
$(R)/$(1)/p1c-summary.tsv $(R)/$(1)/p1c-mean.tsv $(R)/$(1)/p1c-methods.gp $(R)/$(1)/p1c-table.tex $(R)/$(1)/p1c-macros.tex &: $(call code,p1sum) report/reference.tsv $(S)/report-methods.txt $(foreach m,$(filter-out $(TRAINERS),$(METHODS)),$(foreach k,$(REPEAT_IDS),$(R)/$(1)/curvec/$(m)-r$(k).tsv)) | $(PB)
	$(Q)$(CELL) $(R)/$(1)/p1c-summary.tsv $(PB) summarize --dataset $(1) --variant comp --title "$($(1)_TITLE), compensated" --reference report/reference.tsv \
	    --mean $(R)/$(1)/p1c-mean.tsv --gp $(R)/$(1)/p1c-methods.gp --tex $(R)/$(1)/p1c-table.tex \
	    --macros $(R)/$(1)/p1c-macros.tex --tsv $(R)/$(1)/p1c-summary.tsv $$(filter $(R)/$(1)/curvec/%,$$^)

# (p1 and p1c stand side by side in the report: one y-scale for both)
$(R)/$(1)/p1.pdf $(R)/$(1)/p1c.pdf: $(R)/$(1)/%.pdf: report/p1.gp $(R)/$(1)/p1-summary.tsv $(R)/$(1)/p1c-summary.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/$$*-mean.tsv'; range_data='$(R)/$(1)/p1-mean.tsv $(R)/$(1)/p1c-mean.tsv'; methods_gp='$(R)/$(1)/$$*-methods.gp'; out='$$@.tmp'; fmt='pdf'" report/p1.gp
	$(Q)mv $$@.tmp $$@
$(R)/$(1)/p1.png $(R)/$(1)/p1c.png: $(R)/$(1)/%.png: report/p1.gp $(R)/$(1)/p1-summary.tsv $(R)/$(1)/p1c-summary.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/$$*-mean.tsv'; range_data='$(R)/$(1)/p1-mean.tsv $(R)/$(1)/p1c-mean.tsv'; methods_gp='$(R)/$(1)/$$*-methods.gp'; out='$$@.tmp'; fmt='png'" report/p1.gp
	$(Q)mv $$@.tmp $$@

# P3: the threshold sweep of each base fit (a diagonal posterior, D), its
# summary over repeats and figure
$(R)/$(1)/sweep/D-r%.tsv: $(R)/$(1)/fit/base-r%.fit $(call code,sweep) $(S)/$(1)-sweep.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) sweep --fit $$< --lambdas '$(P3_LAMBDAS)' --samples $(P3_SAMPLES) -o $$@
$(R)/$(1)/p3-summary.tsv $(R)/$(1)/p3-mean.tsv $(R)/$(1)/p3-families.gp $(R)/$(1)/p3-macros.tex &: $(call code,p3sum) $(foreach k,$(REPEAT_IDS),$(R)/$(1)/sweep/D-r$(k).tsv) | $(PB)
	$(Q)$(CELL) $(R)/$(1)/p3-summary.tsv $(PB) sweep-summary --name $(1) --title "$($(1)_TITLE)" --mean $(R)/$(1)/p3-mean.tsv \
	    --gp $(R)/$(1)/p3-families.gp --macros $(R)/$(1)/p3-macros.tex --tsv $(R)/$(1)/p3-summary.tsv $$(filter $(R)/$(1)/sweep/%,$$^)
$(R)/$(1)/p3.pdf: report/p3.gp $(R)/$(1)/p3-summary.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/p3-mean.tsv'; families_gp='$(R)/$(1)/p3-families.gp'; out='$$@.tmp'" report/p3.gp
	$(Q)mv $$@.tmp $$@

# P2 summary: mean output-noise surfaces, slices, macros; figures
# (Every summary is one grouped rule over all the files its command writes,
# so a side file deleted or left stale by a kill is remade.)
$(R)/$(1)/p2-slices.tsv $(R)/$(1)/p2-macros.tex $(R)/$(1)/p2-table.tex $(R)/$(1)/p2-surface-methods.gp \
    $(foreach m,$(METHODS),$(R)/$(1)/p2-surface-$(m).tsv) &: $(call code,p2sum) $(S)/report-methods.txt $(foreach m,$(METHODS),$(foreach k,$(REPEAT_IDS),$(R)/$(1)/noise/$(m)-r$(k).tsv)) | $(PB)
	$(Q)$(CELL) $(R)/$(1)/p2-slices.tsv $(PB) noise-summary --dataset $(1) --title "$($(1)_TITLE)" --surface-prefix $(R)/$(1)/p2-surface \
	    --macros $(R)/$(1)/p2-macros.tex --tex $(R)/$(1)/p2-table.tex --slices $(R)/$(1)/p2-slices.tsv $$(filter $(R)/$(1)/noise/%,$$^)
endef

# $(1) dataset, $(2) a method that trains its own network
define TABULAR_TRAINER_RULES
CELLS += $(foreach k,$(REPEAT_IDS),$(R)/$(1)/fit/$(2)-r$(k).fit)
$(R)/$(1)/fit/$(2)-r%.fit: $(call code,fit) $(S)/$(1)-train.txt $(call plugin,$(2)) | $(PB) $(B)/plugins/$(2).so $(B)/datasets.verified
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $(1) --model $($(1)_MODEL) --method $(2) --repeat $$* --epochs $($(1)_EPOCHS) \
	    $(TRAIN_OPTS) $($(1)_TRAIN_EXTRA) -o $$@
endef

# $(1) dataset, $(2) method: order, P1 curves, P2.
define TABULAR_METHOD_RULES
$(call stamp,$(1)-rank-$(2).txt,prunable=$(PRUNABLE)$(nl)options=$($(2)_OPTIONS))
CELLS += $(foreach k,$(REPEAT_IDS),$(R)/$(1)/order/$(2)-r$(k).tsv $(R)/$(1)/curve/$(2)-r$(k).tsv $(R)/$(1)/noise/$(2)-r$(k).tsv \
    $(if $(filter $(2),$(TRAINERS)),,$(R)/$(1)/curvec/$(2)-r$(k).tsv))
$(R)/$(1)/order/$(2)-r%.tsv: $(R)/$(1)/fit/$(call fit_of,$(2))-r%.fit $(call code,rank) $(call plugin,$(2)) $(S)/$(1)-rank-$(2).txt | $(PB) $(B)/plugins/$(2).so
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) rank --fit $$< --method $(B)/plugins/$(2).so --prunable $(PRUNABLE) $(if $($(2)_OPTIONS),--options '$($(2)_OPTIONS)') -o $$@
$(R)/$(1)/curve/$(2)-r%.tsv: $(R)/$(1)/fit/$(call fit_of,$(2))-r%.fit $(R)/$(1)/order/$(2)-r%.tsv $(call code,curve) $(S)/$(1)-curve.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) curve --fit $$< --order $(R)/$(1)/order/$(2)-r$$*.tsv --fractions '$(FRACTIONS)' -o $$@
$(R)/$(1)/curvec/$(2)-r%.tsv: $(R)/$(1)/fit/$(call fit_of,$(2))-r%.fit $(R)/$(1)/order/$(2)-r%.tsv $(call code,curve) $(S)/$(1)-curve.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) curve --fit $$< --order $(R)/$(1)/order/$(2)-r$$*.tsv --fractions '$(FRACTIONS)' --compensate conditional -o $$@
$(R)/$(1)/noise/$(2)-r%.tsv: $(R)/$(1)/fit/$(call fit_of,$(2))-r%.fit $(R)/$(1)/order/$(2)-r%.tsv $(call code,noise) $(S)/$(1)-noise.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) noise --fit $$< --order $(R)/$(1)/order/$(2)-r$$*.tsv --fractions '$(NOISE_FRACTIONS)' \
	    --levels '$(NOISE_LEVELS)' --draws $(NOISE_DRAWS) -o $$@
endef

$(foreach d,$(DATASETS),$(eval $(call TABULAR_RULES,$(d))))
$(foreach d,$(DATASETS),$(foreach m,$(METHODS),$(eval $(call TABULAR_METHOD_RULES,$(d),$(m)))))
$(foreach d,$(DATASETS),$(foreach m,$(TRAINER_METHODS),$(eval $(call TABULAR_TRAINER_RULES,$(d),$(m)))))

$(B)/datasets.verified: datasets/SHA256SUMS $(DATA_FILES)
	$(Q)cd datasets && sha256sum --quiet -c SHA256SUMS
	$(Q)touch $@

# ---- one-run experiments (images, sequences): shared rules ----
# $(1) experiment, $(2) a method that trains its own network (fit/$(2)-r0.fit):
# the removal order and the P1 curve.
define ONE_RUN_METHOD_RULES
$(call stamp,$(1)-rank-$(2).txt,options=$($(2)_OPTIONS))
CELLS += $(R)/$(1)/fit/$(2)-r0.fit $(R)/$(1)/order/$(2)-r0.tsv $(R)/$(1)/curve/$(2)-r0.tsv
$(R)/$(1)/order/$(2)-r0.tsv: $(R)/$(1)/fit/$(2)-r0.fit $(call code,rank) $(call plugin,$(2)) $(S)/$(1)-rank-$(2).txt | $(PB) $(B)/plugins/$(2).so
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) rank --fit $$< --method $(B)/plugins/$(2).so $(if $($(2)_OPTIONS),--options '$($(2)_OPTIONS)') -o $$@
$(R)/$(1)/curve/$(2)-r0.tsv: $(R)/$(1)/fit/$(2)-r0.fit $(R)/$(1)/order/$(2)-r0.tsv $(call code,curve) $(S)/$(1)-curve.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) curve --fit $$< --order $(R)/$(1)/order/$(2)-r0.tsv --fractions '$($(1)_FRACTIONS)' -o $$@
endef
# $(1) experiment, $(2) its methods: curve settings, the P1 summary and figures.
define ONE_RUN_RULES
$(call stamp,$(1)-curve.txt,fractions=$($(1)_FRACTIONS))
$(R)/$(1)/p1-summary.tsv $(R)/$(1)/p1-mean.tsv $(R)/$(1)/p1-methods.gp $(R)/$(1)/p1-table.tex $(R)/$(1)/p1-macros.tex &: $(call code,p1sum) report/reference.tsv $(S)/report-methods.txt $(foreach m,$(2),$(R)/$(1)/curve/$(m)-r0.tsv) | $(PB)
	$(Q)$(CELL) $(R)/$(1)/p1-summary.tsv $(PB) summarize --dataset $(1) --title "$($(1)_LONG_TITLE)" --reference report/reference.tsv \
	    --mean $(R)/$(1)/p1-mean.tsv --gp $(R)/$(1)/p1-methods.gp --tex $(R)/$(1)/p1-table.tex \
	    --macros $(R)/$(1)/p1-macros.tex --tsv $(R)/$(1)/p1-summary.tsv $$(filter $(R)/$(1)/curve/%,$$^)
$(R)/$(1)/p1.pdf $(R)/$(1)/p1.png: $(R)/$(1)/p1.%: report/p1.gp $(R)/$(1)/p1-summary.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/p1-mean.tsv'; methods_gp='$(R)/$(1)/p1-methods.gp'; out='$$@.tmp'; fmt='$$*'" report/p1.gp
	$(Q)mv $$@.tmp $$@
endef

# ---- images: methods that train their own network, on Fashion-MNIST ----
# (seed 001 section 3.2; Molchanov et al. 2017: Adam, batch 100, lr 1e-3 decaying
# linearly to 0 over the second half, 200 epochs; one repeat.) Beside each
# method: the same network trained without sparsification (family point).
IMAGE_DATA       ?= fashion-mnist
IMAGE_TRAIN_OPTS ?= --batch 100 --lr 0.001 --lr-decay linear
IMAGE_PRECISION  ?= f32
IMAGE_METHODS     = $(TRAINER_METHODS)
IMAGE_EXPS          += fmnist_lenet
fmnist_lenet_MODEL  := mlp:784-300-100-10:relu
fmnist_lenet_TITLE  := LeNet-300-100
IMAGE_EXPS          += fmnist_mlp100
fmnist_mlp100_MODEL := mlp:784-100-10:relu
fmnist_mlp100_TITLE := 784-100-10

# $(1) image experiment
define IMAGE_RULES
$(1)_DATA       ?= $(IMAGE_DATA)
$(1)_FRACTIONS  := $(FRACTIONS)
$(1)_LONG_TITLE := $$($(1)_DATA), $($(1)_TITLE)
$$(call stamp,$(1)-train.txt,data=$$($(1)_DATA)$$(nl)model=$($(1)_MODEL)$$(nl)epochs=$(IMAGE_EPOCHS)$$(nl)train=$(IMAGE_TRAIN_OPTS) --precision $$($(1)_PRECISION))
CELLS += $(R)/$(1)/fit/plain-r0.fit
$(R)/$(1)/fit/plain-r0.fit: $(call code,fit) $(S)/$(1)-train.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $$($(1)_DATA) --model $($(1)_MODEL) --family point --epochs $(IMAGE_EPOCHS) $(IMAGE_TRAIN_OPTS) --precision $$($(1)_PRECISION) --progress -o $$@
$(R)/$(1)/plain-eval.tsv: $(R)/$(1)/fit/plain-r0.fit $(call code,eval) | $(PB)
	$(Q)$(CELL) $$@ $(PB) evaluate --fit $$< --tex $(R)/$(1)/plain-macros.tex --name $(1)-plain -o $$@
report/gen/$(1)/stamp: $(R)/$(1)/plain-eval.tsv $(R)/$(1)/p1.pdf $(R)/$(1)/p1.png \
    $(R)/$(1)/p1-table.tex $(R)/$(1)/p1-macros.tex \
    $(foreach m,$(IMAGE_METHODS),$(R)/$(1)/$(m)-export.tex $(R)/$(1)/logalpha-$(m).pdf) results/report-scale.txt \
    $(S)/report-methods.txt scripts/report-gen.sh scripts/tex.sh $(wildcard report/published/$(1).tex)
	$(Q)rm -rf report/gen/$(1) && mkdir -p report/gen/$(1)
	$(Q)cp $(R)/$(1)/plain-macros.tex $(foreach m,$(IMAGE_METHODS),$(R)/$(1)/$(m)-export.tex $(R)/$(1)/logalpha-$(m).pdf) $(R)/$(1)/p1.pdf report/gen/$(1)/
	$(Q)scripts/report-gen.sh image $(1) '$($(1)_MODEL)' '$$($(1)_LONG_TITLE)' $(IMAGE_METHODS) > report/gen/$(1)/body.tex
	$(Q)touch $$@
endef

# $(1) image experiment, $(2) method that trains its own network
define IMAGE_METHOD_RULES
$(R)/$(1)/fit/$(2)-r0.fit: $(call code,fit) $(S)/$(1)-train.txt $(call plugin,$(2)) | $(PB) $(B)/plugins/$(2).so
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $$($(1)_DATA) --model $($(1)_MODEL) --method $(2) --epochs $(IMAGE_EPOCHS) $(IMAGE_TRAIN_OPTS) --precision $$($(1)_PRECISION) --progress -o $$@
$(R)/$(1)/$(2)-export.tex: $(R)/$(1)/fit/$(2)-r0.fit $(R)/$(1)/order/$(2)-r0.tsv $(call code,export) $(call plugin,$(2)) | $(PB) $(B)/plugins/$(2).so
	$(Q)$(CELL) $$@ $(PB) export --fit $$< --order $(R)/$(1)/order/$(2)-r0.tsv --operating-point --plugin-dir $(B)/plugins \
	    --tex $$@ --name $(1)-$(2) -o $(R)/$(1)/$(2)-r0.csr
$(R)/$(1)/logalpha-$(2).pdf: report/logalpha.gp $(R)/$(1)/order/$(2)-r0.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/order/$(2)-r0.tsv'; out='$$@.tmp'; fmt='pdf'; title='$($(1)_TITLE), $(2): log α of the weights'" report/logalpha.gp
	$(Q)mv $$@.tmp $$@
endef

# Without a method that trains its own network there is nothing to compare here.
IMAGE_EXPS := $(if $(IMAGE_METHODS),$(IMAGE_EXPS))
$(foreach e,$(IMAGE_EXPS),$(eval $(e)_PRECISION ?= $(IMAGE_PRECISION)))
$(foreach e,$(IMAGE_EXPS),$(eval $(call IMAGE_RULES,$(e))))
$(foreach e,$(IMAGE_EXPS),$(eval $(call ONE_RUN_RULES,$(e),$(IMAGE_METHODS))))
$(foreach e,$(IMAGE_EXPS),$(foreach m,$(IMAGE_METHODS),$(eval $(call IMAGE_METHOD_RULES,$(e),$(m)))))
$(foreach e,$(IMAGE_EXPS),$(foreach m,$(IMAGE_METHODS),$(eval $(call ONE_RUN_METHOD_RULES,$(e),$(m)))))

# ---- sequences: recurrent networks (seed 001 sections 4-5, Tables 3-4) ----
# An LSTM with 128 hidden units on sequential Fashion-MNIST (28 steps of 28
# pixels) always; on IMDB and Movie Reviews when $PB_IMDB_DIR or
# $PB_MOVIE_REVIEWS_FILE names the data (seed 001's architecture: embedding
# 300 resp. 128, LSTM 128, vocabulary 20000 + padding and unknown). Per
# experiment: (a) no regularization, (b) binary dropout p = 0.3 on inputs and
# hidden units + L2 1e-3 (the seed's baseline), and every method that trains
# its own network; for those, the P1 curve and protocol P4 at the method's
# operating point (remaining groups, FLOPs, measured inference time of the
# compact network, constant gates). Adam, batch 128, lr 1e-3 (IMDB 5e-4).
SEQ_EXPS             += seqfmnist_lstm
seqfmnist_lstm_DATA  := seq-fashion-mnist
seqfmnist_lstm_MODEL := lstm:28x28-128-10
seqfmnist_lstm_TITLE := LSTM-128 on sequential Fashion-MNIST
seqfmnist_lstm_OPTS  := --batch 128 --lr 0.001
seqfmnist_lstm_LIMIT := $(if $(SEQ_TRAIN_LIMIT),--train-limit $(SEQ_TRAIN_LIMIT))
# A real text task with a vocabulary, reachable here: each WordNet noun
# gloss -> its lexicographer file (26 noun categories; datasets/wordnet.h),
# an embedding LSTM as for IMDB with a 64-dimensional embedding, on the first
# SEQ_TRAIN_LIMIT glosses of the training split, fewer epochs than the
# image sequences (a 20002-word embedding makes each step dearer); at quick
# scale 5% of the glosses for testing (every cell evaluates the test set).
SEQ_EXPS                  += wnglosses_lstm
wnglosses_lstm_DATA       := wordnet-glosses
wnglosses_lstm_MODEL      := lstm:30xv20002e64-128-26
wnglosses_lstm_TITLE      := LSTM-128 on WordNet glosses
wnglosses_lstm_OPTS       := --batch 128 --lr 0.001 $(call by_scale,,--test-fraction 0.05)
wnglosses_lstm_LIMIT      := $(if $(SEQ_TRAIN_LIMIT),--train-limit $(SEQ_TRAIN_LIMIT))
wnglosses_lstm_EPOCHS     ?= $(call by_scale,100,1)
wnglosses_lstm_VOCAB      := 1
ifneq ($(PB_IMDB_DIR),)
SEQ_EXPS          += imdb_lstm
imdb_lstm_DATA    := imdb
imdb_lstm_MODEL   := lstm:200xv20002e300-128-2
imdb_lstm_TITLE   := LSTM-128 on IMDB
imdb_lstm_OPTS    := --batch 128 --lr 0.0005
endif
ifneq ($(PB_MOVIE_REVIEWS_FILE),)
SEQ_EXPS          += mr_lstm
mr_lstm_DATA      := movie-reviews
mr_lstm_MODEL     := lstm:200xv20002e128-128-1:mse
mr_lstm_TITLE     := LSTM-128 on Movie Reviews
mr_lstm_OPTS      := --batch 128 --lr 0.001
endif
SEQ_PRECISION        ?= f32
SEQ_BASELINES        := plain dropout
SEQ_plain_OPTS       := --family point
SEQ_dropout_OPTS     := --family point --dropout 0.3 --weight-decay 0.001
SEQ_METHODS           = $(TRAINER_METHODS)

# $(1) sequence experiment
define SEQ_RULES
$(1)_FRACTIONS  := $(SEQ_FRACTIONS)
$(1)_LONG_TITLE := $($(1)_TITLE)
$(call stamp,$(1)-train.txt,data=$($(1)_DATA)$(nl)model=$($(1)_MODEL)$(nl)epochs=$($(1)_EPOCHS)$(nl)train=$($(1)_OPTS) $($(1)_LIMIT) --precision $($(1)_PRECISION)$(nl)plain=$(SEQ_plain_OPTS)$(nl)dropout=$(SEQ_dropout_OPTS))
$(call stamp,$(1)-p4.txt,repeats=$(SEQ_TIMING))
report/gen/$(1)/stamp: $(foreach b,$(SEQ_BASELINES),$(R)/$(1)/$(b)-eval.tsv) $(R)/$(1)/p1.pdf $(R)/$(1)/p1.png \
    $(R)/$(1)/p1-table.tex $(R)/$(1)/p1-macros.tex \
    $(foreach m,$(SEQ_METHODS),$(R)/$(1)/$(m)-p4.tsv $(R)/$(1)/gates-$(m).pdf) results/report-scale.txt \
    $(S)/report-methods.txt scripts/report-gen.sh scripts/tex.sh $(wildcard report/published/$(1).tex)
	$(Q)rm -rf report/gen/$(1) && mkdir -p report/gen/$(1)
	$(Q)cp $(foreach b,$(SEQ_BASELINES),$(R)/$(1)/$(b)-macros.tex) $(foreach m,$(SEQ_METHODS),$(R)/$(1)/$(m)-p4.tex $(R)/$(1)/gates-$(m).pdf) \
	    $(R)/$(1)/p1.pdf report/gen/$(1)/
	$(Q)scripts/report-gen.sh seq $(1) '$($(1)_TITLE)' $(if $($(1)_VOCAB),--vocab) $(SEQ_METHODS) > report/gen/$(1)/body.tex
	$(Q)touch $$@
endef

# $(1) sequence experiment, $(2) a baseline without sparsification (SEQ_<b>_OPTS)
define SEQ_BASELINE_RULES
CELLS += $(R)/$(1)/fit/$(2)-r0.fit
$(R)/$(1)/fit/$(2)-r0.fit: $(call code,fit) $(S)/$(1)-train.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $($(1)_DATA) --model $($(1)_MODEL) $(SEQ_$(2)_OPTS) --epochs $($(1)_EPOCHS) $($(1)_OPTS) $($(1)_LIMIT) --precision $($(1)_PRECISION) --progress -o $$@
$(R)/$(1)/$(2)-eval.tsv: $(R)/$(1)/fit/$(2)-r0.fit $(call code,eval) | $(PB)
	$(Q)$(CELL) $$@ $(PB) evaluate --fit $$< --tex $(R)/$(1)/$(2)-macros.tex --name $(1)-$(2) -o $$@
endef

# $(1) sequence experiment, $(2) method that trains its own network
define SEQ_METHOD_RULES
$(R)/$(1)/fit/$(2)-r0.fit: $(call code,fit) $(S)/$(1)-train.txt $(call plugin,$(2)) | $(PB) $(B)/plugins/$(2).so
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $($(1)_DATA) --model $($(1)_MODEL) --method $(2) --epochs $($(1)_EPOCHS) $($(1)_OPTS) $($(1)_LIMIT) --precision $($(1)_PRECISION) --progress -o $$@
$(R)/$(1)/$(2)-p4.tsv: $(R)/$(1)/fit/$(2)-r0.fit $(R)/$(1)/order/$(2)-r0.tsv $(call code,p4) $(call plugin,$(2)) $(S)/$(1)-p4.txt | $(PB) $(B)/plugins/$(2).so
	$(Q)$(CELL) $$@ $(PB) structure --fit $$< --order $(R)/$(1)/order/$(2)-r0.tsv --operating-point --plugin-dir $(B)/plugins --repeats $(SEQ_TIMING) \
	    --gates $(R)/$(1)/gates-$(2).tsv --tex $(R)/$(1)/$(2)-p4.tex --name $(1)-$(2) -o $$@
$(R)/$(1)/gates-$(2).pdf: report/gates.gp $(R)/$(1)/$(2)-p4.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/gates-$(2).tsv'; out='$$@.tmp'; title='$(2)'" report/gates.gp
	$(Q)mv $$@.tmp $$@
endef

SEQ_EXPS := $(if $(SEQ_METHODS),$(SEQ_EXPS))
$(foreach e,$(SEQ_EXPS),$(eval $(e)_PRECISION ?= $(SEQ_PRECISION)))
$(foreach e,$(SEQ_EXPS),$(eval $(e)_EPOCHS ?= $(SEQ_EPOCHS)))
$(foreach e,$(SEQ_EXPS),$(eval $(call SEQ_RULES,$(e))))
$(foreach e,$(SEQ_EXPS),$(eval $(call ONE_RUN_RULES,$(e),$(SEQ_METHODS))))
$(foreach e,$(SEQ_EXPS),$(foreach b,$(SEQ_BASELINES),$(eval $(call SEQ_BASELINE_RULES,$(e),$(b)))))
$(foreach e,$(SEQ_EXPS),$(foreach m,$(SEQ_METHODS),$(eval $(call SEQ_METHOD_RULES,$(e),$(m)))))
$(foreach e,$(SEQ_EXPS),$(foreach m,$(SEQ_METHODS),$(eval $(call ONE_RUN_METHOD_RULES,$(e),$(m)))))

# ---- sentence pairs: seed 000 (siamese Elman RNN, posteriors I and D, P3) ----
# Pairs of WordNet noun glosses labelled 0..5 by the Wu-Palmer similarity of
# their synsets (datasets/wordnet.h; SemEval-2015 Task 2 is not reachable
# here). Per repeat three trainings of one siamese Elman RNN: plain (point
# estimate), I (gauss-scalar: N(m, alpha I)) and D (gauss-diag), the prior
# updated to its empirical-Bayes optimum after every minibatch, one weight
# sample per pair shared by its time steps (seed 000); evaluation of
# each (accuracy, macro F1); the P3 threshold sweep of I and D; the summary
# and figure; Table 1's baselines on the token set (same split). 85/15 split
# as in the seed.
# wnpairs_rnn is the seed's network: fixed 50-d word vectors as inputs (LSA
# of the training sentences, the stand-in for GloVe: datasets/vector_pairs.h),
# 5,656 weights. wnpairs_emb (full scale) learns a 50-d embedding of the
# 5002 ids instead (255,756 weights), the variant a user without any word
# vectors gets.
PAIR_EXPS              += wnpairs_rnn
wnpairs_rnn_DATA       := wordnet-pairs-lsa
wnpairs_rnn_MODEL      := siamese:2x30x50-50-6
wnpairs_rnn_TITLE      := WordNet gloss pairs
PAIR_EXPS              += $(call by_scale,wnpairs_emb,)
wnpairs_emb_DATA       := wordnet-pairs
wnpairs_emb_MODEL      := siamese:2x30v5002e50-50-6
wnpairs_emb_TITLE      := WordNet gloss pairs, learned embedding
PAIR_EPOCHS            ?= $(call by_scale,50,1)
PAIR_REPEATS           ?= $(call by_scale,3,1)
PAIR_TRAIN_OPTS        ?= --batch 32 --lr 0.001 --test-fraction 0.15
PAIR_FAMILIES          := plain I D
PAIR_plain_OPTS        := --family point
PAIR_I_OPTS            := --family gauss-scalar --prior-mean eb --weight-sample object
PAIR_D_OPTS            := --family gauss-diag --prior-mean eb --weight-sample object
PAIR_REPEAT_IDS        := $(shell seq 0 $$(( $(PAIR_REPEATS) - 1 )))

# the token set of a pair set: wordnet-pairs-lsa -> wordnet-pairs (the baselines' input)
pair_token_set = $(patsubst %-lsa,%,$(patsubst %-glove,%,$(1)))
# the code stamp of the word vectors, for an experiment on a *-lsa set (Makefile: SPECIFIC_KINDS)
pair_code      = $(if $(filter %-lsa,$($(1)_DATA)),$(call code,lsa))

# $(1) pair experiment
define PAIR_RULES
$(call stamp,$(1)-train.txt,data=$($(1)_DATA)$(nl)model=$($(1)_MODEL)$(nl)epochs=$(PAIR_EPOCHS)$(nl)train=$(PAIR_TRAIN_OPTS)$(nl)$(foreach f,$(PAIR_FAMILIES),$(f)=$(PAIR_$(f)_OPTS)$(nl)))
$(call stamp,$(1)-sweep.txt,lambdas=$(P3_LAMBDAS)$(nl)samples=$(P3_SAMPLES))
CELLS += $(foreach k,$(PAIR_REPEAT_IDS),$(foreach f,$(PAIR_FAMILIES),$(R)/$(1)/fit/$(f)-r$(k).fit) \
    $(R)/$(1)/sweep/I-r$(k).tsv $(R)/$(1)/sweep/D-r$(k).tsv $(R)/$(1)/baselines/r$(k).tsv)
# Table 1's baselines on the same test pairs (70/15/15; prunebench baselines)
$(R)/$(1)/baselines/r%.tsv: $(call code,baselines) $(call code,lsa) | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) baselines --data $(call pair_token_set,$($(1)_DATA)) --repeat $$* -o $$@
$(R)/$(1)/baselines-macros.tex: $(foreach k,$(PAIR_REPEAT_IDS),$(R)/$(1)/baselines/r$(k).tsv) scripts/baselines-mean.sh
	$(Q)$(CELL) $$@ scripts/baselines-mean.sh $(1) $$@ $$(filter %.tsv,$$^)
$(R)/$(1)/sweep/%.tsv: $(R)/$(1)/fit/%.fit $(call code,sweep) $(call pair_code,$(1)) $(S)/$(1)-sweep.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) sweep --fit $$< --lambdas '$(P3_LAMBDAS)' --samples $(P3_SAMPLES) -o $$@
$(R)/$(1)/p3-summary.tsv $(R)/$(1)/p3-mean.tsv $(R)/$(1)/p3-families.gp $(R)/$(1)/p3-macros.tex &: $(call code,p3sum) $(foreach k,$(PAIR_REPEAT_IDS),$(R)/$(1)/sweep/I-r$(k).tsv $(R)/$(1)/sweep/D-r$(k).tsv) | $(PB)
	$(Q)$(CELL) $(R)/$(1)/p3-summary.tsv $(PB) sweep-summary --name $(1) --title "$($(1)_TITLE)" --mean $(R)/$(1)/p3-mean.tsv \
	    --gp $(R)/$(1)/p3-families.gp --macros $(R)/$(1)/p3-macros.tex --tsv $(R)/$(1)/p3-summary.tsv $$(filter $(R)/$(1)/sweep/%,$$^)
$(R)/$(1)/p3.pdf: report/p3.gp $(R)/$(1)/p3-summary.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/p3-mean.tsv'; families_gp='$(R)/$(1)/p3-families.gp'; out='$$@.tmp'" report/p3.gp
	$(Q)mv $$@.tmp $$@
# the three trainings' test quality, mean over repeats, as macros \pb<Exp><Family>{Accuracy,FOne,Repeats}
$(R)/$(1)/eval-macros.tex: $(foreach k,$(PAIR_REPEAT_IDS),$(foreach f,$(PAIR_FAMILIES),$(R)/$(1)/eval/$(f)-r$(k).tsv)) scripts/eval-mean.sh scripts/tex.sh
	$(Q)$(CELL) $$@ scripts/eval-mean.sh $(1) '$(PAIR_FAMILIES)' $(R)/$(1)/eval $$@
report/gen/$(1)/stamp: $(R)/$(1)/p3.pdf $(R)/$(1)/p3-summary.tsv $(R)/$(1)/p3-macros.tex $(R)/$(1)/eval-macros.tex $(R)/$(1)/baselines-macros.tex \
    results/report-scale.txt
	$(Q)rm -rf report/gen/$(1) && mkdir -p report/gen/$(1)
	$(Q)cp $(R)/$(1)/p3.pdf $(R)/$(1)/p3-macros.tex $(R)/$(1)/eval-macros.tex $(R)/$(1)/baselines-macros.tex report/gen/$(1)/
	$(Q)touch $$@
endef

# $(1) pair experiment, $(2) family (plain, I, D)
define PAIR_FAMILY_RULES
$(R)/$(1)/fit/$(2)-r%.fit: $(call code,fit) $(call pair_code,$(1)) $(S)/$(1)-train.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $($(1)_DATA) --model $($(1)_MODEL) $(PAIR_$(2)_OPTS) --repeat $$* --epochs $(PAIR_EPOCHS) \
	    $(PAIR_TRAIN_OPTS) --progress -o $$@
$(R)/$(1)/eval/$(2)-r%.tsv: $(R)/$(1)/fit/$(2)-r%.fit $(call code,eval) $(call pair_code,$(1)) | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) evaluate --fit $$< -o $$@
endef

$(foreach e,$(PAIR_EXPS),$(eval $(call PAIR_RULES,$(e))))
$(foreach e,$(PAIR_EXPS),$(foreach f,$(PAIR_FAMILIES),$(eval $(call PAIR_FAMILY_RULES,$(e),$(f)))))

# ---- complexity control with hypernetworks: seed 003, protocol P5 ----
# One variational MLP 784-100-10 (all its parameters Gaussian, prior N(0, I)
# held, lambda-weighted KL, local reparameterization, SGD), per run and
# lambda: (a) direct training, (b) direct for one epoch, (c) the low-rank
# hypernetwork's model at lambda, (d) = (c) + one epoch, (e) the linear
# hypernetwork's, (f) = (e) + one epoch. Every model is an ordinary fit:
# ranked by |m/s| (the variational plugin), its P1 curve measured; the
# summary reads accuracy, stability S = accuracy / accuracy at 90% removed,
# the counted updates and the generalized evidence from the curves' fit
# settings (docs/protocols.md, P5).
P5_EXPS       := $(if $(filter variational,$(METHODS)),p5_fmnist)
P5_DATA       ?= $(IMAGE_DATA)
P5_MODEL      := mlp:784-100-10:relu
P5_LAMBDAS    ?= $(call by_scale,0.1 1 10 100,0.1 100)
P5_RUNS       ?= $(call by_scale,5,1)
P5_EPOCHS     ?= $(call by_scale,25,1)
P5_LIMIT      ?= $(call by_scale,,--train-limit 2000)
P5_QUICK_FRACTIONS := 0,0.5,0.9
P5_FRACTIONS  ?= $(if $(filter quick,$(SCALE)),$(P5_QUICK_FRACTIONS),$(FRACTIONS))
P5_SGD        := --optimizer sgd --lr 0.1 --batch 128 --init-sd 0.05 $(P5_LIMIT)
P5_TRAIN      := --family gauss-diag --prior fixed --lrt $(P5_SGD)
P5_METHODS    := direct direct1 lowrank lowrankft linear linearft
P5_RUN_IDS    := $(shell seq 0 $$(( $(P5_RUNS) - 1 )))
P5            := $(R)/p5_fmnist
# the fits of method $(1) (all lambdas and runs)
p5_fits = $(foreach l,$(P5_LAMBDAS),$(foreach k,$(P5_RUN_IDS),$(P5)/fit/$(1)-l$(l)-r$(k).fit))

ifneq ($(P5_EXPS),)
$(call stamp,p5-train.txt,data=$(P5_DATA)$(nl)model=$(P5_MODEL)$(nl)epochs=$(P5_EPOCHS)$(nl)train=$(P5_TRAIN))
$(call stamp,p5-curve.txt,fractions=$(P5_FRACTIONS))
CELLS += $(foreach m,$(P5_METHODS),$(call p5_fits,$(m))) \
    $(foreach k,$(P5_RUN_IDS),$(P5)/hyp/lowrank-r$(k).hyp $(P5)/hyp/linear-r$(k).hyp) \
    $(foreach m,$(P5_METHODS),$(subst /fit/,/curve/,$(patsubst %.fit,%.tsv,$(call p5_fits,$(m))))) \
    $(foreach m,$(P5_METHODS),$(subst /fit/,/order/,$(patsubst %.fit,%.tsv,$(call p5_fits,$(m)))))
# the two hypernetworks of a run (one training each, every lambda)
$(P5)/hyp/%.hyp: $(call code,fit) $(call code,hyper) $(S)/p5-train.txt | $(PB)
	@mkdir -p $(@D)
	$(Q)$(CELL) $@ $(PB) hyper-train --data $(P5_DATA) --model $(P5_MODEL) --hyper $(firstword $(subst -r, ,$*)) \
	    --repeat $(lastword $(subst -r, ,$*)) --epochs $(P5_EPOCHS) $(P5_SGD) --experiment p5 --progress -o $@
# every fit ranked by |m/s| and measured at P5_FRACTIONS
$(P5)/order/%.tsv: $(P5)/fit/%.fit $(call code,rank) $(call plugin,variational) | $(PB) $(B)/plugins/variational.so
	@mkdir -p $(@D)
	$(Q)$(CELL) $@ $(PB) rank --fit $< --method $(B)/plugins/variational.so --prunable $(PRUNABLE) -o $@
$(P5)/curve/%.tsv: $(P5)/fit/%.fit $(P5)/order/%.tsv $(call code,curve) $(S)/p5-curve.txt | $(PB)
	@mkdir -p $(@D)
	$(Q)$(CELL) $@ $(PB) curve --fit $< --order $(P5)/order/$*.tsv --fractions '$(P5_FRACTIONS)' -o $@
$(P5)/p5-summary.tsv $(P5)/p5-curves.tsv $(P5)/p5-tables.tex &: scripts/p5-summary.sh scripts/tex.sh \
    report/published/p5.tsv $(foreach m,$(P5_METHODS),$(subst /fit/,/curve/,$(patsubst %.fit,%.tsv,$(call p5_fits,$(m)))))
	$(Q)$(CELL) $(P5)/p5-summary.tsv scripts/p5-summary.sh $(P5) '$(P5_LAMBDAS)' '$(P5_RUN_IDS)' report/published/p5.tsv
$(P5)/p5.pdf: report/p5.gp $(P5)/p5-curves.tsv
	$(Q)$(CELL) $@ gnuplot -e "data='$(P5)/p5-curves.tsv'; nlambda=$(words $(P5_LAMBDAS)); out='$@.tmp'" report/p5.gp
	$(Q)mv $@.tmp $@
report/gen/p5_fmnist/stamp: $(P5)/p5.pdf $(P5)/p5-summary.tsv $(P5)/p5-tables.tex results/report-scale.txt
	$(Q)rm -rf report/gen/p5_fmnist && mkdir -p report/gen/p5_fmnist
	$(Q)cp $(P5)/p5.pdf $(P5)/p5-tables.tex report/gen/p5_fmnist/
	$(Q)touch $@
endif

# $(1) lambda: the fits of the six methods at it
define P5_LAMBDA_RULES
$(P5)/fit/direct-l$(1)-r%.fit: $(call code,fit) $(S)/p5-train.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $(P5_DATA) --model $(P5_MODEL) $(P5_TRAIN) --kl-weight $(1) --epochs $(P5_EPOCHS) \
	    --repeat $$* --experiment p5 --progress -o $$@
$(P5)/fit/direct1-l$(1)-r%.fit: $(call code,fit) $(S)/p5-train.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $(P5_DATA) --model $(P5_MODEL) $(P5_TRAIN) --kl-weight $(1) --epochs 1 \
	    --repeat $$* --experiment p5 -o $$@
$(foreach h,lowrank linear,
$(P5)/fit/$(h)-l$(1)-r%.fit: $(P5)/hyp/$(h)-r%.hyp $(call code,fit) $(call code,hyper) | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) hyper-gen $$< --lambda $(1) -o $$@
$(P5)/fit/$(h)ft-l$(1)-r%.fit: $(P5)/fit/$(h)-l$(1)-r%.fit $(call code,fit) $(S)/p5-train.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) train --data $(P5_DATA) --model $(P5_MODEL) $(P5_TRAIN) --kl-weight $(1) --epochs 1 \
	    --init-fit $$< --repeat $$* --experiment p5 -o $$@
)
endef
$(if $(P5_EXPS),$(foreach l,$(P5_LAMBDAS),$(eval $(call P5_LAMBDA_RULES,$(l)))))

# ---- protocol P1 with fine-tuning after pruning (curve --finetune) ----
# On Wine and Boston (every method, every repeat) and LeNet-300-100 (the
# methods of the image experiments, one run): after removing the first k of
# the order, the kept weights are trained FT_EPOCHS epochs (FT_IMAGE_EPOCHS)
# with the removed ones held at exactly 0, then measured
# (protocols/finetune.h): curvef/<method>-r<k>.tsv, one cell each. Per
# experiment the P1 summary of those curves (variant ft: p1f-*), the figure
# pair p1fp.pdf (without fine-tuning) and p1f.pdf (with) on one y-scale, and
# in the report one table per method of the largest fraction within
# tolerance both ways (scripts/finetune-report.sh). At quick scale: a few
# fractions, 1 epoch, LeNet fine-tuned on the first 5000 training images.
FT_DATASETS        ?= $(filter wine boston,$(DATASETS))
FT_IMAGE_EXPS      ?= $(filter fmnist_lenet,$(IMAGE_EXPS))
FT_EPOCHS          ?= $(call by_scale,20,1)
FT_FRACTIONS       ?= $(call by_scale,$(FRACTIONS),0$(comma)0.5$(comma)0.8$(comma)0.9$(comma)0.95)
FT_IMAGE_EPOCHS    ?= $(call by_scale,2,1)
FT_IMAGE_FRACTIONS ?= $(call by_scale,0:0.1:0.9$(comma)0.95$(comma)0.98$(comma)0.99,0$(comma)0.5$(comma)0.9)
FT_IMAGE_OPTS      ?= $(call by_scale,,--ft-train-limit 5000)
FT_EXPS            := $(strip $(FT_DATASETS) $(FT_IMAGE_EXPS))

# $(1) experiment, $(2) its methods, $(3) repeat ids, $(4) epochs, $(5)
# fractions, $(6) further curve options, $(7) title
define FT_RULES
$(call stamp,$(1)-finetune.txt,fractions=$(5)$(nl)epochs=$(4)$(nl)options=$(6))
CELLS += $(foreach m,$(2),$(foreach k,$(3),$(R)/$(1)/curvef/$(m)-r$(k).tsv))
$(foreach m,$(2),
$(R)/$(1)/curvef/$(m)-r%.tsv: $(R)/$(1)/fit/$(call fit_of,$(m))-r%.fit $(R)/$(1)/order/$(m)-r%.tsv $(call code,finetune) $(S)/$(1)-finetune.txt | $(PB)
	@mkdir -p $$(@D)
	$(Q)$(CELL) $$@ $(PB) curve --fit $$< --order $(R)/$(1)/order/$(m)-r$$*.tsv --fractions '$(5)' --finetune $(4) $(6) -o $$@
)
$(R)/$(1)/p1f-summary.tsv $(R)/$(1)/p1f-mean.tsv $(R)/$(1)/p1f-methods.gp $(R)/$(1)/p1f-table.tex $(R)/$(1)/p1f-macros.tex &: $(call code,p1sum) $(S)/report-methods.txt $(foreach m,$(2),$(foreach k,$(3),$(R)/$(1)/curvef/$(m)-r$(k).tsv)) | $(PB)
	$(Q)$(CELL) $(R)/$(1)/p1f-summary.tsv $(PB) summarize --dataset $(1) --variant ft --title "$(7), fine-tuned" \
	    --mean $(R)/$(1)/p1f-mean.tsv --gp $(R)/$(1)/p1f-methods.gp --tex $(R)/$(1)/p1f-table.tex \
	    --macros $(R)/$(1)/p1f-macros.tex --tsv $(R)/$(1)/p1f-summary.tsv $$(filter $(R)/$(1)/curvef/%,$$^)
# the pair: without (p1fp, the plain curves) and with fine-tuning, one y-scale
$(R)/$(1)/p1fp.pdf: report/p1.gp $(R)/$(1)/p1-summary.tsv $(R)/$(1)/p1f-summary.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/p1-mean.tsv'; range_data='$(R)/$(1)/p1-mean.tsv $(R)/$(1)/p1f-mean.tsv'; methods_gp='$(R)/$(1)/p1-methods.gp'; out='$$@.tmp'; fmt='pdf'" report/p1.gp
	$(Q)mv $$@.tmp $$@
$(R)/$(1)/p1f.pdf: report/p1.gp $(R)/$(1)/p1-summary.tsv $(R)/$(1)/p1f-summary.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/p1f-mean.tsv'; range_data='$(R)/$(1)/p1-mean.tsv $(R)/$(1)/p1f-mean.tsv'; methods_gp='$(R)/$(1)/p1f-methods.gp'; out='$$@.tmp'; fmt='pdf'" report/p1.gp
	$(Q)mv $$@.tmp $$@
endef
$(foreach d,$(FT_DATASETS),$(eval $(call FT_RULES,$(d),$(METHODS),$(REPEAT_IDS),$(FT_EPOCHS),$(FT_FRACTIONS),,$($(d)_TITLE))))
$(foreach e,$(FT_IMAGE_EXPS),$(eval $(call FT_RULES,$(e),$(IMAGE_METHODS),0,$(FT_IMAGE_EPOCHS),$(FT_IMAGE_FRACTIONS),$(FT_IMAGE_OPTS),$($(e)_TITLE))))
# the report's section: both figures of every experiment, the table both ways
ifneq ($(FT_EXPS),)
report/gen/finetune/stamp: $(foreach e,$(FT_EXPS),$(R)/$(e)/p1fp.pdf $(R)/$(e)/p1f.pdf $(R)/$(e)/p1-summary.tsv $(R)/$(e)/p1f-summary.tsv) \
    scripts/finetune-report.sh scripts/tex.sh results/report-scale.txt $(S)/report-methods.txt
	$(Q)rm -rf report/gen/finetune && mkdir -p report/gen/finetune
	$(Q)$(foreach e,$(FT_EXPS),mkdir -p report/gen/finetune/$(e) && cp $(R)/$(e)/p1fp.pdf $(R)/$(e)/p1f.pdf report/gen/finetune/$(e)/ &&) true
	$(Q)$(CELL) report/gen/finetune/body.tex scripts/finetune-report.sh $(R) report/gen/finetune/body.tex \
	    $(foreach e,$(FT_EXPS),'$(e)=$($(e)_TITLE)')
	$(Q)touch $@
endif
# ---- end of P1 with fine-tuning ----

# ---- every cell, named explicitly ----
# A file that only chained pattern rules make is "intermediate" to Make: it is
# deleted after the run and, once missing, not remade while the files built
# from it are newer. Each rule family above appends its cells to CELLS; an
# explicit rule without a recipe here (the pattern rules still make them)
# turns them into ordinary targets: kept, and remade, with everything that
# depends on them, when deleted.
$(CELLS):
cells: $(CELLS)
# Only the trainings (fit files): scripts/cost.sh reads their commands from
# `make -n -B fits`.
fits: $(filter %.fit,$(CELLS))

# ---- the cell graph on paper: critical path, wall time on N cores ----
# (scripts/critical-path.sh: measured costs from $(R)/cost.log, else estimates)
critical-path:
	@SCALE=$(SCALE) scripts/critical-path.sh $(or $(WORKERS),8 64 512)
.PHONY: critical-path

# ---- one tidy table per scale: results/<scale>/results.csv ----
# Every P1 curve (curve/, curvec/) and P2 noise file of the tabular
# datasets and the P1 curves of the image and sequence experiments, one row
# per result row (`prunebench tidy`; columns: README, "One tidy table").
# `reproduce` makes it: the report depends on it.
TIDY_INPUTS := $(foreach d,$(DATASETS),$(foreach m,$(METHODS),$(foreach k,$(REPEAT_IDS),$(R)/$(d)/curve/$(m)-r$(k).tsv \
                   $(if $(filter $(m),$(TRAINERS)),,$(R)/$(d)/curvec/$(m)-r$(k).tsv) $(R)/$(d)/noise/$(m)-r$(k).tsv))) \
               $(foreach e,$(IMAGE_EXPS),$(foreach m,$(IMAGE_METHODS),$(R)/$(e)/curve/$(m)-r0.tsv)) \
               $(foreach e,$(SEQ_EXPS),$(foreach m,$(SEQ_METHODS),$(R)/$(e)/curve/$(m)-r0.tsv))
$(R)/results.csv: $(call code,tidy) $(S)/report-methods.txt $(TIDY_INPUTS) | $(PB)
	$(Q)$(CELL) $@ $(PB) tidy -o $@ $(TIDY_INPUTS)
report/report.pdf: $(R)/results.csv
tidy: $(R)/results.csv
.PHONY: tidy
# ---- end of the tidy table ----

# ---- findings (report/gen/findings.tex, $(R)/findings.tsv) ----
# Each seed claim of report/claims.tsv with this scale's measurement and a
# verdict, and every method across the tabular datasets (prunebench
# findings, protocols/findings.h), from the summaries this configuration
# makes: P1 summaries of DATASETS, exports and evaluations of IMAGE_EXPS,
# P4 and evaluations of SEQ_EXPS, P3 mean curves of PAIR_EXPS, the P5 summary. A claim on a method or experiment not in
# this run says "not run", whatever older results lie in $(R).
FINDINGS_INPUTS := report/claims.tsv results/report-scale.txt \
    $(foreach d,$(DATASETS),$(R)/$(d)/p1-summary.tsv $(R)/$(d)/p1c-summary.tsv) \
    $(foreach e,$(IMAGE_EXPS),$(R)/$(e)/plain-eval.tsv $(foreach m,$(IMAGE_METHODS),$(R)/$(e)/$(m)-export.tex)) \
    $(foreach e,$(SEQ_EXPS),$(foreach b,$(SEQ_BASELINES),$(R)/$(e)/$(b)-eval.tsv) $(foreach m,$(SEQ_METHODS),$(R)/$(e)/$(m)-p4.tsv)) \
    $(foreach e,$(PAIR_EXPS),$(R)/$(e)/p3-summary.tsv) $(foreach e,$(P5_EXPS),$(R)/$(e)/p5-summary.tsv)
report/gen/findings.tex $(R)/findings.tsv &: $(FINDINGS_INPUTS) $(S)/report-methods.txt $(PB)
	@mkdir -p report/gen
	$(Q)$(CELL) $(R)/findings.tsv $(PB) findings --claims report/claims.tsv --results $(R) --scale $(SCALE) --datasets '$(DATASETS)' \
	    --methods '$(METHODS)' --experiments '$(DATASETS) $(IMAGE_EXPS) $(SEQ_EXPS) $(PAIR_EXPS) $(P5_EXPS)' \
	    --tex report/gen/findings.tex --tsv $(R)/findings.tsv
report/report.pdf: report/gen/findings.tex
findings: report/gen/findings.tex
.PHONY: findings
# ---- end of findings ----

# ---- report ----
# Everything the report shows of one dataset, copied from this scale's results
# into report/gen/<dataset>/ (results/report-scale.txt makes a change of SCALE
# refresh it), plus a generated LaTeX file that includes one noise surface per
# method, so a new plugin appears without editing report.tex.
define REPORT_RULES
$(1)_REPORT := $(R)/$(1)/p1-summary.tsv $(R)/$(1)/p1c-summary.tsv $(R)/$(1)/p2-slices.tsv $(R)/$(1)/p3.pdf \
    $(R)/$(1)/p1.pdf $(R)/$(1)/p1c.pdf $(R)/$(1)/p1.png $(R)/$(1)/p1c.png $(R)/$(1)/p2-slices.pdf \
    $(foreach m,$(METHODS),$(R)/$(1)/p2-surface-$(m).pdf) \
    $(foreach f,p1-table p1-macros p1c-table p1c-macros p2-macros p2-table p3-macros,$(R)/$(1)/$(f).tex)
report/gen/$(1)/stamp: $$($(1)_REPORT) results/report-scale.txt $(S)/report-methods.txt
	$(Q)rm -rf report/gen/$(1) && mkdir -p report/gen/$(1)
	$(Q)cp $(R)/$(1)/*.tex $(R)/$(1)/p1.pdf $(R)/$(1)/p1c.pdf $(R)/$(1)/p3.pdf $(R)/$(1)/p2-slices.pdf $(foreach m,$(METHODS),$(R)/$(1)/p2-surface-$(m).pdf) report/gen/$(1)/
	$(Q){ echo '% generated by make -- do not edit'; \
	  $(foreach m,$(METHODS),echo '\begin{minipage}{0.48\textwidth}\centering\includegraphics[width=\textwidth]{gen/$(1)/p2-surface-$(m).pdf}\end{minipage}\hfill';) \
	} > report/gen/$(1)/surfaces.tex
	$(Q)touch $$@

$(R)/$(1)/p2-surface-%.pdf: report/p2-surface.gp $(R)/$(1)/p2-slices.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/p2-surface-$$*.tsv'; methods_gp='$(R)/$(1)/p2-surface-methods.gp'; method='$$*'; out='$$@.tmp'; fmt='pdf'; title='$($(1)_TITLE): $$*'" report/p2-surface.gp
	$(Q)mv $$@.tmp $$@
$(R)/$(1)/p2-slices.pdf: report/p2-slices.gp $(R)/$(1)/p2-slices.tsv
	$(Q)$(CELL) $$@ gnuplot -e "data='$(R)/$(1)/p2-slices.tsv'; methods_gp='$(R)/$(1)/p2-surface-methods.gp'; out='$$@.tmp'; fmt='pdf'" report/p2-slices.gp
	$(Q)mv $$@.tmp $$@
endef
$(foreach d,$(DATASETS),$(eval $(call REPORT_RULES,$(d))))

FIGURES := $(foreach d,$(DATASETS),$(R)/$(d)/p1.png $(R)/$(d)/p1c.png) $(foreach e,$(IMAGE_EXPS) $(SEQ_EXPS),$(R)/$(e)/p1.png)

# The scale the report shows (rewritten at parse time, only when it changes).
ifneq ($(PIPELINE),)
$(shell mkdir -p results && t=results/report-scale.txt.$$$$.new && printf '%s\n' '$(SCALE)' > $$t && \
        { cmp -s $$t results/report-scale.txt && rm -f $$t || mv $$t results/report-scale.txt; })
endif

# A method's options as its first order file recorded them (every declared
# option, defaults included), so the report never retypes a default.
REPORT_OPTION_METHODS := obd belsley
recorded_order  = $(R)/$(firstword $(DATASETS))/order/$(1)-r0.tsv
recorded_options = $(if $(filter $(1),$(METHODS)),$$(sed -n 's/^\# options: //p' $(call recorded_order,$(1))),not run)
report/gen/settings.tex: results/report-scale.txt experiments.mk $(S)/report-methods.txt \
    $(foreach d,$(DATASETS),$(S)/$(d)-train.txt $(S)/$(d)-curve.txt $(S)/$(d)-noise.txt $(foreach m,$(METHODS),$(S)/$(d)-rank-$(m).txt)) \
    $(foreach m,$(filter $(REPORT_OPTION_METHODS),$(METHODS)),$(call recorded_order,$(m))) \
    $(foreach e,$(FT_EXPS),$(S)/$(e)-finetune.txt)
	@mkdir -p $(@D)
	$(Q){ echo '% generated by make -- do not edit'; \
	  echo '\newcommand{\pbScale}{$(SCALE)}'; \
	  echo '\newcommand{\pbRepeats}{$(REPEATS)}'; \
	  echo '\newcommand{\pbMinP}{$(shell awk 'BEGIN { printf "%.3g", 2 ^ (1 - $(REPEATS)) }')}'; \
	  echo '\newcommand{\pbTrainOpts}{\texttt{\detokenize{$(TRAIN_OPTS)}}}'; \
	  echo '\newcommand{\pbFractions}{\texttt{\detokenize{$(FRACTIONS)}}}'; \
	  echo '\newcommand{\pbNoiseFractions}{\texttt{\detokenize{$(NOISE_FRACTIONS)}}}'; \
	  echo '\newcommand{\pbNoiseLevels}{\texttt{\detokenize{$(NOISE_LEVELS)}}}'; \
	  echo '\newcommand{\pbNoiseDraws}{$(NOISE_DRAWS)}'; \
	  echo '\newcommand{\pbPThreeLambdas}{\texttt{\detokenize{$(P3_LAMBDAS)}}}'; \
	  echo '\newcommand{\pbPThreeSamples}{$(P3_SAMPLES)}'; \
	  echo '\newcommand{\pbImageEpochs}{$(call count_of,$(IMAGE_EPOCHS),epoch)}'; \
	  echo '\newcommand{\pbImageData}{$(IMAGE_DATA)}'; \
	  echo '\newcommand{\pbImageTrainOpts}{\texttt{\detokenize{$(IMAGE_TRAIN_OPTS)}}}'; \
	  echo '\newcommand{\pbSeqEpochs}{$(call count_of,$(SEQ_EPOCHS),epoch)}'; \
	  echo '\newcommand{\pbGlossEpochs}{$(call count_of,$(wnglosses_lstm_EPOCHS),epoch)}'; \
	  echo '\newcommand{\pbGlossModel}{\texttt{\detokenize{$(wnglosses_lstm_MODEL)}}}'; \
	  echo '\newcommand{\pbImagePrecision}{$(fmnist_lenet_PRECISION)}'; \
	  echo '\newcommand{\pbSeqPrecision}{$(seqfmnist_lstm_PRECISION)}'; \
	  echo '\newcommand{\pbSeqTrainLimit}{$(if $(SEQ_TRAIN_LIMIT),the first $(SEQ_TRAIN_LIMIT) training sequences,all 60000 training sequences)}'; \
	  echo '\newcommand{\pbSeqTrainOpts}{\texttt{\detokenize{$(seqfmnist_lstm_OPTS)}}}'; \
	  echo '\newcommand{\pbSeqDropoutOpts}{\texttt{\detokenize{$(SEQ_dropout_OPTS)}}}'; \
	  echo '\newcommand{\pbPrunable}{$(PRUNABLE)}'; \
	  echo '\newcommand{\pbMethods}{\texttt{\detokenize{$(METHODS)}}}'; \
	  echo '\newcommand{\pbImageMethods}{\texttt{\detokenize{$(IMAGE_METHODS)}}}'; \
	  echo '\newcommand{\pbSeqMethods}{\texttt{\detokenize{$(SEQ_METHODS)}}}'; \
	  echo "\newcommand{\pbObdOptions}{\texttt{\detokenize{$(call recorded_options,obd)}}}"; \
	  echo "\newcommand{\pbBelsleyOptions}{\texttt{\detokenize{$(call recorded_options,belsley)}}}"; \
	  $(foreach d,$(DATASETS),echo '\newcommand{\pb$($(d)_TITLE)Model}{\texttt{\detokenize{$($(d)_MODEL)}}}'; \
	    echo '\newcommand{\pb$($(d)_TITLE)Epochs}{$(call count_of,$($(d)_EPOCHS),epoch)}';) \
	  echo '% what this run has: \pbIf{method:NAME}, \pbIf{dataset:NAME}, \pbIf{exp:NAME}, \pbIf{quick}'; \
	  $(foreach x,$(addprefix method:,$(METHODS)) $(addprefix dataset:,$(DATASETS)) $(addprefix exp:,$(IMAGE_EXPS) $(SEQ_EXPS) $(PAIR_EXPS) $(P5_EXPS) $(if $(FT_EXPS),finetune)) \
	    $(if $(filter quick,$(SCALE)),quick),echo '\expandafter\def\csname pbHave@$(x)\endcsname{}';) \
	  echo '% the generated values of this run'; \
	  $(foreach d,$(DATASETS),echo '\input{gen/$(d)/p1-macros.tex}\input{gen/$(d)/p1c-macros.tex}\input{gen/$(d)/p2-macros.tex}\input{gen/$(d)/p3-macros.tex}';) \
	  $(foreach e,$(IMAGE_EXPS),echo '\input{gen/$(e)/plain-macros.tex}'; \
	    $(foreach m,$(IMAGE_METHODS),echo '\input{gen/$(e)/$(m)-export.tex}';)) \
	  $(foreach e,$(PAIR_EXPS),echo '\input{gen/$(e)/p3-macros.tex}\input{gen/$(e)/eval-macros.tex}\input{gen/$(e)/baselines-macros.tex}';) \
	  echo '\newcommand{\pbPairEpochs}{$(call count_of,$(PAIR_EPOCHS),epoch)}'; \
	  echo '\newcommand{\pbPairRepeats}{$(PAIR_REPEATS)}'; \
	  echo '\newcommand{\pbPairTrainOpts}{\texttt{\detokenize{$(PAIR_TRAIN_OPTS)}}}'; \
	  echo '\newcommand{\pbPairModel}{\texttt{\detokenize{$(wnpairs_rnn_MODEL)}}}'; \
	  echo '\newcommand{\pbFtEpochs}{$(call count_of,$(FT_EPOCHS),epoch)}'; \
	  echo '\newcommand{\pbFtImageEpochs}{$(call count_of,$(FT_IMAGE_EPOCHS),epoch)}'; \
	  echo '\newcommand{\pbFtFractions}{\texttt{\detokenize{$(FT_FRACTIONS)}}}'; \
	  echo '\newcommand{\pbFtImageFractions}{\texttt{\detokenize{$(FT_IMAGE_FRACTIONS)}}}'; \
	  echo '\newcommand{\pbFtImageOpts}{$(if $(FT_IMAGE_OPTS),\texttt{\detokenize{$(FT_IMAGE_OPTS)}},none)}'; \
	  echo '\newcommand{\pbPFiveRuns}{$(P5_RUNS)}'; \
	  echo '\newcommand{\pbPFiveEpochs}{$(call count_of,$(P5_EPOCHS),epoch)}'; \
	  echo '\newcommand{\pbPFiveTrain}{\texttt{\detokenize{$(P5_TRAIN)}}}'; \
	  $(foreach e,$(SEQ_EXPS),$(foreach b,$(SEQ_BASELINES),echo '\input{gen/$(e)/$(b)-macros.tex}';) \
	    $(foreach m,$(SEQ_METHODS),echo '\input{gen/$(e)/$(m)-p4.tex}';)) \
	} > $@.tmp && mv $@.tmp $@

# One paragraph per method of the run (report/methods/NAME.tex, or an added
# plugin's own summary and citation).
report/gen/methods.tex: $(S)/report-methods.txt scripts/report-gen.sh scripts/tex.sh scripts/tex.sh $(wildcard report/methods/*.tex) | $(PB) $(PLUGIN_SO)
	@mkdir -p $(@D)
	$(Q)scripts/report-gen.sh methods $(PB) $(B)/plugins $(METHODS) > $@.tmp && mv $@.tmp $@

report/gen/provenance.tex: $(PB) results/report-scale.txt
	@mkdir -p $(@D)
	$(Q)$(CELL) $@ $(PB) provenance > $@.tmp && mv $@.tmp $@

REPORT_GEN := report/gen/settings.tex report/gen/methods.tex report/gen/provenance.tex \
    $(foreach d,$(DATASETS) $(IMAGE_EXPS) $(SEQ_EXPS) $(PAIR_EXPS) $(P5_EXPS),report/gen/$(d)/stamp) \
    $(if $(FT_EXPS),report/gen/finetune/stamp)

report/report.pdf: report/report.tex $(REPORT_GEN) $(FIGURES)
	$(Q)cd report && pdflatex -interaction=nonstopmode -halt-on-error report.tex > report-build.log 2>&1 \
	    && pdflatex -interaction=nonstopmode -halt-on-error report.tex > report-build.log 2>&1 \
	    || { tail -n 30 report-build.log; exit 1; }
	@echo "report: $@ (SCALE=$(SCALE); figures for a quick look: $(R)/*/*.png)"

figures: $(FIGURES)
report: report/report.pdf

# The steps a dry run lists are this run's total, for scripts/cell.sh's
# progress line.
# `make reproduce` runs JOBS cells at a time (default: the machine's cores)
# unless the command line gives -j itself. Results do not depend on it:
# every cell is its own process on its own seeded streams.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
reproduce_jobs = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(JOBS))
reproduce: deps
	$(MAKE) $(reproduce_jobs) all
	@mkdir -p $(R) && rm -f $(R)/progress.log
	+@n=$$($(MAKE) -s -n report/report.pdf 2>/dev/null | grep -c '^scripts/cell\.sh ' || true); \
	  echo "reproduce SCALE=$(SCALE): $$n steps to run$(if $(reproduce_jobs), ($(JOBS) at a time; -jN or JOBS=N to choose))"; \
	  PB_PROGRESS_TOTAL=$$n PB_PROGRESS_T0=$$(date +%s) PB_PROGRESS_LOG=$(R)/progress.log $(MAKE) $(reproduce_jobs) report/report.pdf

# ---- stamps: move each changed one into place ----
# (bash compares the contents itself: one process for all the stamps)
ifneq ($(PIPELINE),)
$(shell cd $(S) && same=(); for t in *.$(STAMP_PID).new; do [ -e "$$t" ] || continue; f=$${t%.$(STAMP_PID).new}; \
        if [ -e "$$f" ] && [ "$$(< "$$t")" == "$$(< "$$f")" ]; then same+=("$$t"); else mv -f "$$t" "$$f"; fi; done; \
        rm -f "$${same[@]}")
endif
