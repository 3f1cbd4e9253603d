//go:build race

package glove

// raceEnabled skips the Hogwild training runs, whose races are by design.
const raceEnabled = true
