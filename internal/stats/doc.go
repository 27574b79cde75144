// Package stats turns the samples of one scenario group into a Summary a
// platform team can defend: median and mean with 95% confidence intervals,
// the overhead against the node-node baseline with its own interval and a
// Mann-Whitney significance test, the physical floor of the path (its header
// tax, or its smaller MTU), and warnings when the data cannot carry the
// claim. Compare does the same for one group measured in two runs.
// docs/statistics.md documents every method.
//
// Everything is reproducible: the bootstrap draws from a PCG generator seeded
// from Config.Seed and the group's key, so the same samples always give the
// same intervals.
package stats
