# Reference values from R's survival package for the project's survival models
# (tests/test_survival_reference.py).
#
# Usage:  Rscript tests/reference/survival_reference.R [OUT_DIR]     (make r-reference-survival)
#
# Data sets (each written to CSV, so the Python side fits exactly the same rows):
#   synthetic  survival_synthetic.csv, written by survival_make_synthetic.py (fixed seed; times
#              in years, rounded up to whole weeks: many ties);
#   lung       survival's NCCTG lung cancer data, complete cases of time, status, age, sex,
#              ph.ecog (renamed ph_ecog); event = status == 2;  -> survival_lung.csv
#   veteran    survival's Veterans' Administration lung cancer trial; event = status;
#              celltype as text (reference level squamous)    -> survival_veteran.csv
# For each: coxph (Efron ties, the default) with the covariates in `specs` below; survfit
# (Kaplan-Meier, conf.type = "log-log") overall and per level of each grouping factor, with
# quantile() for the median and its interval and summary(times = ) at landmarks; survdiff
# (log-rank) per grouping factor; the proportional-hazards test of cox.zph as it was up to
# survival 2.44 (Grambsch & Therneau 1994 approximation, transform "km"; the formula lifelines
# implements; the reference of ph_test = approximate), computed below from R's Schoenfeld
# residuals and fit$var, and cox.zph of the installed survival (>= 3.0: the exact score test
# with the full information matrix, terms = FALSE; the reference of ph_test = exact).
# Writes to OUT_DIR (default: this script's folder):
#   survival_r_reference.csv  long: dataset, quantity, term, value (15 significant digits);
#       Cox terms use the project's names (sex[T.m], celltype[T.adeno]); strata are "all" or
#       "<factor>=<level>";
#   survival_r_km.csv         the Kaplan-Meier tables: dataset, group, level, time, n_at_risk,
#       n_events, n_censored, survival, std_error (Greenwood SE of S), ci_low, ci_high;
#   survival_lung.csv, survival_veteran.csv.
#
# Therneau T (2024). A Package for Survival Analysis in R. R package survival.
# Grambsch PM, Therneau TM (1994). Proportional hazards tests and diagnostics based on weighted
# residuals. Biometrika 81, 515-526.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
here <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg))) else "."
out_dir <- if (length(args) >= 1) args[[1]] else here
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

# --- data ----------------------------------------------------------------------------------
data(cancer, package = "survival")
lung_cc <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "ph.ecog")]), ]
lung_data <- data.frame(time = lung_cc$time, event = as.integer(lung_cc$status == 2),
                        age = lung_cc$age, sex = lung_cc$sex, ph_ecog = lung_cc$ph.ecog)
veteran_data <- data.frame(time = veteran$time, event = veteran$status, trt = veteran$trt,
                           celltype = as.character(veteran$celltype), karno = veteran$karno,
                           diagtime = veteran$diagtime, age = veteran$age, prior = veteran$prior,
                           stringsAsFactors = FALSE)
write.csv(lung_data, file.path(out_dir, "survival_lung.csv"), row.names = FALSE, quote = FALSE)
write.csv(veteran_data, file.path(out_dir, "survival_veteran.csv"), row.names = FALSE,
          quote = FALSE)
synthetic_data <- read.csv(file.path(here, "survival_synthetic.csv"), stringsAsFactors = FALSE)

specs <- list(
  synthetic = list(data = synthetic_data, time = "duration",
                   covariates = c("comorbid_opioid", "comorbid_depression", "age_at_start",
                                  "sex", "diagnosis"),
                   reference = list(sex = "f", diagnosis = "ssd"),
                   groups = c("comorbid_opioid", "diagnosis"), landmarks = c(0.5, 1, 2)),
  lung = list(data = lung_data, time = "time", covariates = c("age", "sex", "ph_ecog"),
              reference = list(), groups = c("sex", "ph_ecog"), landmarks = c(180, 365, 730)),
  veteran = list(data = veteran_data, time = "time",
                 covariates = c("trt", "celltype", "karno", "diagtime", "age", "prior"),
                 reference = list(celltype = "squamous"), groups = c("celltype", "trt"),
                 landmarks = c(30, 90, 180))
)

# --- helpers -------------------------------------------------------------------------------
# Project term names (patsy's): sexm -> sex[T.m].
project_names <- function(names, factors) {
  out <- names
  for (v in names(factors)) {
    for (level in factors[[v]][-1]) {
      out[out == paste0(v, level)] <- paste0(v, "[T.", level, "]")
    }
  }
  out
}

rows <- function(dataset, quantity, term, value) {
  data.frame(dataset = dataset, quantity = quantity, term = term, value = value,
             stringsAsFactors = FALSE)
}

# cox.zph of survival <= 2.44: per-term and global Grambsch-Therneau tests, transform "km"
# (1 - the left-continuous Kaplan-Meier estimate at each event time).
zph_gt1994 <- function(fit) {
  sresid <- as.matrix(resid(fit, "schoenfeld"))
  ndead <- nrow(sresid)
  km_fit <- survfit(fit$y ~ 1)
  t1 <- km_fit$surv[km_fit$n.event > 0]
  t2 <- km_fit$n.event[km_fit$n.event > 0]
  km <- rep(c(1, t1), c(t2, 0))
  xx <- (1 - km) - mean(1 - km)
  r2 <- sresid %*% fit$var * ndead
  test <- xx %*% r2
  per_term <- c(test^2 / (diag(fit$var) * ndead * sum(xx^2)))
  u <- c(xx %*% sresid)
  global <- c(u %*% fit$var %*% u) * ndead / sum(xx^2)
  list(per_term = per_term, global = global)
}

