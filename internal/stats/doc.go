// Package stats turns the samples of one scenario group into a Summary a
// platform team can defend: the median with its exact order-statistic
// interval and the mean with Student's, the overhead against the node-node
// baseline as one family (Hodges–Lehmann estimate, Moses interval,
// Mann-Whitney test; an equivalence test and the minimum detectable effect),
// the physical floor of the path (its header tax, or its smaller MTU), and
// warnings when the data cannot carry the claim. AdjustFamily applies Holm's
// correction over a run's table; CompareRuns measures a group across several
// runs per side with a hierarchical bootstrap. docs/statistics.md documents
// every method and quotes the simulation tests that measure them.
//
// Everything is reproducible: the bootstrap draws from a PCG generator seeded
// from Config.Seed and the group's key, so the same samples always give the
// same intervals.
package stats
