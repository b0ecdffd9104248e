# Reference values from R (glm) for the maximum-likelihood logistic model: `make r-reference-logistic`.
# Included by the Makefile (mk/*.mk); uses its $(STAMP) and $(BIN). Needs Rscript (Debian:
# apt-get install -y r-base-core). The outputs are checked in; regenerated here, never edited:
#   tests/reference/logistic_set.csv           fixed binary-outcome set (logistic_make_set.py)
#   tests/reference/logistic_r_reference.csv   glm(binomial): estimates, SEs, Wald CIs, p-values
.PHONY: r-reference-logistic

r-reference-logistic: $(STAMP)
	$(BIN)/python tests/reference/logistic_make_set.py
	Rscript tests/reference/logistic_reference.R tests/reference
