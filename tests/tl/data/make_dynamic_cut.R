# Reference partitions for gexclust.tl.cut(method='dynamic'): dynamicTreeCut::cutreeDynamic.
# Run from this folder: Rscript make_dynamic_cut.R   (R 4.2.2, dynamicTreeCut 1.63-1; seconds)
# Writes dynamic_data_<name>.csv (samples x genes, the exact values clustered) for the
# simulated sets, and dynamic_cut.csv: one row per dataset x tree x variant x parameters, with
# R's hclust leaf order and cutreeDynamic's labels (0 = unassigned), in sample order.
suppressMessages(library(dynamicTreeCut))
set.seed(20261126)
planted <- function() {
  sizes <- c(20, 15, 10, 8, 7)
  x <- matrix(rnorm(sum(sizes) * 100), nrow = sum(sizes))
  group <- rep(seq_along(sizes), sizes)
  for (g in seq_along(sizes)) x[group == g, (12 * g - 11):(12 * g)] <-
    x[group == g, (12 * g - 11):(12 * g)] + 1.5
  x <- x[sample(nrow(x)), ]
  round(x, 4)
}
sets <- list(planted = planted(), noise = round(matrix(rnorm(40 * 50), nrow = 40), 4))
for (name in names(sets)) {
  x <- sets[[name]]
  rownames(x) <- sprintf("s%02d", seq_len(nrow(x)))
  colnames(x) <- sprintf("g%03d", seq_len(ncol(x)))
  sets[[name]] <- x
  write.csv(x, sprintf("dynamic_data_%s.csv", name), quote = FALSE)
}
# pvclust's lung data: the 250 genes without missing values, samples as rows
suppressMessages(library(pvclust))
data(lung)
sets$lung <- t(as.matrix(lung[complete.cases(lung), ]))

trees <- list(
  c("average", "correlation"), c("complete", "euclidean"), c("ward.D2", "euclidean")
)
rows <- list()
for (name in names(sets)) {
  x <- sets[[name]]
  for (tr in trees) {
    d <- if (tr[2] == "correlation") as.dist(1 - cor(t(x))) else dist(x)
    h <- hclust(d, method = tr[1])
    dm <- as.matrix(d)
    for (mcs in c(3, 5, 8)) {
      for (ds in c(0, 1, 2, 4)) {
        lab <- cutreeDynamic(h, distM = dm, method = "hybrid", deepSplit = ds,
                             minClusterSize = mcs, verbose = 0)
        rows[[length(rows) + 1]] <- data.frame(
          dataset = name, method = tr[1], metric = tr[2], variant = "hybrid",
          deep_split = ds, min_cluster_size = mcs,
          order = paste(h$order, collapse = ";"), labels = paste(lab, collapse = ";"))
      }
      for (ds in c(FALSE, TRUE)) {
        lab <- cutreeDynamic(h, method = "tree", deepSplit = ds, minClusterSize = mcs,
                             verbose = 0)
        rows[[length(rows) + 1]] <- data.frame(
          dataset = name, method = tr[1], metric = tr[2], variant = "tree",
          deep_split = as.integer(ds), min_cluster_size = mcs,
          order = paste(h$order, collapse = ";"), labels = paste(lab, collapse = ";"))
      }
    }
  }
}
write.csv(do.call(rbind, rows), "dynamic_cut.csv", row.names = FALSE)
