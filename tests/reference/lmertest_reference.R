# Reference values from lmerTest and lme4's profile intervals (tests/test_mixed_inference_reference.py).
#
# Usage:  Rscript tests/reference/lmertest_reference.R [OUT_DIR]      (make r-reference)
#
# For (a) lme4's sleepstudy, Reaction ~ Days + (Days | Subject), and (b) rom_like.csv with
# the model of lmer_reference.R (both by REML), writes long-format CSVs (quantity, term, value):
#   satterthwaite_df, t_value, p_value   lmerTest summary() per fixed effect (project names);
#   f_value, f_num_df, f_den_df, f_p_value   lmerTest contest() of the comorbidity x time block
#                                        (rom_like only; Satterthwaite);
#   profile_low, profile_high            lme4::confint(method = "profile") (95%) of
#                                        sd(<effect>), cor(<a>,<b>), sigma (lme4 profiles the
#                                        ML deviance: devfun2 refits by ML);
#   icc_profile_low, icc_profile_high    the ICC sd_1^2 / (sd_1^2 + sigma^2): lme4 has no interval
#                                        for it, so this script profiles lme4's own ML deviance
#                                        function (lme4:::devfun2, sd/cor/sigma scale) with R's
#                                        optim (L-BFGS-B) at fixed ICC and uniroot for the limits.
# Kuznetsova A, Brockhoff PB, Christensen RHB (2017). lmerTest package: tests in linear mixed
# effects models. Journal of Statistical Software 82(13).

suppressPackageStartupMessages({library(lme4); library(lmerTest)})

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

# lme4's profile names (oldNames = FALSE): sd_(Intercept)|g, cor_Days.(Intercept)|g, sigma.
profile_names <- function(x) {
  x <- sub("\\|.*$", "", x)
  sd <- grepl("^sd_", x)
  cor <- grepl("^cor_", x)
  out <- x
  out[sd] <- paste0("sd(", effect_name(sub("^sd_", "", x[sd])), ")")
  pieces <- strsplit(sub("^cor_", "", x[cor]), ".", fixed = TRUE)
  out[cor] <- vapply(pieces, function(p) {
    paste0("cor(", effect_name(paste(p[-1], collapse = ".")), ",", effect_name(p[1]), ")")
  }, character(1))
  out
}

icc_profile <- function(fit, level = 0.95) {
  dd <- lme4:::devfun2(fit, useSc = TRUE, signames = FALSE)
  opt <- attr(dd, "optimum")
  np <- length(opt) - length(fixef(fit))
  phi <- unname(opt[seq_len(np)])  # sd1, cor, sd2, sigma
  base <- dd(phi)
  icc_hat <- phi[1]^2 / (phi[1]^2 + phi[np]^2)
  to_phi <- function(icc, rest) {
    sigma <- rest[length(rest)]
    c(sigma * sqrt(icc / (1 - icc)), rest)
  }
  # The correlation is kept inside [-0.99, 0.99]: at +-1 the deviance is undefined (the
  # penalty below is flat there), and L-BFGS-B's first step can reach the bound and stop on
  # the plateau, which on some machines made every profile point 1e10 (the script then failed
  # in uniroot). Near the limits the profile optimum is interior (cor -0.26 in the ROM-like
  # set), so the limits are unchanged; a profile without a finite deviance stops the script.
  lower <- c(-0.99, 0, 1e-8)
  upper <- c(0.99, Inf, Inf)
  scale <- c(1, phi[np], phi[np])
  start <- phi[-1]
  profile_dev <- function(icc) {
    f <- function(u) {
      v <- tryCatch(dd(to_phi(icc, u * scale)), error = function(e) Inf)
      if (is.finite(v)) v else 1e10
    }
    res <- optim(start / scale, f, method = "L-BFGS-B", lower = lower / scale,
                 upper = upper / scale, control = list(factr = 10, pgtol = 0, maxit = 1000))
    if (res$value >= 1e10) stop(sprintf("ICC profile at %.4f: no finite deviance found", icc))
    res$value
  }
  crit <- qnorm(0.5 + level / 2)^2
  excess <- function(icc) profile_dev(icc) - base - crit
  low <- uniroot(excess, c(icc_hat * 0.05, icc_hat), tol = 1e-10)$root
  high <- uniroot(excess, c(icc_hat, icc_hat + 0.6 * (1 - icc_hat)), tol = 1e-10)$root
  c(low, high)
}

reference_rows <- function(fit, factors, block = NULL) {
  co <- summary(fit)$coefficients
  terms <- project_names(rownames(co), factors)
  rows <- rbind(
    data.frame(quantity = "satterthwaite_df", term = terms, value = co[, "df"]),
    data.frame(quantity = "t_value", term = terms, value = co[, "t value"]),
    data.frame(quantity = "p_value", term = terms, value = co[, "Pr(>|t|)"])
  )
  if (!is.null(block)) {
    L <- matrix(0, nrow = length(block), ncol = nrow(co))
    for (i in seq_along(block)) L[i, match(block[i], rownames(co))] <- 1
    ct <- contest(fit, L, ddf = "Satterthwaite")
    rows <- rbind(rows, data.frame(
      quantity = c("f_value", "f_num_df", "f_den_df", "f_p_value"),
      term = "comorbidity_x_time",
      value = c(ct[["F value"]], ct[["NumDF"]], ct[["DenDF"]], ct[["Pr(>F)"]])
    ))
  }
  ci <- confint(fit, parm = "theta_", method = "profile", oldNames = FALSE, level = 0.95,
                quiet = TRUE)
  names_ci <- profile_names(rownames(ci))
  icc <- icc_profile(fit)
  rbind(
    rows,
    data.frame(quantity = "profile_low", term = names_ci, value = ci[, 1]),
    data.frame(quantity = "profile_high", term = names_ci, value = ci[, 2]),
    data.frame(quantity = c("icc_profile_low", "icc_profile_high"), term = "icc", value = icc)
  )
}

write_reference <- function(rows, file) {
  rows$value <- sprintf("%.15g", rows$value)
  write.csv(rows, file.path(out_dir, file), row.names = FALSE)
}

sleep <- read.csv(file.path(here, "sleepstudy.csv"), stringsAsFactors = FALSE)
sleep_fit <- lmerTest::lmer(Reaction ~ Days + (Days | Subject), data = sleep, REML = TRUE,
                            control = control)
write_reference(reference_rows(sleep_fit, list()), "lmertest_sleepstudy.csv")

rom <- read.csv(file.path(here, "rom_like.csv"), stringsAsFactors = FALSE)
factors <- list(
  sex = c("f", setdiff(sort(unique(rom$sex)), "f")),
  diagnosis = c("ssd", setdiff(sort(unique(rom$diagnosis)), "ssd"))
)
rom$sex <- factor(rom$sex, levels = factors$sex)
rom$diagnosis <- factor(rom$diagnosis, levels = factors$diagnosis)
rom_fit <- lmerTest::lmer(
  ssd12_total ~ years * (comorbid_asd + comorbid_ptsd + comorbid_depression) +
    age_at_start + sex + diagnosis + (years | trajectory_key),
  data = rom, REML = TRUE, control = control
)
block <- c("years:comorbid_asd", "years:comorbid_ptsd", "years:comorbid_depression")
write_reference(reference_rows(rom_fit, factors, block), "lmertest_rom_like.csv")
