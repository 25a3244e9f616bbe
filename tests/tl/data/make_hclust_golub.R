# Reference trees for gexclust.tl.hclust: R's hclust on Golub's leukemia arrays (real data).
# Run from this folder: Rscript make_hclust_golub.R [path of golub_multtest.csv.gz]
# (default ../../../../shared/data/real/golub_multtest.csv.gz; R 4.2.2, stats only; < 1 s)
# Writes hclust_golub.csv.gz: for each tree (of the 38 samples, or of the 3,051 genes), R's merge
# matrix and heights (R's conventions: -i is row i of the data, j > 0 the j-th merge), from
# which the test compares the clusters each merge makes, whatever order another program uses.
args <- commandArgs(trailingOnly = TRUE)
path <- if (length(args)) args[1] else "../../../../shared/data/real/golub_multtest.csv.gz"
golub <- read.csv(gzfile(path), check.names = FALSE)
x <- as.matrix(golub[, -(1:2)])
rownames(x) <- golub$samples
stopifnot(nrow(x) == 38, ncol(x) == 3051, !anyNA(x))

trees <- list(
  # scipy's method and metric names, R's call
  c("ward", "euclidean"), c("average", "correlation"), c("complete", "euclidean"),
  c("single", "cityblock"), c("weighted", "euclidean"), c("average", "cosine"),
  c("average", "spearman"), c("average", "correlation", "var"), c("ward", "euclidean", "var")
)
rows <- lapply(trees, function(tm) {
  axis <- if (length(tm) == 3) tm[3] else "obs"
  x <- if (axis == "var") t(x) else x
  d <- switch(tm[2],
    euclidean = dist(x),
    cityblock = dist(x, method = "manhattan"),
    correlation = as.dist(1 - cor(t(x))),
    spearman = as.dist(1 - cor(t(x), method = "spearman")),
    cosine = as.dist(1 - tcrossprod(x / sqrt(rowSums(x^2))))
  )
  r_method <- c(ward = "ward.D2", average = "average", complete = "complete",
                single = "single", weighted = "mcquitty")[[tm[1]]]
  tree <- hclust(d, method = r_method)
  data.frame(method = tm[1], metric = tm[2], axis = axis, left = tree$merge[, 1],
             right = tree$merge[, 2], height = sprintf("%.15g", tree$height))
})
write.csv(do.call(rbind, rows), gzfile("hclust_golub.csv.gz"), row.names = FALSE, quote = FALSE)
