# Reference values from R's survival and cmprsk packages for the competing-risks models and the
# exact proportional-hazards test (tests/test_survival_competing_reference.py).
#
# Usage:  Rscript tests/reference/survival_competing_reference.R [OUT_DIR]
#         (make r-reference-survival, after survival_make_competing.py)
#
# Data sets (each as CSV, so the Python side uses exactly the same rows):
#   competing  survival_competing.csv, written by survival_make_competing.py (fixed seed; four
#              causes of ending treatment, times rounded up to whole weeks: many ties);
#   mgus2      survival's mgus2 (Kyle et al.; Therneau's competing-risks vignette): time to
#              plasma-cell malignancy (pcm) or death without it, in months; complete cases of
#              age, sex, mspike                                     -> survival_mgus2.csv
# For each data set, overall and per level of each grouping factor:
#   cmprsk::cuminc (cencode = "censored"): the cumulative incidence and its variance after
#     each step (-> survival_r_competing_cif.csv);
#   survival::survfit(Surv(time, factor(cause))) (multi-state: Aalen-Johansen): pstate of
#     each cause, number at risk in the initial state and the (infinitesimal-jackknife)
#     standard error at every time (-> survival_r_competing_aj.csv);
#   Gray's test of each cause per grouping factor (cuminc $Tests, rho = 0);
#   cause-specific Cox models (coxph, Efron ties, event = that cause, other causes censored)
#     and cox.zph of the installed survival (>= 3.0, terms = FALSE) with every transform
#     (km, rank, identity, log), and with terms = TRUE (one joint test per factor; km)
#     (-> survival_r_competing.csv, long: dataset, quantity, group, cause, term, value).
#
# Therneau T (2024). A Package for Survival Analysis in R. Gray B (2022). cmprsk:
# Subdistribution Analysis of Competing Risks.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

args <- commandArgs(trailingOnly = TRUE)
script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
here <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg))) else "."
out_dir <- if (length(args) >= 1) args[[1]] else here
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

data(cancer, package = "survival")
m <- mgus2[complete.cases(mgus2[, c("age", "sex", "mspike")]), ]
mgus_data <- data.frame(
  time = ifelse(m$pstat == 0, m$futime, m$ptime),
  cause = ifelse(m$pstat == 1, "pcm", ifelse(m$death == 1, "death", "censored")),
  age = m$age, sex = as.character(m$sex), mspike = m$mspike, stringsAsFactors = FALSE)
write.csv(mgus_data, file.path(out_dir, "survival_mgus2.csv"), row.names = FALSE, quote = FALSE)
competing_data <- read.csv(file.path(here, "survival_competing.csv"), stringsAsFactors = FALSE)

specs <- list(
  competing = list(data = competing_data, time = "duration",
                   causes = c("dropout", "regular", "referred", "other"),
                   groups = c("comorbid_opioid", "diagnosis"),
                   covariates = c("comorbid_opioid", "age_at_start", "diagnosis"),
                   reference = list(diagnosis = "ssd")),
  mgus2 = list(data = mgus_data, time = "time", causes = c("pcm", "death"),
               groups = c("sex"), covariates = c("age", "sex", "mspike"),
               reference = list(sex = "F"))
)

project_names <- function(names, factors) {
  out <- names
  for (v in names(factors)) {
    for (level in factors[[v]][-1]) out[out == paste0(v, level)] <- paste0(v, "[T.", level, "]")
  }
  out
}

long <- function(dataset, quantity, group, cause, term, value) {
  data.frame(dataset = dataset, quantity = quantity, group = group, cause = cause, term = term,
             value = value, stringsAsFactors = FALSE)
}

