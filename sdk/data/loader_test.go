package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// encodeDigits is a toy tokenizer: each whitespace field parsed as an int.
func encodeDigits(s string) []int {
	var ids []int
	for _, f := range strings.Fields(s) {
		n, _ := strconv.Atoi(f)
		ids = append(ids, n)
	}
	return ids
}

func numberedCorpus(n, width int) *Corpus {
	var b strings.Builder
	for i := 0; i < n; i++ {
		for j := 0; j < width; j++ {
			fmt.Fprintf(&b, "%d ", 10+(i*width+j)%900)
		}
		b.WriteString("\n")
	}
	return NewCorpus([]Source{StringSource("nums.txt", b.String())}, CorpusOptions{})
}

func drain(t *testing.T, l *Loader) []*Batch {
	t.Helper()
	defer l.Close()
	var out []*Batch
	for {
		b, err := l.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func mlmLoader(t *testing.T, prefetch int, seed uint64) *Loader {
	c, _ := NewMLMCollator(DefaultMLMConfig(1000, 3, 0))
	l, err := NewLoader(context.Background(), LoaderConfig{Corpus: numberedCorpus(100, 16), Encode: encodeDigits,
		Collator: c, BatchSize: 8, Epochs: 3, Seed: seed, ShuffleBuffer: 32, Prefetch: prefetch})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLoaderDeterministicAndEpochs(t *testing.T) {
	a := drain(t, mlmLoader(t, 0, 7))
	b := drain(t, mlmLoader(t, 4, 7))
	c := drain(t, mlmLoader(t, 2, 8))
	// 100 records in batches of 8: 13 batches (last of 4) per epoch.
	if len(a) != 39 || a[12].Size != 4 || a[13].Epoch != 1 || a[13].Step != 0 || a[38].Epoch != 2 {
		t.Fatalf("%d batches; a[12]=%v a[13]=%v", len(a), a[12], a[13])
	}
	for i := range a {
		if !slices.Equal(a[i].InputIDs, b[i].InputIDs) || !slices.Equal(a[i].Labels, b[i].Labels) {
			t.Fatalf("batch %d differs with prefetch", i)
		}
	}
	if slices.Equal(a[0].Labels, c[0].Labels) {
		t.Error("different seeds gave the same first batch")
	}
	// Each epoch sees every record once, in a different order, with
	// different masks for the same record.
	rowsByEpoch := make([]map[string][]int, 3)
	for e := range rowsByEpoch {
		rowsByEpoch[e] = map[string][]int{}
	}
	for _, bt := range a {
		for r := 0; r < bt.Size; r++ {
			labels := Row(bt.Labels, bt.SeqLen, r)
			ids := Row(bt.InputIDs, bt.SeqLen, r)
			orig := make([]int, len(ids))
			for j := range ids {
				orig[j] = ids[j]
				if labels[j] != IgnoreIndex {
					orig[j] = labels[j]
				}
			}
			key := fmt.Sprint(orig)
			if _, dup := rowsByEpoch[bt.Epoch][key]; dup {
				t.Fatalf("epoch %d: record seen twice", bt.Epoch)
			}
			rowsByEpoch[bt.Epoch][key] = slices.Clone(labels)
		}
	}
	same := 0
	for key, l0 := range rowsByEpoch[0] {
		l1, ok := rowsByEpoch[1][key]
		if !ok {
			t.Fatal("record missing from epoch 1")
		}
		if slices.Equal(l0, l1) {
			same++
		}
	}
	if len(rowsByEpoch[0]) != 100 || same > 5 {
		t.Errorf("%d records; %d of them masked identically in epochs 0 and 1", len(rowsByEpoch[0]), same)
	}
	if fmt.Sprint(a[0].InputIDs) == fmt.Sprint(a[13].InputIDs) {
		t.Error("epochs 0 and 1 start with the same batch: no reshuffle")
	}
}

func TestLoaderPackingShardDropLast(t *testing.T) {
	var all []int
	for w := 0; w < 2; w++ {
		l, err := NewLoader(context.Background(), LoaderConfig{Corpus: numberedCorpus(10, 5), Encode: encodeDigits,
			BatchSize: 2, PackLen: 4, PackSep: 1, DropLast: true, Shard: ShardSpec{Worker: w, Workers: 2}})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range drain(t, l) {
			if b.SeqLen != 4 || b.Size != 2 || sum(b.AttentionMask) != 8 {
				t.Fatalf("packed batch %v", b)
			}
			all = append(all, b.InputIDs...)
		}
	}
	// Each worker packs 5 records * 6 ids = 30 ids: 7 full rows, 3 full
	// batches (the 7th row and the tail are dropped).
	if len(all) != 2*3*2*4 || count(all, 1) != 2*4 {
		t.Fatalf("%d ids, %d separators: %v", len(all), count(all, 1), all)
	}
}

func TestLoaderErrors(t *testing.T) {
	bad := NewCorpus([]Source{StringSource("ok.txt", "1 2\n3 4\n"), BytesSource("bad.txt", []byte("5\n\xff\n"))}, CorpusOptions{})
	for _, pf := range []int{0, 2} {
		l, _ := NewLoader(context.Background(), LoaderConfig{Corpus: bad, Encode: encodeDigits, BatchSize: 1, Prefetch: pf})
		var err error
		n := 0
		for err == nil {
			_, err = l.Next()
			n++
		}
		var ie *InputError
		if !errors.As(err, &ie) || ie.File != "bad.txt" || ie.Line != 2 || n != 4 {
			t.Errorf("prefetch %d: err after %d batches = %v", pf, n, err)
		}
		if _, again := l.Next(); again == nil {
			t.Error("Next after an error succeeded")
		}
		l.Close()
	}
	if _, err := NewLoader(context.Background(), LoaderConfig{Encode: encodeDigits, BatchSize: 1}); err == nil {
		t.Error("no corpus accepted")
	}
	if _, err := NewLoader(context.Background(), LoaderConfig{Corpus: bad, Encode: encodeDigits}); err == nil {
		t.Error("zero batch size accepted")
	}
}

// waitGoroutines waits for the goroutine count to come back to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if runtime.NumGoroutine() <= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
}

func TestLoaderNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	// Close in the middle of an endless stream with a full prefetch queue.
	l, _ := NewLoader(context.Background(), LoaderConfig{Corpus: numberedCorpus(50, 4), Encode: encodeDigits,
		BatchSize: 4, Epochs: -1, Prefetch: 3})
	for i := 0; i < 40; i++ {
		if _, err := l.Next(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(10 * time.Millisecond) // let the producer block on a full queue
	l.Close()
	l.Close()
	waitGoroutines(t, before)
	if _, err := l.Next(); err == nil {
		t.Error("Next after Close succeeded")
	}

	// Cancelling the context stops the producer too.
	ctx, cancel := context.WithCancel(context.Background())
	l, _ = NewLoader(ctx, LoaderConfig{Corpus: numberedCorpus(50, 4), Encode: encodeDigits, BatchSize: 4, Epochs: -1, Prefetch: 2})
	l.Next()
	cancel()
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = l.Next()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}
	l.Close()
	waitGoroutines(t, before)

	// A loader drained to the end exits by itself.
	drain(t, mlmLoader(t, 2, 1))
	waitGoroutines(t, before)
}

func TestLoaderOpenFunc(t *testing.T) {
	l, err := NewLoader(context.Background(), LoaderConfig{
		Open: func(ctx context.Context, epoch int) (Reader, error) {
			return TextReader([]string{fmt.Sprint(epoch), "5 6 7"}), nil
		},
		Encode: encodeDigits, BatchSize: 2, Epochs: 2, MaxLen: 2, Collator: &CausalLMCollator{PadID: 0}})
	if err != nil {
		t.Fatal(err)
	}
	bs := drain(t, l)
	if len(bs) != 2 || fmt.Sprint(bs[1].InputIDs) != "[1 0 5 6]" || !strings.Contains(l.String(), "open func") {
		t.Fatalf("%v", bs)
	}
}

func BenchmarkLoaderMLM(b *testing.B) {
	c, _ := NewMLMCollator(DefaultMLMConfig(1000, 3, 0))
	corpus := numberedCorpus(2000, 64)
	for b.Loop() {
		l, _ := NewLoader(context.Background(), LoaderConfig{Corpus: corpus, Encode: encodeDigits,
			Collator: c, BatchSize: 32, ShuffleBuffer: 256, Prefetch: 2})
		for {
			if _, err := l.Next(); err != nil {
				break
			}
		}
		l.Close()
	}
}

func TestLoaderWorkersAndSkip(t *testing.T) {
	c, _ := NewMLMCollator(DefaultMLMConfig(1000, 3, 0))
	cfg := LoaderConfig{Corpus: numberedCorpus(300, 12), Encode: encodeDigits, Collator: c,
		BatchSize: 8, Epochs: 2, Seed: 3, ShuffleBuffer: 50}
	l, _ := NewLoader(context.Background(), cfg)
	want := drain(t, l)
	for _, w := range []int{2, 3} {
		cw := cfg
		cw.Workers = w
		l, err := NewLoader(context.Background(), cw)
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, l)
		if len(got) != len(want) {
			t.Fatalf("workers %d: %d batches, want %d", w, len(got), len(want))
		}
		for i := range got {
			if !slices.Equal(got[i].InputIDs, want[i].InputIDs) || !slices.Equal(got[i].Labels, want[i].Labels) {
				t.Fatalf("workers %d: batch %d differs", w, i)
			}
		}
	}
	// Skipping lands on exactly the batch a full run would give, across
	// the epoch boundary too.
	for _, skip := range []int{5, 40} {
		cs := cfg
		cs.SkipBatches = int64(skip)
		cs.Workers = 2
		l, _ := NewLoader(context.Background(), cs)
		got := drain(t, l)
		if len(got) != len(want)-skip {
			t.Fatalf("skip %d: %d batches, want %d", skip, len(got), len(want)-skip)
		}
		for i := range got {
			w := want[i+skip]
			if !slices.Equal(got[i].Labels, w.Labels) || got[i].Step != w.Step || got[i].Epoch != w.Epoch {
				t.Fatalf("skip %d: batch %d is not batch %d of the full run", skip, i, i+skip)
			}
		}
	}
}

func TestLoaderWorkersShutdown(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		l, _ := NewLoader(context.Background(), LoaderConfig{Corpus: numberedCorpus(500, 8), Encode: encodeDigits,
			BatchSize: 4, Epochs: -1, Workers: 3, Prefetch: 2})
		for j := 0; j < i; j++ {
			if _, err := l.Next(); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
	}
	waitGoroutines(t, before)
	ctx, cancel := context.WithCancel(context.Background())
	l, _ := NewLoader(ctx, LoaderConfig{Corpus: numberedCorpus(500, 8), Encode: encodeDigits, BatchSize: 4, Epochs: -1, Workers: 2})
	l.Next()
	cancel()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = l.Next()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel: %v", err)
	}
	l.Close()
	waitGoroutines(t, before)
}

