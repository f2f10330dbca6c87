//go:build race

package scenarios

// raceEnabled is true in a build with the race detector, which slows the bundled
// integrator several times over.
const raceEnabled = true
