//go:build !purego

package transfer

const pureGo = false