func TestLoaderExamples(t *testing.T) {
	exs := []Example{
		{Text: "1 2 3", Label: "a", LabelID: 0},
		{Text: "4 5", TextPair: "6", Label: "b", LabelID: 1},
		{Text: "7", Label: "b", LabelID: 1},
	}
	pair := func(a, b string) ([]int, []int) {
		x, y := encodeDigits(a), encodeDigits(b)
		ids := append(append(append([]int{101}, x...), 102), y...)
		types := make([]int, len(ids))
		for i := len(x) + 2; i < len(ids); i++ {
			types[i] = 1
		}
		return ids, types
	}
	l, err := NewLoader(context.Background(), LoaderConfig{Examples: exs, Encode: encodeDigits, EncodePair: pair,
		BatchSize: 3, Collator: &CausalLMCollator{PadID: 0}})
	if err != nil {
		t.Fatal(err)
	}
	bs := drain(t, l)
	if len(bs) != 1 {
		t.Fatalf("%d batches", len(bs))
	}
	b := bs[0]
	if fmt.Sprint(b.RowLabels) != "[0 1 1]" || fmt.Sprint(b.InputIDs) != "[1 2 3 0 0 101 4 5 102 6 7 0 0 0 0]" ||
		fmt.Sprint(b.TokenTypeIDs) != "[0 0 0 0 0 0 0 0 0 1 0 0 0 0 0]" {
		t.Fatalf("%v: ids %v labels %v types %v", b, b.InputIDs, b.RowLabels, b.TokenTypeIDs)
	}
	l, _ = NewLoader(context.Background(), LoaderConfig{Examples: exs, Encode: encodeDigits, BatchSize: 3})
	if _, err := l.Next(); err == nil || !strings.Contains(err.Error(), "EncodePair is nil") {
		t.Errorf("pair without EncodePair: %v", err)
	}
	l.Close()
	if _, err := NewLoader(context.Background(), LoaderConfig{Examples: exs, Encode: encodeDigits, BatchSize: 3, PackLen: 4}); err == nil {
		t.Error("packing examples accepted")
	}
}

