# experiments.mk -- the experiment grid as Make targets (included by Makefile).
#
# One file per cell, named by what the cell is:
#   results/<scale>/<dataset>/fit/base-r<k>.fit          shared base fit of repeat k
#   results/<scale>/<dataset>/order/<method>-r<k>.tsv    removal order
#   results/<scale>/<dataset>/curve/<method>-r<k>.tsv    protocol P1 curve
#   results/<scale>/<dataset>/p1-*.{tsv,gp,tex}          summary over methods and repeats
#   results/<scale>/<dataset>/p1.{pdf,png}               figure
# Settings are prerequisites: each dataset's settings are written to a
# config file that only changes when a setting does, so changing one reruns
# exactly the cells that depend on it.
#
# SCALE=full (default) is the published-size run; SCALE=quick shrinks epochs
# and repeats so the whole pipeline runs in a few minutes.

SCALE ?= full
ifeq ($(SCALE),quick)
REPEATS          ?= 2
WINE_EPOCHS      ?= 150
BOSTON_EPOCHS    ?= 150
SYNTHETIC_EPOCHS ?= 20
NOISE_DRAWS      ?= 20
NOISE_LEVELS     ?= 0:0.25:1
NOISE_FRACTIONS  ?= 0:0.1:0.9,0.95,0.99,1
IMAGE_EPOCHS     ?= 1
SEQ_EPOCHS       ?= 1
SEQ_TRAIN_LIMIT  ?= 5000
SEQ_FRACTIONS    ?= 0,0.5,0.8,0.9,0.95,0.99,1
SEQ_TIMING       ?= 1
else ifeq ($(SCALE),full)
REPEATS          ?= 5
WINE_EPOCHS      ?= 1000
BOSTON_EPOCHS    ?= 1000
SYNTHETIC_EPOCHS ?= 100
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

