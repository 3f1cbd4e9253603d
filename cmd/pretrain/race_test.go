//go:build race

package main

// raceEnabled is set in race-detector builds: its shadow memory breaks
// RLIMIT_AS, so tests of isolated children with memory limits skip.
const raceEnabled = true
