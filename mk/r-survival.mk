# Reference values from R (survival) for the survival-model tests: `make r-reference-survival`.
# Included by the Makefile (mk/*.mk); uses its $(STAMP) and $(BIN).
# Needs Rscript with the survival package (Debian: apt-get install -y r-base-core r-cran-survival).
# The outputs are checked in; they are regenerated here and never edited by hand:
#   tests/reference/survival_synthetic.csv   fixed drop-out set with ties
#                                            (survival_make_synthetic.py, fixed seed)
#   tests/reference/survival_lung.csv, survival_veteran.csv   survival's lung and veteran data
#   tests/reference/survival_r_reference.csv coxph, cox.zph (1994 formula), quantile, survdiff
#   tests/reference/survival_r_km.csv        survfit tables (log-log CIs)
SURVIVAL_REFERENCE_DIR := tests/reference

.PHONY: r-reference-survival

r-reference-survival: $(STAMP)
	$(BIN)/python $(SURVIVAL_REFERENCE_DIR)/survival_make_synthetic.py
	Rscript $(SURVIVAL_REFERENCE_DIR)/survival_reference.R $(SURVIVAL_REFERENCE_DIR)
