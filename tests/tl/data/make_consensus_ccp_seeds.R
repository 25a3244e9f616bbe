# Seed-to-seed reference for gexclust.tl.consensus: ConsensusClusterPlus (Bioconductor 1.62.0)
# as in make_consensus_ccp.R (hc, average inner and final linkage, pearson, pItem 0.8,
# 200 resamples, k = 2..8) on the same two simulated sets, once per seed 1..10, so that a test
# can compare mean PAC curves to their standard errors instead of one run to another.
# Run from this folder (after make_dynamic_cut.R): Rscript make_consensus_ccp_seeds.R
# Writes consensus_ccp_seeds.csv: dataset, seed, k, PAC (share of pairs in (0.1, 0.9]).
suppressMessages(library(ConsensusClusterPlus))
rows <- list()
for (name in c("planted", "noise")) {
  x <- as.matrix(read.csv(sprintf("dynamic_data_%s.csv", name), row.names = 1))
  for (s in 1:10) {
    pdf(NULL)
    res <- suppressMessages(ConsensusClusterPlus(
      t(x), maxK = 8, reps = 200, pItem = 0.8, pFeature = 1, clusterAlg = "hc",
      innerLinkage = "average", finalLinkage = "average", distance = "pearson", seed = s,
      verbose = FALSE))
    dev.off()
    for (k in 2:8) {
      m <- res[[k]]$consensusMatrix
      f <- ecdf(m[lower.tri(m)])
      rows[[length(rows) + 1]] <- data.frame(dataset = name, seed = s, k = k,
                                             pac = f(0.9) - f(0.1))
    }
  }
}
write.csv(do.call(rbind, rows), "consensus_ccp_seeds.csv", row.names = FALSE)
