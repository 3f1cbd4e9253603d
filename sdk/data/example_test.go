package data_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/data"
)

// A toy tokenizer: one id per word, from a growing vocabulary.
func toyEncoder() data.EncodeFunc {
	vocab := map[string]int{}
	return func(s string) []int {
		var ids []int
		for _, w := range strings.Fields(strings.ToLower(s)) {
			id, ok := vocab[w]
			if !ok {
				id = 10 + len(vocab)
				vocab[w] = id
			}
			ids = append(ids, id)
		}
		return ids
	}
}

func ExampleLoader() {
	text := "It is a truth universally acknowledged\n\nthat a single man in possession of a good fortune\n\nmust be in want of a wife\n"
	corpus := data.NewCorpus([]data.Source{data.StringSource("austen.txt", text)}, data.CorpusOptions{Mode: data.Documents})
	mlm, _ := data.NewMLMCollator(data.DefaultMLMConfig(100, 3, 0))
	loader, err := data.NewLoader(context.Background(), data.LoaderConfig{
		Corpus: corpus, Encode: toyEncoder(), Collator: mlm,
		BatchSize: 2, Epochs: 2, Seed: 1, ShuffleBuffer: 8, Prefetch: 2,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer loader.Close()
	for {
		b, err := loader.Next()
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(b.Epoch, b.Step, b.Size, b.SeqLen)
	}
	// Output:
	// 0 0 2 7
	// 0 1 1 10
	// 1 0 2 10
	// 1 1 1 6
	// EOF
}

func ExampleCorpus_Open() {
	c := data.NewCorpus([]data.Source{data.StringSource("bad.txt", "fine\nnot \xff fine\n")}, data.CorpusOptions{})
	err := c.Scan(context.Background(), func(r data.Record) error {
		fmt.Println(r)
		return nil
	})
	fmt.Println(err)
	// Output:
	// Record{#0 bad.txt:1 "fine"}
	// bad.txt:2: invalid UTF-8 at column 5 (byte 0xff) (byte 9)
}
