# Reference values for gexclust.tl.bootstrap: pvclust on its own lung data.
# Run from this folder: Rscript make_pvclust_lung.R   (R 4.2.2, pvclust 2.2-0; about 7 min)
# Writes pvclust_lung.csv: one row per pvclust edge (= merge of R's hclust), with the
# members (sample names made syntactic, as in ../../shared lung_pvclust.csv.gz), AU/BP/SI,
# their standard errors, the fitted v and c, and the raw bootstrap counts per scale.
suppressMessages(library(pvclust))
data(lung)
genes <- lung[complete.cases(lung), ]          # the 250 genes without missing values
stopifnot(nrow(genes) == 250, ncol(genes) == 73)
elapsed <- system.time(
  fit <- pvclust(genes, method.hclust = "average", method.dist = "correlation",
                 nboot = 1000, parallel = FALSE, iseed = 20261126, quiet = TRUE)
)[["elapsed"]]
members <- pvclust:::hc2split(fit$hclust)$member
names_syn <- make.names(colnames(genes))
out <- data.frame(
  edge = seq_len(nrow(fit$edges)),
  members = vapply(members, function(m) paste(names_syn[m], collapse = ";"), ""),
  fit$edges[, c("au", "bp", "si", "se.au", "se.bp", "se.si", "v", "c", "pchi")],
  fit$count,
  check.names = FALSE
)
write.csv(out, "pvclust_lung.csv", row.names = FALSE, quote = TRUE)
writeLines(c(sprintf("r=%s", paste(fit$r, collapse = ",")),
             sprintf("nboot=%d", fit$nboot[1]),
             sprintf("elapsed_s=%.1f", elapsed)), "pvclust_lung_meta.txt")
