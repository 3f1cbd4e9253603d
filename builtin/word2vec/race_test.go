//go:build race

package word2vec

// raceEnabled skips the Hogwild training runs, whose races are by design.
const raceEnabled = true