func TestLoaderShufflesSources(t *testing.T) {
	var src []Source
	for i := 0; i < 10; i++ {
		src = append(src, StringSource(fmt.Sprint(i), strings.Repeat(fmt.Sprintf("%d\n", i), 5)))
	}
	// With a 2-record buffer and 5 records per file, files first appear in
	// the order they are read.
	l, _ := NewLoader(context.Background(), LoaderConfig{Corpus: NewCorpus(src, CorpusOptions{}), Encode: encodeDigits,
		BatchSize: 1, Epochs: 3, ShuffleBuffer: 2, Seed: 4})
	var orders [3][]int
	for _, b := range drain(t, l) {
		if id := b.InputIDs[0]; !slices.Contains(orders[b.Epoch], id) {
			orders[b.Epoch] = append(orders[b.Epoch], id)
		}
	}
	for e, o := range orders {
		if len(o) != 10 {
			t.Fatalf("epoch %d: files %v", e, o)
		}
	}
	if slices.Equal(orders[0], orders[1]) || slices.Equal(orders[1], orders[2]) || slices.IsSorted(orders[0]) {
		t.Errorf("file order does not change across epochs: %v", orders)
	}
}

// TestLoaderEndlessWithoutABatch: endless epochs over less data than one
// batch, with DropLast, are an error rather than a loop that never yields.
func TestLoaderEndlessWithoutABatch(t *testing.T) {
	for _, prefetch := range []int{0, 2} {
		c := NewCorpus([]Source{StringSource("three.txt", "a\nb\nc\n")}, CorpusOptions{})
		l, err := NewLoader(context.Background(), LoaderConfig{Corpus: c, Encode: func(s string) []int { return []int{int(s[0])} },
			BatchSize: 5, DropLast: true, Epochs: -1, Prefetch: prefetch})
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Next()
		var pe *ParamError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "yields no batch") {
			t.Fatalf("prefetch %d: got %v", prefetch, err)
		}
		l.Close()
		// Without DropLast the partial batch comes out, epoch after epoch.
		l, err = NewLoader(context.Background(), LoaderConfig{Corpus: c, Encode: func(s string) []int { return []int{int(s[0])} },
			BatchSize: 5, Epochs: -1, Prefetch: prefetch})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			if b, err := l.Next(); err != nil || b.Size != 3 {
				t.Fatalf("prefetch %d, batch %d: %v %v", prefetch, i, b, err)
			}
		}
		l.Close()
	}
}

