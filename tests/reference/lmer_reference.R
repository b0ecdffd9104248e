# Reference values from lme4::lmer for the project's mixed models (tests/test_mixed_reference.py).
#
# Usage:  Rscript tests/reference/lmer_reference.R [OUT_DIR]      (make r-reference)
#
# Fits, by REML (estimates) and ML (likelihood-ratio test of the comorbidity x time block):
#   (a) lme4's sleepstudy: Reaction ~ Days + (Days | Subject)
#       (known: fixed effects 251.405105 and 10.467286; variances 612.10, 35.07, 654.94);
#   (b) rom_like.csv, the fixed ROM-like analysis set written by make_rom_like.py:
#       ssd12_total ~ years * (comorbid_asd + comorbid_ptsd + comorbid_depression)
#                     + age_at_start + sex + diagnosis + (years | trajectory_key)
#       with treatment coding, reference levels sex = f and diagnosis = ssd.
# Writes to OUT_DIR (default: this script's folder):
#   sleepstudy.csv            lme4's data set, for the Python side to fit the same rows;
#   lmer_sleepstudy.csv, lmer_rom_like.csv
#       long format: quantity (estimate / std_error / variance / correlation / statistic),
#       term (project names: Intercept, sex[T.m], years:comorbid_asd, var(Intercept),
#       cov(Intercept,years), var(residual), reml_criterion ...), value (15 digits).
# The optimizer runs with tight tolerances so that the reference is the optimum itself, not
# an approximation of it; lmer's default settings agree to about 1e-6 relative.
#
# Bates D, Maechler M, Bolker B, Walker S (2015). Fitting linear mixed-effects models using
# lme4. Journal of Statistical Software 67(1), 1-48.

suppressPackageStartupMessages(library(lme4))

args <- commandArgs(trailingOnly = TRUE)
script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
here <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg))) else "."
out_dir <- if (length(args) >= 1) args[[1]] else here
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

control <- lmerControl(
  optimizer = "nloptwrap",
  optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14, xtol_rel = 1e-12, ftol_rel = 1e-14,
                 maxeval = 1e5)
)

# Project term names (patsy's): (Intercept) -> Intercept, sexm -> sex[T.m].
project_names <- function(names, factors) {
  out <- sub("^\\(Intercept\\)$", "Intercept", names)
  for (v in names(factors)) {
    for (level in factors[[v]][-1]) {
      pattern <- paste0("(^|:)", v, level, "($|:)")
      out <- sub(pattern, paste0("\\1", v, "[T.", level, "]\\2"), out)
    }
  }
  out
}

effect_name <- function(x) ifelse(x == "(Intercept)", "Intercept", x)

reference_table <- function(fit, factors, ml_full = NULL, ml_reduced = NULL) {
  beta <- fixef(fit)
  se <- sqrt(diag(as.matrix(vcov(fit))))
  terms <- project_names(names(beta), factors)
  vc <- as.data.frame(VarCorr(fit))
  var_terms <- ifelse(
    vc$grp == "Residual", "var(residual)",
    ifelse(is.na(vc$var2), paste0("var(", effect_name(vc$var1), ")"),
           paste0("cov(", effect_name(vc$var1), ",", effect_name(vc$var2), ")"))
  )
  cor_rows <- !is.na(vc$var2)
  rows <- rbind(
    data.frame(quantity = "estimate", term = terms, value = unname(beta)),
    data.frame(quantity = "std_error", term = terms, value = unname(se)),
    data.frame(quantity = "variance", term = var_terms, value = vc$vcov),
    data.frame(quantity = "correlation",
               term = sub("^cov", "cor", var_terms[cor_rows]), value = vc$sdcor[cor_rows]),
    data.frame(quantity = "statistic", term = "reml_criterion",
               value = unname(REMLcrit(fit))),
    data.frame(quantity = "statistic", term = "n_measurements", value = nobs(fit)),
    data.frame(quantity = "statistic", term = "n_groups", value = unname(ngrps(fit)[1]))
  )
  if (!is.null(ml_full)) {
    lrt <- anova(ml_reduced, ml_full)
    rows <- rbind(rows, data.frame(
      quantity = "statistic",
      term = c("loglik_full_ml", "loglik_reduced_ml", "lrt_chi2", "lrt_df"),
      value = c(as.numeric(logLik(ml_full)), as.numeric(logLik(ml_reduced)),
                lrt$Chisq[2], lrt$Df[2])
    ))
  }
  rows
}

write_reference <- function(rows, file) {
  rows$value <- sprintf("%.15g", rows$value)
  write.csv(rows, file.path(out_dir, file), row.names = FALSE)
}

# (a) sleepstudy -------------------------------------------------------------------------
data("sleepstudy", package = "lme4")
sleep <- sleepstudy[, c("Subject", "Days", "Reaction")]
sleep$Subject <- as.character(sleep$Subject)
write.csv(sleep, file.path(out_dir, "sleepstudy.csv"), row.names = FALSE, quote = FALSE)
sleep_fit <- lmer(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE,
                  control = control)
write_reference(reference_table(sleep_fit, list()), "lmer_sleepstudy.csv")

# (b) the ROM-like analysis set ------------------------------------------------------------
rom <- read.csv(file.path(here, "rom_like.csv"), stringsAsFactors = FALSE)
factors <- list(
  sex = c("f", setdiff(sort(unique(rom$sex)), "f")),
  diagnosis = c("ssd", setdiff(sort(unique(rom$diagnosis)), "ssd"))
)
rom$sex <- factor(rom$sex, levels = factors$sex)
rom$diagnosis <- factor(rom$diagnosis, levels = factors$diagnosis)
full <- ssd12_total ~ years * (comorbid_asd + comorbid_ptsd + comorbid_depression) +
  age_at_start + sex + diagnosis + (years | trajectory_key)
reduced <- ssd12_total ~ years + comorbid_asd + comorbid_ptsd + comorbid_depression +
  age_at_start + sex + diagnosis + (years | trajectory_key)
rom_fit <- lmer(full, data = rom, REML = TRUE, control = control)
ml_full <- lmer(full, data = rom, REML = FALSE, control = control)
ml_reduced <- lmer(reduced, data = rom, REML = FALSE, control = control)
write_reference(reference_table(rom_fit, factors, ml_full, ml_reduced), "lmer_rom_like.csv")
