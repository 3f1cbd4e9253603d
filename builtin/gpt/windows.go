package gpt

// ByteWindows cuts text into next-byte prediction examples for a
// byte-level model (vocabulary 256): windows of seqLen input bytes, each
// with the following byte as its target. Windows do not overlap, except
// the last, which ends at the end of the text so that every byte but the
// first is a target once. It returns the ids and targets (batch·seqLen
// each) and the number of windows, batch; a text shorter than seqLen+1
// bytes gives none.
func ByteWindows(text []byte, seqLen int) (ids, targets []int, batch int) {
	if seqLen <= 0 || len(text) < seqLen+1 {
		return nil, nil, 0
	}
	add := func(s int) {
		for i := 0; i < seqLen; i++ {
			ids = append(ids, int(text[s+i]))
			targets = append(targets, int(text[s+i+1]))
		}
		batch++
	}
	s := 0
	for ; s+seqLen+1 <= len(text); s += seqLen {
		add(s)
	}
	if s+1 < len(text) {
		add(len(text) - seqLen - 1)
	}
	return ids, targets, batch
}
