package tokenizer

func (b *BPE) Save(path string) error { return nil }
