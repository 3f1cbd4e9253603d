// Package scale is a subpackage of the test plugin.
package scale

import "example.com/mathx"

// Factor is the loss scale.
func Factor() float32 { return mathx.Square(3) }