cif_rows <- list()
aj_rows <- list()
reference <- list()
for (dataset in names(specs)) {
  spec <- specs[[dataset]]
  d <- spec$data
  time <- d[[spec$time]]
  strata <- list(list(group = "all", level = "all", rows = rep(TRUE, nrow(d))))
  for (g in spec$groups) {
    values <- as.character(d[[g]])
    for (level in sort(unique(values))) {
      strata[[length(strata) + 1]] <- list(group = g, level = level, rows = values == level)
    }
  }
  for (s in strata) {
    ci <- cuminc(time[s$rows], d$cause[s$rows], cencode = "censored")
    for (cause in spec$causes) {
      key <- paste("1", cause)
      if (!key %in% names(ci)) next
      z <- ci[[key]]
      keep <- !duplicated(z$time, fromLast = TRUE)
      cif_rows[[length(cif_rows) + 1]] <- data.frame(
        dataset = dataset, group = s$group, level = s$level, cause = cause,
        time = z$time[keep], est = z$est[keep], var = z$var[keep], stringsAsFactors = FALSE)
    }
    status <- factor(d$cause[s$rows], levels = c("censored", spec$causes))
    fit <- survfit(Surv(time[s$rows], status) ~ 1)
    initial <- match("(s0)", fit$states)
    for (cause in spec$causes) {
      j <- match(cause, fit$states)
      aj_rows[[length(aj_rows) + 1]] <- data.frame(
        dataset = dataset, group = s$group, level = s$level, cause = cause, time = fit$time,
        n_risk = fit$n.risk[, initial], pstate = fit$pstate[, j], std_err = fit$std.err[, j],
        stringsAsFactors = FALSE)
    }
  }
  for (g in spec$groups) {
    tests <- cuminc(time, d$cause, group = as.character(d[[g]]), cencode = "censored")$Tests
    for (cause in spec$causes) {
      if (!cause %in% rownames(tests)) next
      reference[[length(reference) + 1]] <- long(
        dataset, c("gray_statistic", "gray_p", "gray_df"), g, cause, g,
        unname(tests[cause, c("stat", "pv", "df")]))
    }
  }
  factors <- list()
  dd <- d
  for (v in names(spec$reference)) {
    levels <- c(spec$reference[[v]], setdiff(sort(unique(dd[[v]])), spec$reference[[v]]))
    dd[[v]] <- factor(dd[[v]], levels = levels)
    factors[[v]] <- levels
  }
  for (cause in spec$causes) {
    dd$event_k <- as.integer(dd$cause == cause)
    formula <- as.formula(paste0("Surv(", spec$time, ", event_k) ~ ",
                                 paste(spec$covariates, collapse = " + ")))
    fit <- coxph(formula, data = dd, ties = "efron",
                 control = coxph.control(eps = 1e-11, iter.max = 100))
    terms <- project_names(names(coef(fit)), factors)
    s <- summary(fit)$coefficients
    reference[[length(reference) + 1]] <- rbind(
      long(dataset, "estimate", "cox", cause, terms, unname(coef(fit))),
      long(dataset, "std_error", "cox", cause, terms, unname(s[, "se(coef)"])),
      long(dataset, "p_value", "cox", cause, terms, unname(s[, "Pr(>|z|)"])),
      long(dataset, "events", "cox", cause, "model", fit$nevent))
    for (transform in c("km", "rank", "identity", "log")) {
      zph <- cox.zph(fit, transform = transform, terms = FALSE)$table
      reference[[length(reference) + 1]] <- rbind(
        long(dataset, paste0("zph_chisq_", transform), "cox", cause, c(terms, "GLOBAL"),
             unname(zph[, "chisq"])),
        long(dataset, paste0("zph_p_", transform), "cox", cause, c(terms, "GLOBAL"),
             unname(zph[, "p"])))
    }
    # terms = TRUE (R's default): one joint test per factor.
    zph_terms <- cox.zph(fit, transform = "km")$table
    reference[[length(reference) + 1]] <- rbind(
      long(dataset, "zph_terms_chisq_km", "cox", cause, rownames(zph_terms),
           unname(zph_terms[, "chisq"])),
      long(dataset, "zph_terms_df_km", "cox", cause, rownames(zph_terms),
           unname(zph_terms[, "df"])))
  }
}

fmt <- function(frame, columns) {
  for (column in columns) frame[[column]] <- sprintf("%.15g", frame[[column]])
  frame
}
write.csv(fmt(do.call(rbind, cif_rows), c("time", "est", "var")),
          file.path(out_dir, "survival_r_competing_cif.csv"), row.names = FALSE)
write.csv(fmt(do.call(rbind, aj_rows), c("time", "pstate", "std_err")),
          file.path(out_dir, "survival_r_competing_aj.csv"), row.names = FALSE, na = "")
write.csv(fmt(do.call(rbind, reference), "value"),
          file.path(out_dir, "survival_r_competing.csv"), row.names = FALSE)
writeLines(paste0("survival ", packageVersion("survival"), ", cmprsk ",
                  packageVersion("cmprsk")),
           file.path(out_dir, "survival_r_competing_versions.txt"))