// panickyReader panics with an error value on its first record.
type panickyReader struct{}

func (panickyReader) Next() (Record, error) { panic(errors.New("reader broke")) }
func (panickyReader) Close() error          { return nil }

// panickyCollator fails like a script's buggy collator: a nil map write.
type panickyCollator struct{ m map[string]int }

func (c *panickyCollator) Collate(seqs [][]int, rng *RNG) (*Batch, error) {
	c.m["x"]++ // assignment to entry in nil map
	return nil, nil
}

// TestLoaderRecoversCallerPanics: a panic in the caller's Encode or
// Collator, with and without the prefetch goroutine, comes back from Next
// as an error naming the batch (the process does not crash), and the
// loader stays stopped.
func TestLoaderRecoversCallerPanics(t *testing.T) {
	c := NewCorpus([]Source{StringSource("a.txt", "1 2\n3 4\n5 6\n")}, CorpusOptions{})
	var nilSet ImageCollator
	for _, tc := range []struct {
		name string
		cfg  LoaderConfig
		want string
	}{
		{"collator", LoaderConfig{Corpus: c, Encode: encodeDigits, BatchSize: 1, Collator: &panickyCollator{}}, "Loader: epoch 0, batch 0: assignment to entry in nil map"},
		{"encode panics with a string", LoaderConfig{Corpus: c, Encode: func(s string) []int { panic("script says no") }, BatchSize: 1, Workers: 2}, "Loader: encoding a.txt line 1: panic: script says no"},
		{"encode", LoaderConfig{Corpus: c, Encode: func(s string) []int { var p *[]int; return *p }, BatchSize: 1}, "Loader: epoch 0, batch 0: runtime error: invalid memory address"},
		{"encode on workers", LoaderConfig{Corpus: c, Encode: func(s string) []int { var p *[]int; return *p }, BatchSize: 1, Workers: 2}, "Loader: encoding a.txt line 1: runtime error: invalid memory address"},
		{"reader", LoaderConfig{Open: func(ctx context.Context, epoch int) (Reader, error) { return panickyReader{}, nil }, Encode: encodeDigits, BatchSize: 1}, "Loader: epoch 0, batch 0: reader broke"},
		{"reader on workers", LoaderConfig{Open: func(ctx context.Context, epoch int) (Reader, error) { return panickyReader{}, nil }, Encode: encodeDigits, BatchSize: 1, Workers: 2}, "Loader: reading a record: reader broke"},
		// An image collator without its set is an error, not a crash.
		{"image set", LoaderConfig{Examples: []Example{{Text: "0"}}, Encode: ImageIndexEncode, BatchSize: 1, Collator: &nilSet}, "ImageCollator.Collate: no image set"},
	} {
		for _, pf := range []int{0, 2} {
			tc.cfg.Prefetch = pf
			l, err := NewLoader(context.Background(), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Next()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s prefetch %d: err %v, want one containing %q", tc.name, pf, err, tc.want)
			}
			if _, again := l.Next(); again == nil {
				t.Errorf("%s prefetch %d: Next after the panic succeeded", tc.name, pf)
			}
			l.Close()
		}
	}
}
