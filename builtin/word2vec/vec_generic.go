//go:build !amd64 || purego

package word2vec

const useAVX2 = false

func dot(a, b []float32) float32         { return dotGo(a, b) }
func axpy(alpha float32, x, y []float32) { axpyGo(alpha, x, y) }
func dual(g float32, w, h, e []float32)  { dualGo(g, w, h, e) }

const useAVX512 = false

func negAVX512(h, e, syn1 *float32, targets *int32, n, chunks int, alpha float32, tab *float32) {
	panic("word2vec: negAVX512 without AVX-512")
}

func meanAVX512(dst, syn0 *float32, rows *int32, n, chunks int, inv float32) {
	panic("word2vec: meanAVX512 without AVX-512")
}

func addRowsAVX512(e, syn0 *float32, rows *int32, n, chunks int) {
	panic("word2vec: addRowsAVX512 without AVX-512")
}

const maxResChunks = 0

func negRes(chunks int, h, e, syn1 *float32, targets *int32, n int, alpha float32, tab *float32, addH int) {
	panic("word2vec: negRes without AVX-512")
}
