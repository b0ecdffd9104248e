# Reference values from R (lme4) for the mixed-model tests: `make r-reference`.
# Included by the Makefile (`include mk/r-reference.mk`); uses its $(STAMP) and $(BIN).
# Needs Rscript with lme4 and lmerTest (Debian: apt-get install -y r-base-core r-cran-lme4
# r-cran-lmertest).
# The outputs are checked in; they are regenerated here and never edited by hand:
#   tests/reference/rom_like.csv        fixed ROM-like analysis set (make_rom_like.py, fixed seed)
#   tests/reference/sleepstudy.csv      lme4's sleepstudy data
#   tests/reference/lmer_*.csv          lmer fixed effects, SEs, variance components, LRT
#   tests/reference/lmertest_*.csv      lmerTest Satterthwaite df, t and F tests; lme4 profile
#                                       CIs of SDs, correlation, sigma; profiled ICC CI
R_REFERENCE_DIR := tests/reference

r-reference: $(STAMP)
	$(BIN)/python $(R_REFERENCE_DIR)/make_rom_like.py
	Rscript $(R_REFERENCE_DIR)/lmer_reference.R $(R_REFERENCE_DIR)
	Rscript $(R_REFERENCE_DIR)/lmertest_reference.R $(R_REFERENCE_DIR)

r-reference-lmertest:
	Rscript $(R_REFERENCE_DIR)/lmertest_reference.R $(R_REFERENCE_DIR)
.PHONY: r-reference-lmertest