R          := results/$(SCALE)
comma      := ,
DATASETS   := wine boston synthetic
METHODS    ?= $(PLUGINS)
# Methods that train their own network (their descriptor sets .training):
# they get their own fit per repeat instead of scoring the shared base fit.
TRAINERS   := $(sort $(basename $(notdir $(shell grep -l '\.training *= *&' plugins/*.c))))
fit_of      = $(if $(filter $(1),$(TRAINERS)),$(1),base)
FRACTIONS  ?= 0:0.05:0.95,0.98,0.99,1
TRAIN_OPTS ?= --family gauss-diag --batch 32 --lr 0.01 --init-sd 0.5 --prior-mean eb --noise eb --test-fraction 0.2
PRUNABLE   ?= weights
REPEAT_IDS := $(shell seq 0 $$(( $(REPEATS) - 1 )))

# Per dataset: model (seed 004), epochs, title, extra training options.
wine_MODEL        := mlp:13-13-3:tanh
wine_EPOCHS       := $(WINE_EPOCHS)
wine_TITLE        := Wine
boston_MODEL      := mlp:13-39-1:tanh:mse
boston_EPOCHS     := $(BOSTON_EPOCHS)
boston_TITLE      := Boston
synthetic_MODEL   := mlp:100-1:identity:mse
synthetic_EPOCHS  := $(SYNTHETIC_EPOCHS)
synthetic_TITLE   := Synthetic
synthetic_TRAIN_EXTRA := --init seed004-synthetic

# Per-method plugin options, e.g. `make reproduce obd_OPTIONS=hessian=exact`.
obd_OPTIONS ?=
belsley_OPTIONS ?=

# Write $(2) to file $(1) only if it differs (so its timestamp means "changed"),
# through a temp file of this process's own.
define write_if_changed
@mkdir -p $(dir $(1)); t=$(1).$$$$.new; printf '%s\n' $(2) > $$t; \
 if cmp -s $$t $(1); then rm -f $$t; else mv $$t $(1); fi
endef

define DATASET_RULES
$(R)/$(1)/train-config.txt: FORCE
	$$(call write_if_changed,$$@,"model=$$($(1)_MODEL)" "epochs=$$($(1)_EPOCHS)" "train=$$(TRAIN_OPTS) $$($(1)_TRAIN_EXTRA)")
$(R)/$(1)/rank-config.txt: FORCE
	$$(call write_if_changed,$$@,"prunable=$$(PRUNABLE)" $$(foreach m,$$(METHODS),"$$(m)=$$($$(m)_OPTIONS)"))
$(R)/$(1)/curve-config.txt: FORCE
	$$(call write_if_changed,$$@,"fractions=$$(FRACTIONS)")
$(R)/$(1)/noise-config.txt: FORCE
	$$(call write_if_changed,$$@,"fractions=$$(NOISE_FRACTIONS)" "levels=$$(NOISE_LEVELS)" "draws=$$(NOISE_DRAWS)")

$(R)/$(1)/fit/base-r%.fit: $(PB) $(R)/$(1)/train-config.txt $(B)/datasets.verified
	@mkdir -p $$(@D)
	$(PB) train --data $(1) --model $($(1)_MODEL) --repeat $$* --epochs $($(1)_EPOCHS) $(TRAIN_OPTS) $($(1)_TRAIN_EXTRA) -o $$@

# P1 summaries: plain (variant p1) and with conditional-mean compensation (p1c)
$(R)/$(1)/p1-summary.tsv: $(PB) report/reference.tsv $(foreach m,$(METHODS),$(foreach k,$(REPEAT_IDS),$(R)/$(1)/curve/$(m)-r$(k).tsv))
	$(PB) summarize --dataset $(1) --title "$($(1)_TITLE)" --reference report/reference.tsv \
	    --mean $(R)/$(1)/p1-mean.tsv --gp $(R)/$(1)/p1-methods.gp --tex $(R)/$(1)/p1-table.tex \
	    --macros $(R)/$(1)/p1-macros.tex --tsv $$@ $$(filter $(R)/$(1)/curve/%,$$^)
$(R)/$(1)/p1c-summary.tsv: $(PB) report/reference.tsv $(foreach m,$(filter-out $(TRAINERS),$(METHODS)),$(foreach k,$(REPEAT_IDS),$(R)/$(1)/curvec/$(m)-r$(k).tsv))
	$(PB) summarize --dataset $(1) --variant comp --title "$($(1)_TITLE), compensated" --reference report/reference.tsv \
	    --mean $(R)/$(1)/p1c-mean.tsv --gp $(R)/$(1)/p1c-methods.gp --tex $(R)/$(1)/p1c-table.tex \
	    --macros $(R)/$(1)/p1c-macros.tex --tsv $$@ $$(filter $(R)/$(1)/curvec/%,$$^)

$(R)/$(1)/p1.pdf $(R)/$(1)/p1c.pdf: $(R)/$(1)/%.pdf: report/p1.gp $(R)/$(1)/%-summary.tsv
	gnuplot -e "data='$(R)/$(1)/$$*-mean.tsv'; methods_gp='$(R)/$(1)/$$*-methods.gp'; out='$$@.tmp'; fmt='pdf'" report/p1.gp
	mv $$@.tmp $$@
$(R)/$(1)/p1.png $(R)/$(1)/p1c.png: $(R)/$(1)/%.png: report/p1.gp $(R)/$(1)/%-summary.tsv
	gnuplot -e "data='$(R)/$(1)/$$*-mean.tsv'; methods_gp='$(R)/$(1)/$$*-methods.gp'; out='$$@.tmp'; fmt='png'" report/p1.gp
	mv $$@.tmp $$@

# P2 summary: mean output-noise surfaces, slices, macros; figures
$(R)/$(1)/p2-slices.tsv: $(PB) $(foreach m,$(METHODS),$(foreach k,$(REPEAT_IDS),$(R)/$(1)/noise/$(m)-r$(k).tsv))
	$(PB) noise-summary --dataset $(1) --title "$($(1)_TITLE)" --surface-prefix $(R)/$(1)/p2-surface \
	    --macros $(R)/$(1)/p2-macros.tex --tex $(R)/$(1)/p2-table.tex --slices $$@ $$(filter $(R)/$(1)/noise/%,$$^)
endef

# $(1) dataset, $(2) a method that trains its own network
define TRAINER_FIT_RULES
$(R)/$(1)/fit/$(2)-r%.fit: $(PB) $(R)/$(1)/train-config.txt $(B)/datasets.verified $(B)/plugins/$(2).so
	@mkdir -p $$(@D)
	$(PB) train --data $(1) --model $($(1)_MODEL) --method $(2) --repeat $$* --epochs $($(1)_EPOCHS) \
	    $(TRAIN_OPTS) $($(1)_TRAIN_EXTRA) -o $$@
endef

# $(1) dataset, $(2) method
define METHOD_RULES
$(R)/$(1)/order/$(2)-r%.tsv: $(R)/$(1)/fit/$(call fit_of,$(2))-r%.fit $(B)/plugins/$(2).so $(PB) $(R)/$(1)/rank-config.txt
	@mkdir -p $$(@D)
	$(PB) rank --fit $$< --method $(B)/plugins/$(2).so --prunable $(PRUNABLE) $(if $($(2)_OPTIONS),--options '$($(2)_OPTIONS)') -o $$@
$(R)/$(1)/curve/$(2)-r%.tsv: $(R)/$(1)/fit/$(call fit_of,$(2))-r%.fit $(R)/$(1)/order/$(2)-r%.tsv $(PB) $(R)/$(1)/curve-config.txt
	@mkdir -p $$(@D)
	$(PB) curve --fit $$< --order $(R)/$(1)/order/$(2)-r$$*.tsv --fractions '$(FRACTIONS)' -o $$@
$(R)/$(1)/curvec/$(2)-r%.tsv: $(R)/$(1)/fit/$(call fit_of,$(2))-r%.fit $(R)/$(1)/order/$(2)-r%.tsv $(PB) $(R)/$(1)/curve-config.txt
	@mkdir -p $$(@D)
	$(PB) curve --fit $$< --order $(R)/$(1)/order/$(2)-r$$*.tsv --fractions '$(FRACTIONS)' --compensate conditional -o $$@
$(R)/$(1)/noise/$(2)-r%.tsv: $(R)/$(1)/fit/$(call fit_of,$(2))-r%.fit $(R)/$(1)/order/$(2)-r%.tsv $(PB) $(R)/$(1)/noise-config.txt
	@mkdir -p $$(@D)
	$(PB) noise --fit $$< --order $(R)/$(1)/order/$(2)-r$$*.tsv --fractions '$(NOISE_FRACTIONS)' \
	    --levels '$(NOISE_LEVELS)' --draws $(NOISE_DRAWS) -o $$@
endef

$(foreach d,$(DATASETS),$(eval $(call DATASET_RULES,$(d))))
$(foreach d,$(DATASETS),$(foreach m,$(METHODS),$(eval $(call METHOD_RULES,$(d),$(m)))))
$(foreach d,$(DATASETS),$(foreach m,$(filter $(TRAINERS),$(METHODS)),$(eval $(call TRAINER_FIT_RULES,$(d),$(m)))))

$(B)/datasets.verified: datasets/SHA256SUMS datasets/wine_data.csv datasets/boston_house_prices.csv
	cd datasets && sha256sum --quiet -c SHA256SUMS
	touch $@

# ---- one-run experiments (images, sequences) ----
# $(1) experiment, $(2) a method that trains its own network (fit/$(2)-r0.fit),
# $(3) removed fractions: the removal order and the P1 curve.
define ONE_RUN_METHOD_RULES
$(R)/$(1)/order/$(2)-r0.tsv: $(R)/$(1)/fit/$(2)-r0.fit $(B)/plugins/$(2).so
	@mkdir -p $$(@D)
	$(PB) rank --fit $$< --method $(B)/plugins/$(2).so -o $$@
$(R)/$(1)/curve/$(2)-r0.tsv: $(R)/$(1)/fit/$(2)-r0.fit $(R)/$(1)/order/$(2)-r0.tsv $(R)/$(1)/curve-config.txt
	@mkdir -p $$(@D)
	$(PB) curve --fit $$< --order $(R)/$(1)/order/$(2)-r0.tsv --fractions '$(3)' -o $$@
endef
# $(1) experiment, $(2) its methods, $(3) title: the P1 summary and figures.
define ONE_RUN_SUMMARY_RULES
$(R)/$(1)/p1-summary.tsv: $(PB) report/reference.tsv $(foreach m,$(2),$(R)/$(1)/curve/$(m)-r0.tsv)
	$(PB) summarize --dataset $(1) --title "$(3)" --reference report/reference.tsv \
	    --mean $(R)/$(1)/p1-mean.tsv --gp $(R)/$(1)/p1-methods.gp --tex $(R)/$(1)/p1-table.tex \
	    --macros $(R)/$(1)/p1-macros.tex --tsv $$@ $$(filter $(R)/$(1)/curve/%,$$^)
$(R)/$(1)/p1.pdf $(R)/$(1)/p1.png: $(R)/$(1)/p1.%: report/p1.gp $(R)/$(1)/p1-summary.tsv
	gnuplot -e "data='$(R)/$(1)/p1-mean.tsv'; methods_gp='$(R)/$(1)/p1-methods.gp'; out='$$@.tmp'; fmt='$$*'" report/p1.gp
	mv $$@.tmp $$@
endef

# ---- images: methods that train their own network, on Fashion-MNIST ----
# (seed 001 section 3.2; Molchanov et al. 2017: Adam, batch 100, lr 1e-3 decaying
# linearly to 0 over the second half, 200 epochs; one repeat.) Beside each
# method: the same network trained without sparsification (family point).
IMAGE_EXPS       := fmnist_lenet fmnist_mlp100
IMAGE_DATA       ?= fashion-mnist
IMAGE_TRAIN_OPTS ?= --batch 100 --lr 0.001 --lr-decay linear
IMAGE_METHODS    := $(filter $(TRAINERS),$(METHODS))
fmnist_lenet_MODEL  := mlp:784-300-100-10:relu
fmnist_lenet_TITLE  := LeNet-300-100
fmnist_mlp100_MODEL := mlp:784-100-10:relu
fmnist_mlp100_TITLE := 784-100-10

define IMAGE_RULES
$(R)/$(1)/train-config.txt: FORCE
	$$(call write_if_changed,$$@,"data=$$(IMAGE_DATA)" "model=$$($(1)_MODEL)" "epochs=$$(IMAGE_EPOCHS)" "train=$$(IMAGE_TRAIN_OPTS)")
$(R)/$(1)/fit/plain-r0.fit: $(PB) $(R)/$(1)/train-config.txt
	@mkdir -p $$(@D)
	$(PB) train --data $(IMAGE_DATA) --model $($(1)_MODEL) --family point --epochs $(IMAGE_EPOCHS) $(IMAGE_TRAIN_OPTS) --progress -o $$@
$(R)/$(1)/plain-eval.tsv: $(R)/$(1)/fit/plain-r0.fit
	$(PB) evaluate --fit $$< --tex $(R)/$(1)/plain-macros.tex --name $(1)-plain -o $$@
report/gen/$(1)/stamp: $(R)/$(1)/plain-eval.tsv $(R)/$(1)/p1.pdf $(R)/$(1)/p1.png \
    $(foreach m,$(IMAGE_METHODS),$(R)/$(1)/$(m)-export.tex $(R)/$(1)/logalpha-$(m).pdf) results/report-scale.txt
	rm -rf report/gen/$(1) && mkdir -p report/gen/$(1)
	cp $(R)/$(1)/*.tex $(R)/$(1)/p1.pdf $(R)/$(1)/logalpha-*.pdf report/gen/$(1)/
	touch $$@
endef

# $(1) image experiment, $(2) method that trains its own network
define IMAGE_METHOD_RULES
$(R)/$(1)/fit/$(2)-r0.fit: $(PB) $(R)/$(1)/train-config.txt $(B)/plugins/$(2).so
	@mkdir -p $$(@D)
	$(PB) train --data $(IMAGE_DATA) --model $($(1)_MODEL) --method $(2) --epochs $(IMAGE_EPOCHS) $(IMAGE_TRAIN_OPTS) --progress -o $$@
$(R)/$(1)/$(2)-export.tex: $(R)/$(1)/fit/$(2)-r0.fit $(R)/$(1)/order/$(2)-r0.tsv
	$(PB) export --fit $$< --order $(R)/$(1)/order/$(2)-r0.tsv --operating-point --plugin-dir $(B)/plugins \
	    --tex $$@ --name $(1)-$(2) -o $(R)/$(1)/$(2)-r0.csr
$(R)/$(1)/logalpha-$(2).pdf: report/logalpha.gp $(R)/$(1)/order/$(2)-r0.tsv
	gnuplot -e "data='$(R)/$(1)/order/$(2)-r0.tsv'; out='$$@.tmp'; fmt='pdf'; title='$($(1)_TITLE), $(2): log alpha of the weights'" report/logalpha.gp
	mv $$@.tmp $$@
endef

$(foreach e,$(IMAGE_EXPS),$(eval $(call IMAGE_RULES,$(e))))
$(foreach e,$(IMAGE_EXPS),$(foreach m,$(IMAGE_METHODS),$(eval $(call IMAGE_METHOD_RULES,$(e),$(m)))))
$(foreach e,$(IMAGE_EXPS),$(foreach m,$(IMAGE_METHODS),$(eval $(call ONE_RUN_METHOD_RULES,$(e),$(m),$(FRACTIONS)))))
$(foreach e,$(IMAGE_EXPS),$(eval $(call ONE_RUN_SUMMARY_RULES,$(e),$(IMAGE_METHODS),$(IMAGE_DATA)$(comma) $($(e)_TITLE))))
$(foreach e,$(IMAGE_EXPS),$(eval $(R)/$(e)/curve-config.txt: FORCE ; $$(call write_if_changed,$$@,"fractions=$$(FRACTIONS)")))

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
SEQ_EXPS             := seqfmnist_lstm
seqfmnist_lstm_DATA  := seq-fashion-mnist
seqfmnist_lstm_MODEL := lstm:28x28-128-10
seqfmnist_lstm_TITLE := LSTM-128 on sequential Fashion-MNIST
seqfmnist_lstm_OPTS  := --batch 128 --lr 0.001
seqfmnist_lstm_LIMIT := $(if $(SEQ_TRAIN_LIMIT),--train-limit $(SEQ_TRAIN_LIMIT))
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
SEQ_BASELINES        := plain dropout
SEQ_plain_OPTS       := --family point
SEQ_dropout_OPTS     := --family point --dropout 0.3 --weight-decay 0.001
SEQ_METHODS          := $(IMAGE_METHODS)

define SEQ_RULES
$(R)/$(1)/train-config.txt: FORCE
	$$(call write_if_changed,$$@,"data=$$($(1)_DATA)" "model=$$($(1)_MODEL)" "epochs=$$(SEQ_EPOCHS)" "train=$$($(1)_OPTS) $$($(1)_LIMIT)" "plain=$$(SEQ_plain_OPTS)" "dropout=$$(SEQ_dropout_OPTS)")
$(R)/$(1)/curve-config.txt: FORCE
	$$(call write_if_changed,$$@,"fractions=$$(SEQ_FRACTIONS)")
$(R)/$(1)/fit/%-r0.fit: $(PB) $(R)/$(1)/train-config.txt
	@mkdir -p $$(@D)
	$(PB) train --data $($(1)_DATA) --model $($(1)_MODEL) $$(SEQ_$$*_OPTS) --epochs $(SEQ_EPOCHS) $($(1)_OPTS) $($(1)_LIMIT) --progress -o $$@
$(R)/$(1)/%-eval.tsv: $(R)/$(1)/fit/%-r0.fit
	$(PB) evaluate --fit $$< --tex $(R)/$(1)/$$*-macros.tex --name $(1)-$$* -o $$@
report/gen/$(1)/stamp: $(foreach b,$(SEQ_BASELINES),$(R)/$(1)/$(b)-eval.tsv) $(R)/$(1)/p1.pdf $(R)/$(1)/p1.png \
    $(foreach m,$(SEQ_METHODS),$(R)/$(1)/$(m)-p4.tsv $(R)/$(1)/gates-$(m).pdf) results/report-scale.txt
	rm -rf report/gen/$(1) && mkdir -p report/gen/$(1)
	cp $(R)/$(1)/*.tex $(R)/$(1)/p1.pdf $(R)/$(1)/gates-*.pdf report/gen/$(1)/
	touch $$@
endef

# $(1) sequence experiment, $(2) method that trains its own network
define SEQ_METHOD_RULES
$(R)/$(1)/fit/$(2)-r0.fit: $(PB) $(R)/$(1)/train-config.txt $(B)/plugins/$(2).so
	@mkdir -p $$(@D)
	$(PB) train --data $($(1)_DATA) --model $($(1)_MODEL) --method $(2) --epochs $(SEQ_EPOCHS) $($(1)_OPTS) $($(1)_LIMIT) --progress -o $$@
$(R)/$(1)/$(2)-p4.tsv: $(R)/$(1)/fit/$(2)-r0.fit $(R)/$(1)/order/$(2)-r0.tsv
	$(PB) structure --fit $$< --order $(R)/$(1)/order/$(2)-r0.tsv --operating-point --plugin-dir $(B)/plugins --repeats $(SEQ_TIMING) \
	    --gates $(R)/$(1)/gates-$(2).tsv --tex $(R)/$(1)/$(2)-p4.tex --name $(1)-$(2) -o $$@
$(R)/$(1)/gates-$(2).pdf: report/gates.gp $(R)/$(1)/$(2)-p4.tsv
	gnuplot -e "data='$(R)/$(1)/gates-$(2).tsv'; out='$$@.tmp'; title='$($(1)_TITLE), $(2): gates of the kept hidden units'" report/gates.gp
	mv $$@.tmp $$@
endef

$(foreach e,$(SEQ_EXPS),$(eval $(call SEQ_RULES,$(e))))
$(foreach e,$(SEQ_EXPS),$(foreach m,$(SEQ_METHODS),$(eval $(call SEQ_METHOD_RULES,$(e),$(m)))))
$(foreach e,$(SEQ_EXPS),$(foreach m,$(SEQ_METHODS),$(eval $(call ONE_RUN_METHOD_RULES,$(e),$(m),$(SEQ_FRACTIONS)))))
$(foreach e,$(SEQ_EXPS),$(eval $(call ONE_RUN_SUMMARY_RULES,$(e),$(SEQ_METHODS),$($(e)_TITLE))))

# ---- every cell, named explicitly ----
# A file that only chained pattern rules make is "intermediate" to Make: it is
# deleted after the run and, once missing, not remade while the files built
# from it are newer. Naming every cell here (an explicit rule without a
# recipe; the pattern rules above still make them) turns them into ordinary
# targets: kept, and remade, with everything that depends on them, when
# deleted.
# A new kind of cell belongs in this list too: one left out is deleted after
# the run that made it.
CELLS := \
    $(foreach d,$(DATASETS),$(foreach k,$(REPEAT_IDS),$(R)/$(d)/fit/base-r$(k).fit \
        $(foreach m,$(filter $(TRAINERS),$(METHODS)),$(R)/$(d)/fit/$(m)-r$(k).fit) \
        $(foreach m,$(METHODS),$(R)/$(d)/order/$(m)-r$(k).tsv $(R)/$(d)/curve/$(m)-r$(k).tsv $(R)/$(d)/noise/$(m)-r$(k).tsv) \
        $(foreach m,$(filter-out $(TRAINERS),$(METHODS)),$(R)/$(d)/curvec/$(m)-r$(k).tsv))) \
    $(foreach e,$(IMAGE_EXPS),$(R)/$(e)/fit/plain-r0.fit) \
    $(foreach e,$(SEQ_EXPS),$(foreach b,$(SEQ_BASELINES),$(R)/$(e)/fit/$(b)-r0.fit)) \
    $(foreach e,$(IMAGE_EXPS) $(SEQ_EXPS),$(foreach m,$(IMAGE_METHODS),$(R)/$(e)/fit/$(m)-r0.fit \
        $(R)/$(e)/order/$(m)-r0.tsv $(R)/$(e)/curve/$(m)-r0.tsv))
$(CELLS):

# ---- report ----
# Everything the report shows of one dataset, copied from this scale's results
# into report/gen/<dataset>/ (results/report-scale.txt makes a change of SCALE
# refresh it), plus a generated LaTeX file that includes one noise surface per
# method, so a new plugin appears without editing report.tex.
define REPORT_RULES
$(1)_REPORT := $(R)/$(1)/p1-summary.tsv $(R)/$(1)/p1c-summary.tsv $(R)/$(1)/p2-slices.tsv \
    $(R)/$(1)/p1.pdf $(R)/$(1)/p1c.pdf $(R)/$(1)/p1.png $(R)/$(1)/p1c.png $(R)/$(1)/p2-slices.pdf \
    $(foreach m,$(METHODS),$(R)/$(1)/p2-surface-$(m).pdf)
report/gen/$(1)/stamp: $$($(1)_REPORT) results/report-scale.txt
	rm -rf report/gen/$(1) && mkdir -p report/gen/$(1)
	cp $(R)/$(1)/*.tex $(R)/$(1)/p1.pdf $(R)/$(1)/p1c.pdf $(R)/$(1)/p2-*.pdf report/gen/$(1)/
	{ echo '% generated by make -- do not edit'; \
	  $(foreach m,$(METHODS),echo '\begin{minipage}{0.48\textwidth}\centering\includegraphics[width=\textwidth]{gen/$(1)/p2-surface-$(m).pdf}\end{minipage}\hfill';) \
	} > report/gen/$(1)/surfaces.tex
	touch $$@

$(R)/$(1)/p2-surface-%.pdf: report/p2-surface.gp $(R)/$(1)/p2-slices.tsv
	gnuplot -e "data='$(R)/$(1)/p2-surface-$$*.tsv'; out='$$@.tmp'; fmt='pdf'; title='$($(1)_TITLE): $$*'" report/p2-surface.gp
	mv $$@.tmp $$@
$(R)/$(1)/p2-slices.pdf: report/p2-slices.gp $(R)/$(1)/p2-slices.tsv
	gnuplot -e "data='$(R)/$(1)/p2-slices.tsv'; methods_gp='$(R)/$(1)/p2-surface-methods.gp'; out='$$@.tmp'; fmt='pdf'" report/p2-slices.gp
	mv $$@.tmp $$@
endef
$(foreach d,$(DATASETS),$(eval $(call REPORT_RULES,$(d))))

FIGURES := $(foreach d,$(DATASETS),$(R)/$(d)/p1.png $(R)/$(d)/p1c.png) $(foreach e,$(IMAGE_EXPS) $(SEQ_EXPS),$(R)/$(e)/p1.png)

results/report-scale.txt: FORCE
	$(call write_if_changed,$@,"$(SCALE)")

report/gen/settings.tex: results/report-scale.txt $(foreach d,$(DATASETS),$(R)/$(d)/train-config.txt $(R)/$(d)/rank-config.txt $(R)/$(d)/curve-config.txt $(R)/$(d)/noise-config.txt) experiments.mk
	@mkdir -p $(@D)
	{ echo '% generated by make -- do not edit'; \
	  echo '\newcommand{\pbScale}{$(SCALE)}'; \
	  echo '\newcommand{\pbRepeats}{$(REPEATS)}'; \
	  echo '\newcommand{\pbTrainOpts}{\texttt{\detokenize{$(TRAIN_OPTS)}}}'; \
	  echo '\newcommand{\pbFractions}{\texttt{\detokenize{$(FRACTIONS)}}}'; \
	  echo '\newcommand{\pbNoiseFractions}{\texttt{\detokenize{$(NOISE_FRACTIONS)}}}'; \
	  echo '\newcommand{\pbNoiseLevels}{\texttt{\detokenize{$(NOISE_LEVELS)}}}'; \
	  echo '\newcommand{\pbNoiseDraws}{$(NOISE_DRAWS)}'; \
	  echo '\newcommand{\pbImageEpochs}{$(IMAGE_EPOCHS)}'; \
	  echo '\newcommand{\pbImageData}{$(IMAGE_DATA)}'; \
	  echo '\newcommand{\pbImageTrainOpts}{\texttt{\detokenize{$(IMAGE_TRAIN_OPTS)}}}'; \
	  echo '\newcommand{\pbSeqEpochs}{$(SEQ_EPOCHS)}'; \
	  echo '\newcommand{\pbSeqTrainLimit}{$(if $(SEQ_TRAIN_LIMIT),the first $(SEQ_TRAIN_LIMIT) training sequences,all 60000 training sequences)}'; \
	  echo '\newcommand{\pbSeqTrainOpts}{\texttt{\detokenize{$(seqfmnist_lstm_OPTS)}}}'; \
	  echo '\newcommand{\pbSeqDropoutOpts}{\texttt{\detokenize{$(SEQ_dropout_OPTS)}}}'; \
	  echo '\newcommand{\pbPrunable}{$(PRUNABLE)}'; \
	  echo '\newcommand{\pbMethods}{$(METHODS)}'; \
	  echo '\newcommand{\pbObdOptions}{\texttt{\detokenize{$(if $(obd_OPTIONS),$(obd_OPTIONS),hessian=gn)}}}'; \
	  echo '\newcommand{\pbBelsleyOptions}{\texttt{\detokenize{$(if $(belsley_OPTIONS),$(belsley_OPTIONS),estimator=laplace batch=1)}}}'; \
	  $(foreach d,$(DATASETS),echo '\newcommand{\pb$($(d)_TITLE)Model}{\texttt{\detokenize{$($(d)_MODEL)}}}'; \
	    echo '\newcommand{\pb$($(d)_TITLE)Epochs}{$($(d)_EPOCHS)}';) \
	} > $@.tmp && mv $@.tmp $@

report/gen/provenance.tex: $(PB) results/report-scale.txt
	@mkdir -p $(@D)
	$(PB) provenance > $@.tmp && mv $@.tmp $@

REPORT_GEN := report/gen/settings.tex report/gen/provenance.tex $(foreach d,$(DATASETS) $(IMAGE_EXPS) $(SEQ_EXPS),report/gen/$(d)/stamp)

report/report.pdf: report/report.tex $(REPORT_GEN) $(FIGURES)
	cd report && pdflatex -interaction=nonstopmode -halt-on-error report.tex > report-build.log 2>&1 \
	    && pdflatex -interaction=nonstopmode -halt-on-error report.tex > report-build.log 2>&1 \
	    || { tail -n 30 report-build.log; exit 1; }
	@echo "report: $@ (SCALE=$(SCALE); figures for a quick look: $(R)/*/*.png)"

figures: $(FIGURES)
report: report/report.pdf

reproduce: deps
	$(MAKE) all
	$(MAKE) report/report.pdf
