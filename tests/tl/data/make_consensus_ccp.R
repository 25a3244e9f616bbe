# Reference values for gexclust.tl.consensus: ConsensusClusterPlus (Bioconductor 1.62.0) with
# its hierarchical defaults (hc, average inner and final linkage, pearson, pItem 0.8), 200
# resamples, k = 2..8, on the simulated sets of make_dynamic_cut.R (run that first).
# Run from this folder: Rscript make_consensus_ccp.R
# Writes consensus_ccp.csv: dataset, k, PAC (share of pairs with consensus in (0.1, 0.9]),
# the area under the CDF and its relative change (delta), as ConsensusClusterPlus's CDF().
suppressMessages(library(ConsensusClusterPlus))
rows <- list()
for (name in c("planted", "noise")) {
  x <- as.matrix(read.csv(sprintf("dynamic_data_%s.csv", name), row.names = 1))
  pdf(NULL)
  res <- ConsensusClusterPlus(t(x), maxK = 8, reps = 200, pItem = 0.8, pFeature = 1,
                              clusterAlg = "hc", innerLinkage = "average",
                              finalLinkage = "average", distance = "pearson", seed = 1)
  dev.off()
  area <- c()
  for (k in 2:8) {
    m <- res[[k]]$consensusMatrix
    v <- m[lower.tri(m)]
    f <- ecdf(v)
    h <- hist(v, plot = FALSE, breaks = seq(0, 1, by = 0.01))
    area <- c(area, sum(cumsum(h$counts) / sum(h$counts) * 0.01))
    rows[[length(rows) + 1]] <- data.frame(dataset = name, k = k, pac = f(0.9) - f(0.1),
                                           area = area[length(area)])
  }
}
out <- do.call(rbind, rows)
out$delta <- ave(out$area, out$dataset, FUN = function(a) c(a[1], diff(a) / head(a, -1)))
write.csv(out, "consensus_ccp.csv", row.names = FALSE)
