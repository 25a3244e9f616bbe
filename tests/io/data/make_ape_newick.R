# How R's ape reads the Newick gexclust writes for samples with awkward names.
# Run from this folder: Rscript make_ape_newick.R   (R 4.2.2, ape 5.7; under a second)
# Reads newick_awkward.nwk (written by io.write_newick: python -m tests.io.newick_awkward)
# and writes
#   ape_newick_tips.csv      one row per tip, in ape's tip order (the file's leaf order):
#                            the label as read.tree gives it (empty when NA), whether it is
#                            NA, then the cophenetic distance to every tip (one column each)
#   ape_newick_nodes.csv     one row per internal node: its label and its tips (1-based
#                            positions in ape's tip order, ';'-joined)
#   ape_newick_meta.txt      is.ultrametric, the root height of as.hclust
suppressMessages(library(ape))
tree <- read.tree("newick_awkward.nwk")
# by position: cophenetic() indexes by label, which NA or repeated labels would mix up
coph <- unname(dist.nodes(tree)[seq_along(tree$tip.label), seq_along(tree$tip.label)])
tips <- data.frame(label = ifelse(is.na(tree$tip.label), "", tree$tip.label),
                   is_na = is.na(tree$tip.label))
tips <- cbind(tips, setNames(as.data.frame(coph), sprintf("d%d", seq_along(tree$tip.label))))
write.csv(tips, "ape_newick_tips.csv", row.names = FALSE, fileEncoding = "UTF-8")
parts <- prop.part(tree)
nodes <- data.frame(label = tree$node.label,
                    tips = vapply(parts, function(p) paste(sort(p), collapse = ";"), ""))
write.csv(nodes, "ape_newick_nodes.csv", row.names = FALSE, fileEncoding = "UTF-8")
writeLines(c(sprintf("is_ultrametric=%s", is.ultrametric(tree)),
             sprintf("hclust_root_height=%.6f", max(as.hclust(tree)$height)),
             sprintf("ape=%s", packageVersion("ape"))), "ape_newick_meta.txt")
