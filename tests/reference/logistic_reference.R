# Reference values for the maximum-likelihood logistic model (pipeline/models/prediction/
# logistic.py): R's glm(binomial) on logistic_set.csv (logistic_make_set.py, fixed seed).
# Writes logistic_r_reference.csv: per term (project naming: sex[T.m], diagnosis[T.fnd]) the
# estimate (log odds), its standard error, the Wald interval (confint.default, 95%) and the
# z-test p-value, as summary(glm) prints them. Run by `make r-reference-logistic`; never edit
# the output by hand.
args <- commandArgs(trailingOnly = TRUE)
script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
here <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg))) else "."
out_dir <- if (length(args) >= 1) args[[1]] else here

data <- read.csv(file.path(here, "logistic_set.csv"), stringsAsFactors = FALSE)
data$sex <- factor(data$sex, levels = c("f", "m"))
data$diagnosis <- factor(data$diagnosis, levels = c("ssd", "fnd", "other"))
fit <- glm(event ~ age_at_start + sex + diagnosis + comorbid_asd + comorbid_ptsd +
             ssd12_total_intake, family = binomial(), data = data,
           control = glm.control(epsilon = 1e-14, maxit = 100))
table <- summary(fit)$coefficients
wald <- confint.default(fit, level = 0.95)
term <- rownames(table)
term <- sub("^\\(Intercept\\)$", "Intercept", term)
term <- sub("^sex(.*)$", "sex[T.\\1]", term)
term <- sub("^diagnosis(.*)$", "diagnosis[T.\\1]", term)
out <- data.frame(
  term = term,
  estimate = sprintf("%.17g", table[, "Estimate"]),
  std_error = sprintf("%.17g", table[, "Std. Error"]),
  ci_low = sprintf("%.17g", wald[, 1]),
  ci_high = sprintf("%.17g", wald[, 2]),
  p_value = sprintf("%.17g", table[, "Pr(>|z|)"])
)
write.csv(out, file.path(out_dir, "logistic_r_reference.csv"), row.names = FALSE, quote = FALSE)
writeLines(paste("R", getRversion()), file.path(out_dir, "logistic_r_version.txt"))
