# Reference partitions for the cutreeDynamic options make_dynamic_cut.R leaves at their
# defaults: a given cutHeight (hybrid and tree, below, at and above the highest merge; one
# too low for any cluster), a logical deepSplit for the hybrid cut, and cutreeHybrid's
# pamStage / pamRespectsDendro / respectSmallClusters switches. Above the highest merge, cutreeDynamic
# passes the cutHeight as given on to the PAM stage as maxPamDist (cutreeHybrid alone would
# use the clipped one): single linkage on the lung data shows it.
# Run from this folder after make_dynamic_cut.R: Rscript make_dynamic_cut_edges.R
# (R 4.2.2, dynamicTreeCut 1.63-1; seconds). Writes dynamic_cut_edges.csv: one row per
# dataset x tree x call, the cut height as R saw it (17 significant digits, or the fraction
# of the highest merge it was made from), and the labels in sample order (0 = unassigned).
suppressMessages(library(dynamicTreeCut))
suppressMessages(library(pvclust))
data(lung)
sets <- list(
  planted = as.matrix(read.csv("dynamic_data_planted.csv", row.names = 1)),
  noise = as.matrix(read.csv("dynamic_data_noise.csv", row.names = 1)),
  lung = t(as.matrix(lung[complete.cases(lung), ]))
)
trees <- list(c("average", "correlation"), c("complete", "euclidean"), c("single", "correlation"))
rows <- list()
add <- function(name, tr, variant, call, fraction, cut, ds, mcs, lab) {
  rows[[length(rows) + 1]] <<- data.frame(
    dataset = name, method = tr[1], metric = tr[2], variant = variant, call = call,
    fraction = fraction, cut_height = if (is.null(cut)) NA else sprintf("%.17g", cut),
    deep_split = ds, min_cluster_size = mcs, labels = paste(lab, collapse = ";"))
}
for (name in names(sets)) {
  x <- sets[[name]]
  for (tr in trees) {
    d <- if (tr[2] == "correlation") as.dist(1 - cor(t(x))) else dist(x)
    h <- hclust(d, method = tr[1])
    dm <- as.matrix(d)
    top <- max(h$height)
    for (fraction in c(0.5, 0.8, 0.95, 1.3)) {
      cut <- fraction * top
      for (mcs in c(3, 5)) {
        for (ds in list(FALSE, TRUE, 2)) {
          lab <- cutreeDynamic(h, cutHeight = cut, distM = dm, method = "hybrid",
                               deepSplit = ds, minClusterSize = mcs, verbose = 0)
          add(name, tr, "hybrid", "cutreeDynamic", fraction, cut, as.character(ds), mcs, lab)
        }
        for (ds in c(FALSE, TRUE)) {
          lab <- cutreeDynamic(h, cutHeight = cut, method = "tree", deepSplit = ds,
                               minClusterSize = mcs, verbose = 0)
          add(name, tr, "tree", "cutreeDynamic", fraction, cut, as.character(ds), mcs, lab)
        }
      }
    }
    # a cut below all but a few merges: fewer merges under it than minClusterSize
    cut <- h$height[3]
    lab <- cutreeDynamic(h, cutHeight = cut, distM = dm, method = "hybrid",
                         minClusterSize = 5, verbose = 0)
    add(name, tr, "hybrid", "cutreeDynamic", NA, cut, "1", 5, lab)
    # no static cluster as large as minClusterSize: the tree variant labels nothing
    mcs <- nrow(x) - 1
    lab <- suppressWarnings(capture.output(
      res <- cutreeDynamic(h, method = "tree", minClusterSize = mcs, verbose = 0)))
    add(name, tr, "tree", "cutreeDynamic", NA, NULL, "FALSE", mcs, res)
    # cutreeHybrid's switches (default cutHeight)
    for (mcs in c(3, 5)) {
      for (ds in c(0, 2)) {
        for (sw in c("pamStage=FALSE", "pamRespectsDendro=FALSE",
                     "respectSmallClusters=FALSE",
                     "pamRespectsDendro=FALSE,respectSmallClusters=FALSE")) {
          args <- list(dendro = h, distM = dm, deepSplit = ds, minClusterSize = mcs,
                       verbose = 0)
          for (kv in strsplit(sw, ",")[[1]]) {
            kv <- strsplit(kv, "=")[[1]]
            args[[kv[1]]] <- as.logical(kv[2])
          }
          lab <- suppressWarnings(capture.output(res <- do.call(cutreeHybrid, args)))
          add(name, tr, "hybrid", sw, NA, NULL, as.character(ds), mcs, res$labels)
        }
      }
    }
  }
}
write.csv(do.call(rbind, rows), "dynamic_cut_edges.csv", row.names = FALSE)
