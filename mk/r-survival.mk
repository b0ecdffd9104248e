# Reference values from R (survival, cmprsk) for the survival-model tests: `make r-reference-survival`.
# Included by the Makefile (mk/*.mk); uses its $(STAMP) and $(BIN).
# Needs Rscript with the survival and cmprsk packages (Debian: apt-get install -y r-base-core
# r-cran-survival r-cran-cmprsk). Generated with survival 3.5-3 and cmprsk 2.2-11
# (tests/reference/survival_r_competing_versions.txt).
# The outputs are checked in; they are regenerated here and never edited by hand:
#   tests/reference/survival_synthetic.csv   fixed drop-out set with ties
#                                            (survival_make_synthetic.py, fixed seed)
#   tests/reference/survival_lung.csv, survival_veteran.csv   survival's lung and veteran data
#   tests/reference/survival_r_reference.csv coxph, cox.zph (1994 formula and survival >= 3.0),
#                                            quantile, survdiff
#   tests/reference/survival_r_km.csv        survfit tables (log-log CIs)
#   tests/reference/survival_competing.csv   fixed competing-risks set (survival_make_competing.py)
#   tests/reference/survival_mgus2.csv       survival's mgus2 (pcm vs death)
#   tests/reference/survival_r_competing*.csv  cuminc (CIF, variance, Gray's test), survfit
#                                            multi-state (Aalen-Johansen), cause-specific coxph,
#                                            cox.zph (every transform)
SURVIVAL_REFERENCE_DIR := tests/reference

.PHONY: r-reference-survival

r-reference-survival: $(STAMP)
	$(BIN)/python $(SURVIVAL_REFERENCE_DIR)/survival_make_synthetic.py
	Rscript $(SURVIVAL_REFERENCE_DIR)/survival_reference.R $(SURVIVAL_REFERENCE_DIR)
	$(BIN)/python $(SURVIVAL_REFERENCE_DIR)/survival_make_competing.py
	Rscript $(SURVIVAL_REFERENCE_DIR)/survival_competing_reference.R $(SURVIVAL_REFERENCE_DIR)
