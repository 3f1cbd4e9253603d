//go:build !amd64 || purego

package glove

const useAVX2 = false

func dot(a, b []float32) float32                 { return dotGo(a, b) }
func update(f float32, wi, wj, gi, gj []float32) { updateGo(f, wi, wj, gi, gj) }
