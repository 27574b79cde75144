//go:build race

package engine

// raceDetector is true in a -race build: the soak and load tests, which
// measure resources and goodput, skip there (the detector's own memory and
// slowdown are not the engine's).
const raceDetector = true
