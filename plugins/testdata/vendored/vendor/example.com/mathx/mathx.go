// Package mathx is a vendored dependency of the test plugin.
package mathx

// Square returns x*x.
func Square(x float32) float32 { return x * x }
