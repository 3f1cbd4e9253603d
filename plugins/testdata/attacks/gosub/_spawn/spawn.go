// Package spawn hides a go statement in a folder that Go tooling skips.
package spawn

// Start panics in a goroutine, which would end the host.
func Start() {
	go func() { panic("boom from a go statement in a skipped folder") }()
}