km_rows <- function(dataset, group, level, fit) {
  data.frame(dataset = dataset, group = group, level = level, time = fit$time,
             n_at_risk = fit$n.risk, n_events = fit$n.event, n_censored = fit$n.censor,
             survival = fit$surv, std_error = fit$std.err * fit$surv,
             ci_low = fit$lower, ci_high = fit$upper, stringsAsFactors = FALSE)
}

km_summary_rows <- function(dataset, stratum, fit, landmarks) {
  q <- quantile(fit, probs = 0.5, conf.int = TRUE)
  out <- rows(dataset, c("median", "median_ci_low", "median_ci_high"), stratum,
              c(q$quantile[[1]], q$lower[[1]], q$upper[[1]]))
  out <- rbind(out, rows(dataset, c("n", "events"), stratum,
                         c(fit$n, sum(fit$n.event))))
  inside <- landmarks[landmarks <= max(fit$time)]
  if (length(inside)) {
    s <- summary(fit, times = inside, extend = TRUE)
    for (i in seq_along(inside)) {
      t <- format(inside[i])
      out <- rbind(out, rows(dataset,
                             paste0(c("survival", "std_error", "ci_low", "ci_high",
                                      "n_at_risk"), "_at_", t),
                             stratum,
                             c(s$surv[i], s$std.err[i], s$lower[i], s$upper[i], s$n.risk[i])))
    }
  }
  out
}

# --- fits ----------------------------------------------------------------------------------
reference <- list()
km_tables <- list()
for (dataset in names(specs)) {
  spec <- specs[[dataset]]
  d <- spec$data
  factors <- list()
  for (v in names(spec$reference)) {
    levels <- c(spec$reference[[v]], setdiff(sort(unique(d[[v]])), spec$reference[[v]]))
    d[[v]] <- factor(d[[v]], levels = levels)
    factors[[v]] <- levels
  }
  response <- paste0("Surv(", spec$time, ", event)")
  formula <- as.formula(paste(response, "~", paste(spec$covariates, collapse = " + ")))
  fit <- coxph(formula, data = d, ties = "efron",
               control = coxph.control(eps = 1e-11, iter.max = 100))
  terms <- project_names(names(coef(fit)), factors)
  s <- summary(fit)$coefficients
  ci <- confint(fit)
  zph <- zph_gt1994(fit)
  zph3 <- cox.zph(fit, transform = "km", terms = FALSE)$table
  reference[[length(reference) + 1]] <- rbind(
    rows(dataset, "estimate", terms, unname(coef(fit))),
    rows(dataset, "std_error", terms, unname(s[, "se(coef)"])),
    rows(dataset, "ci_low", terms, unname(ci[, 1])),
    rows(dataset, "ci_high", terms, unname(ci[, 2])),
    rows(dataset, "p_value", terms, unname(s[, "Pr(>|z|)"])),
    rows(dataset, "ph_chisq_gt1994", c(terms, "GLOBAL"), c(zph$per_term, zph$global)),
    rows(dataset, "ph_chisq_coxzph3", c(terms, "GLOBAL"), unname(zph3[, "chisq"])),
    rows(dataset, c("loglik", "loglik_null", "concordance", "n", "events", "lrt_chisq"),
         "model",
         c(fit$loglik[2], fit$loglik[1], unname(fit$concordance["concordance"]), fit$n,
           fit$nevent, 2 * (fit$loglik[2] - fit$loglik[1])))
  )
  surv_all <- survfit(as.formula(paste(response, "~ 1")), data = d, conf.type = "log-log")
  km_tables[[length(km_tables) + 1]] <- km_rows(dataset, "all", "all", surv_all)
  reference[[length(reference) + 1]] <- km_summary_rows(dataset, "all", surv_all,
                                                         spec$landmarks)
  for (g in spec$groups) {
    values <- as.character(spec$data[[g]])
    for (level in sort(unique(values))) {
      part <- d[values == level, , drop = FALSE]
      surv_level <- survfit(as.formula(paste(response, "~ 1")), data = part,
                            conf.type = "log-log")
      km_tables[[length(km_tables) + 1]] <- km_rows(dataset, g, level, surv_level)
      reference[[length(reference) + 1]] <- km_summary_rows(
        dataset, paste0(g, "=", level), surv_level, spec$landmarks)
    }
    lr <- survdiff(as.formula(paste(response, "~", g)), data = d)
    reference[[length(reference) + 1]] <- rows(
      dataset, c("logrank_chisq", "logrank_df", "logrank_p"), g,
      c(lr$chisq, length(lr$n) - 1, pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE)))
  }
}

reference <- do.call(rbind, reference)
reference$value <- sprintf("%.15g", reference$value)
write.csv(reference, file.path(out_dir, "survival_r_reference.csv"), row.names = FALSE)
km <- do.call(rbind, km_tables)
for (column in c("time", "survival", "std_error", "ci_low", "ci_high")) {
  km[[column]] <- sprintf("%.15g", km[[column]])
}
write.csv(km, file.path(out_dir, "survival_r_km.csv"), row.names = FALSE, na = "")
