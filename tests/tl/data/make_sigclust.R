# R's SigClust (Liu, Hayes, Nobel & Marron 2008) on the small two-group and one-cloud sets of
# sigclust_data.py, as a point of comparison for tl.choose_k's test of structure.
# Run from this folder: python sigclust_data.py DIR && Rscript make_sigclust.R DIR
# (R 4.2.2, sigclust 1.1.0.1; about a minute). Writes sigclust.csv: one row per set and
# covariance estimate (icovest 1 = soft-thresholded background, SigClust's default;
# 2 = the sample covariance; 3 = hard-thresholded), with the p-value of the 2-means split
# (SigClust's own clustering, 5 starts) and of the ward cut at k = 2 (labels given), each
# empirical over 1,000 simulated Gaussian clouds and from its normal fit.
suppressMessages(library(sigclust))
folder <- commandArgs(trailingOnly = TRUE)[1]
files <- sort(list.files(folder, pattern = "^sigclust_.*[.]csv$", full.names = TRUE))
rows <- list()
for (file in files) {
  frame <- read.csv(file, row.names = 1, check.names = FALSE)
  cut <- frame$cut
  x <- as.matrix(frame[, -1])
  name <- sub("^sigclust_(.*)[.]csv$", "\\1", basename(file))
  for (icovest in 1:3) {
    set.seed(20261128)
    own <- sigclust(x, nsim = 1000, nrep = 5, icovest = icovest)
    set.seed(20261128)
    ward <- sigclust(x, nsim = 1000, labflag = 1, label = cut, icovest = icovest)
    rows[[length(rows) + 1]] <- data.frame(
      dataset = name, icovest = icovest,
      p_2means = own@pval, p_2means_normal = signif(own@pvalnorm, 4),
      p_ward = ward@pval, p_ward_normal = signif(ward@pvalnorm, 4))
  }
}
write.csv(do.call(rbind, rows), "sigclust.csv", row.names = FALSE)
