//go:build race

package word2vec

// raceEnabled is set in race-detector builds. Training then runs one
// thread: Hogwild's unsynchronised updates are races by design, and a
// program that merely calls Train must stay clean under -race.
const raceEnabled = true
