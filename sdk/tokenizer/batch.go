package tokenizer

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// encodeBatch encodes texts on GOMAXPROCS goroutines that take texts in
// small chunks from a shared counter, so uneven lengths balance.
func encodeBatch(t Tokenizer, texts []string) [][]int {
	out := make([][]int, len(texts))
	workers := runtime.GOMAXPROCS(0)
	if workers > len(texts) {
		workers = len(texts)
	}
	if workers <= 1 {
		for i, s := range texts {
			out[i] = t.Encode(s)
		}
		return out
	}
	const chunk = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(texts) {
					return
				}
				hi := lo + chunk
				if hi > len(texts) {
					hi = len(texts)
				}
				for i := lo; i < hi; i++ {
					out[i] = t.Encode(texts[i])
				}
			}
		}()
	}
	wg.Wait()
	return out
}
