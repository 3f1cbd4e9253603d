package data

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// randomSeqs returns n sequences of ids in [lo, hi) with lengths in [minLen, maxLen].
func randomSeqs(rng *RNG, n, minLen, maxLen, lo, hi int) [][]int {
	out := make([][]int, n)
	for i := range out {
		l := minLen + rng.Intn(maxLen-minLen+1)
		s := make([]int, l)
		for j := range s {
			s[j] = lo + rng.Intn(hi-lo)
		}
		out[i] = s
	}
	return out
}

// within checks that count successes of n Bernoulli(p) trials lie within
// 5 standard deviations of the mean (false alarm < 1e-6).
func within(t *testing.T, what string, count, n int, p float64) {
	t.Helper()
	mean := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if math.Abs(float64(count)-mean) > 5*sd {
		t.Errorf("%s: %d of %d (%.4f), want %.4f ± %.4f", what, count, n, float64(count)/float64(n), p, 5*sd/float64(n))
	}
}

const (
	tCLS, tSEP, tPAD, tMASK = 1, 2, 0, 3
	tVocab                  = 1000
)

func TestMLMRates(t *testing.T) {
	c, err := NewMLMCollator(DefaultMLMConfig(tVocab, tMASK, tPAD, tCLS, tSEP))
	if err != nil {
		t.Fatal(err)
	}
	rng := NewRNG(1)
	seqs := randomSeqs(rng, 400, 20, 200, 10, tVocab)
	for _, s := range seqs {
		s[0], s[len(s)-1] = tCLS, tSEP
	}
	b, err := c.Collate(seqs, NewRNG(2))
	if err != nil {
		t.Fatal(err)
	}
	var eligible, selected, masked, random, kept int
	for r, s := range seqs {
		ids, labels, mask := Row(b.InputIDs, b.SeqLen, r), Row(b.Labels, b.SeqLen, r), Row(b.AttentionMask, b.SeqLen, r)
		for j := 0; j < b.SeqLen; j++ {
			if j >= len(s) {
				if mask[j] != 0 || labels[j] != IgnoreIndex || ids[j] != tPAD {
					t.Fatalf("row %d pos %d: padding id %d mask %d label %d", r, j, ids[j], mask[j], labels[j])
				}
				continue
			}
			if s[j] == tCLS || s[j] == tSEP {
				if labels[j] != IgnoreIndex || ids[j] != s[j] {
					t.Fatalf("special token corrupted at %d,%d", r, j)
				}
				continue
			}
			eligible++
			if labels[j] == IgnoreIndex {
				if ids[j] != s[j] {
					t.Fatalf("unselected token changed at %d,%d", r, j)
				}
				continue
			}
			if labels[j] != s[j] {
				t.Fatalf("label %d is not the original %d", labels[j], s[j])
			}
			selected++
			switch {
			case ids[j] == tMASK:
				masked++
			case ids[j] == s[j]:
				kept++
			default:
				random++
			}
		}
	}
	within(t, "selected", selected, eligible, 0.15)
	// A random replacement equals the original with probability 1/vocab;
	// the bounds absorb it.
	within(t, "masked", masked, selected, 0.8)
	within(t, "random", random, selected, 0.1)
	within(t, "kept", kept, selected, 0.1)
	t.Logf("%d eligible, %d selected: %d mask %d random %d kept; %v", eligible, selected, masked, random, kept, b)
}

func TestMLMWholeWord(t *testing.T) {
	// Ids >= 500 are continuation pieces ("##x").
	cfg := DefaultMLMConfig(tVocab, tMASK, tPAD, tCLS, tSEP)
	cfg.WholeWord = true
	cfg.IsWordStart = func(id int) bool { return id < 500 }
	c, err := NewMLMCollator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	seqs := randomSeqs(NewRNG(3), 300, 30, 120, 10, tVocab)
	b, _ := c.Collate(seqs, NewRNG(4))
	words, selWords := 0, 0
	for r, s := range seqs {
		labels := Row(b.Labels, b.SeqLen, r)
		for j := 0; j < len(s); {
			end := j + 1
			for end < len(s) && s[end] >= 500 {
				end++
			}
			sel := labels[j] != IgnoreIndex
			for k := j; k < end; k++ {
				if (labels[k] != IgnoreIndex) != sel {
					t.Fatalf("row %d: word [%d,%d) partly selected", r, j, end)
				}
			}
			words++
			if sel {
				selWords++
			}
			j = end
		}
	}
	within(t, "selected words", selWords, words, 0.15)
	if _, err := NewMLMCollator(MLMConfig{VocabSize: 10, MaskID: 3, Prob: 0.15, WholeWord: true}); err == nil {
		t.Error("WholeWord without predicate accepted")
	}
}

func TestMLMDeterminism(t *testing.T) {
	c, _ := NewMLMCollator(DefaultMLMConfig(tVocab, tMASK, tPAD))
	seqs := randomSeqs(NewRNG(5), 8, 10, 64, 10, tVocab)
	a, _ := c.Collate(seqs, NewRNG(9))
	b, _ := c.Collate(seqs, NewRNG(9))
	d, _ := c.Collate(seqs, NewRNG(10))
	if !slices.Equal(a.InputIDs, b.InputIDs) || !slices.Equal(a.Labels, b.Labels) {
		t.Error("same RNG seed, different masks")
	}
	if slices.Equal(a.Labels, d.Labels) {
		t.Error("different seeds, same masks")
	}
	for _, s := range seqs {
		if slices.Contains(s, tMASK) {
			t.Fatal("Collate modified its input")
		}
	}
	if c.Config().Prob != 0.15 {
		t.Error("config")
	}
}

func TestSpanCorruption(t *testing.T) {
	const sentinel = 999
	cfg := DefaultSpanCorruptionConfig(sentinel+1, 100, 1, 0)
	c, err := NewSpanCorruptionCollator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := NewRNG(11)
	var noiseTokens, total, spans, spanTokens int
	for trial := 0; trial < 2000; trial++ {
		n := 20 + rng.Intn(200)
		seq := make([]int, n)
		for i := range seq {
			seq[i] = 10 + rng.Intn(800)
		}
		mask := c.NoiseMask(n, rng)
		want := int(math.Round(float64(n) * 0.15))
		got := 0
		for i, m := range mask {
			if m {
				got++
				if i == 0 || !mask[i-1] {
					spans++
				}
			}
		}
		if got != want {
			t.Fatalf("length %d: %d noise tokens, want %d", n, got, want)
		}
		if mask[0] {
			t.Fatal("mask starts with noise")
		}
		noiseTokens += got
		total += n
		spanTokens += got

		// Inputs and targets interleave back into the original.
		in, tg := c.Corrupt(seq, rng)
		if in[len(in)-1] != 1 || tg[len(tg)-1] != 1 {
			t.Fatal("no EOS")
		}
		in, tg = in[:len(in)-1], tg[:len(tg)-1]
		var rebuilt []int
		ti := 0
		next := sentinel
		for _, id := range in {
			if id > sentinel-100 {
				if id != next || tg[ti] != id {
					t.Fatalf("sentinel %d, want %d (target has %d)", id, next, tg[ti])
				}
				next--
				ti++
				for ti < len(tg) && tg[ti] <= sentinel-100 {
					rebuilt = append(rebuilt, tg[ti])
					ti++
				}
				continue
			}
			rebuilt = append(rebuilt, id)
		}
		if !slices.Equal(rebuilt, seq) || ti != len(tg) {
			t.Fatalf("rebuilt %v\nfrom %v / %v\nwant %v", rebuilt, in, tg, seq)
		}
	}
	meanSpan := float64(spanTokens) / float64(spans)
	if math.Abs(meanSpan-3) > 0.15 {
		t.Errorf("mean span length %.3f, want 3", meanSpan)
	}
	t.Logf("density %.4f, mean span %.3f", float64(noiseTokens)/float64(total), meanSpan)

	seqs := [][]int{{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, {20, 21, 22}}
	b, err := c.Collate(seqs, NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	for r := 0; r < b.Size; r++ {
		dec, lab := Row(b.DecoderInputIDs, b.DecSeqLen, r), Row(b.DecoderLabels, b.DecSeqLen, r)
		if dec[0] != 0 {
			t.Fatal("decoder does not start with the start id")
		}
		for j := 1; j < b.DecSeqLen; j++ {
			if lab[j-1] != IgnoreIndex && dec[j] != lab[j-1] {
				t.Fatalf("decoder inputs are not labels shifted right: %v / %v", dec, lab)
			}
		}
	}
	b2, _ := c.Collate(seqs, NewRNG(1))
	if !slices.Equal(b.InputIDs, b2.InputIDs) || !slices.Equal(b.DecoderLabels, b2.DecoderLabels) {
		t.Error("not deterministic")
	}
	t.Log(b)
}

func TestDenoising(t *testing.T) {
	const dot, mask = 4, 3
	base := DenoisingConfig{MaskID: mask, PadID: 0, DecoderStartID: 2, SpecialIDs: []int{1, 2},
		IsSentenceEnd: func(id int) bool { return id == dot }}
	rng := NewRNG(21)

	del := base
	del.DeleteProb = 0.2
	c, _ := NewDenoisingCollator(del)
	seqs := randomSeqs(rng, 200, 50, 100, 10, 500)
	dropped, n := 0, 0
	for _, s := range seqs {
		out := c.Corrupt(s, rng)
		dropped += len(s) - len(out)
		n += len(s)
	}
	within(t, "deleted", dropped, n, 0.2)

	inf := base
	inf.InfillRatio, inf.InfillLambda = 0.3, 3
	c, _ = NewDenoisingCollator(inf)
	hidden := 0
	n = 0
	for _, s := range seqs {
		out := c.Corrupt(s, rng)
		// Every non-mask id of out appears in order in s.
		j := 0
		for _, id := range out {
			if id == mask {
				continue
			}
			for j < len(s) && s[j] != id {
				j++
			}
			if j == len(s) {
				t.Fatalf("infill output %v is not a masked subsequence of %v", out, s)
			}
			j++
		}
		hidden += len(s) - (len(out) - count(out, mask))
		n += len(s)
	}
	if r := float64(hidden) / float64(n); math.Abs(r-0.3) > 0.02 {
		t.Errorf("infill hid %.3f of tokens, want 0.3", r)
	}

	per := base
	per.PermuteSentences = true
	c, _ = NewDenoisingCollator(per)
	seq := []int{1, 10, 11, dot, 20, dot, 30, 31, 32, dot, 40, 2}
	changed := false
	for i := 0; i < 20; i++ {
		out := c.Permute(seq, rng)
		if out[0] != 1 || out[len(out)-1] != 2 {
			t.Fatalf("permutation moved BOS/EOS: %v", out)
		}
		a, b := slices.Clone(out), slices.Clone(seq)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Fatalf("not a permutation: %v", out)
		}
		if !slices.Equal(out, seq) {
			changed = true
		}
	}
	if !changed {
		t.Error("sentence permutation never changed the order")
	}
	bt, err := c.Collate([][]int{seq}, rng)
	if err != nil || !slices.Equal(Row(bt.DecoderLabels, bt.DecSeqLen, 0), seq) || bt.DecoderInputIDs[0] != 2 {
		t.Errorf("denoising batch %v: labels %v, err %v", bt, bt.DecoderLabels, err)
	}
	if _, err := NewDenoisingCollator(DenoisingConfig{PermuteSentences: true}); err == nil {
		t.Error("permutation without predicate accepted")
	}
}

func count(s []int, x int) int {
	n := 0
	for _, v := range s {
		if v == x {
			n++
		}
	}
	return n
}

func TestNegativeTable(t *testing.T) {
	counts := []int64{0, 1000, 100, 10, 1, 0, 5000}
	tab, err := NewNegativeTable(counts, 0.75, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, c := range counts {
		total += math.Pow(float64(c), 0.75)
	}
	for id, c := range counts {
		want := math.Pow(float64(c), 0.75) / total * 1e6
		got := float64(tab.Slots(id))
		if math.Abs(got-want) > 1.5 {
			t.Errorf("id %d: %v slots, want %.1f", id, got, want)
		}
	}
	rng := NewRNG(1)
	hits := 0
	for i := 0; i < 100_000; i++ {
		if tab.Sample(rng) == 6 {
			hits++
		}
	}
	within(t, "samples of id 6", hits, 100_000, math.Pow(5000, 0.75)/total)
	if _, err := NewNegativeTable([]int64{0, 0}, 0.75, 10); err == nil {
		t.Error("all-zero counts accepted")
	}
}

func TestSubsampler(t *testing.T) {
	counts := []int64{1_000_000, 1000, 10}
	s := NewSubsampler(counts, 1e-3)
	total := 1_001_010.0
	for id, c := range counts {
		f := float64(c)
		want := math.Min((math.Sqrt(f/(1e-3*total))+1)*(1e-3*total)/f, 1)
		if math.Abs(s.KeepProb(id)-want) > 1e-12 {
			t.Errorf("id %d keep %.6f want %.6f", id, s.KeepProb(id), want)
		}
	}
	rng := NewRNG(2)
	kept := 0
	for i := 0; i < 100_000; i++ {
		if s.Keep(0, rng) {
			kept++
		}
	}
	within(t, "kept frequent word", kept, 100_000, s.KeepProb(0))
	if s.KeepProb(2) != 1 || s.KeepProb(99) != 1 {
		t.Error("rare or unknown words must be kept")
	}
}

func TestSkipGramAndCBOW(t *testing.T) {
	tab, _ := NewNegativeTable([]int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 0.75, 1000)
	seq := []int{0, 1, 2, 3, 4, 5}
	sg, _ := NewWindowCollator(WindowConfig{Window: 2, Negatives: 3, Table: tab})
	b, err := sg.Collate([][]int{seq}, NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	// Pairs with |i-j| <= 2: 2+3+4+4+3+2 = 18.
	if b.Size != 18 || len(b.Contexts) != 18 || len(b.Negatives) != 54 || b.ContextWidth != 1 {
		t.Fatalf("skip-gram %v", b)
	}
	for i := 0; i < b.Size; i++ {
		if d := b.Centers[i] - b.Contexts[i]; d == 0 || d > 2 || d < -2 {
			t.Fatalf("pair %d,%d outside window", b.Centers[i], b.Contexts[i])
		}
		for _, n := range Row(b.Negatives, 3, i) {
			if n == b.Contexts[i] {
				t.Fatalf("negative equals the target")
			}
		}
	}
	cb, _ := NewWindowCollator(WindowConfig{Window: 2, CBOW: true, PadID: -1})
	b, _ = cb.Collate([][]int{seq}, NewRNG(1))
	if b.Size != 6 || b.ContextWidth != 4 || b.Negatives != nil {
		t.Fatalf("cbow %v", b)
	}
	if got := fmt.Sprint(Row(b.Contexts, 4, 0), Row(b.ContextMask, 4, 0)); got != "[1 2 -1 -1] [1 1 0 0]" {
		t.Errorf("cbow row 0: %s", got)
	}
	if got := fmt.Sprint(Row(b.Contexts, 4, 2)); got != "[0 1 3 4]" {
		t.Errorf("cbow row 2: %s", got)
	}
	dyn, _ := NewWindowCollator(WindowConfig{Window: 5, DynamicWindow: true})
	long := make([]int, 1000)
	b, _ = dyn.Collate([][]int{long}, NewRNG(3))
	// Mean effective window 3 gives about 2*3 pairs per center.
	if per := float64(b.Size) / 1000; math.Abs(per-6) > 0.4 {
		t.Errorf("dynamic window: %.2f pairs per center, want about 6", per)
	}
	if _, err := NewWindowCollator(WindowConfig{Window: 2, Negatives: 5}); err == nil {
		t.Error("negatives without a table accepted")
	}
}

func TestContrastive(t *testing.T) {
	c := &ContrastiveCollator{Mode: PairAdjacent, PadID: 0}
	b, err := c.Collate([][]int{{1, 2}, {3}, {4, 5, 6}, {7, 8}, {9}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Size != 2 || fmt.Sprint(b.InputIDs, b.PairInputIDs, b.PairAttentionMask) != "[1 2 0 4 5 6] [3 0 7 8] [1 0 1 1]" {
		t.Fatalf("adjacent: %v %v %v", b.InputIDs, b.PairInputIDs, b.PairAttentionMask)
	}
	c.Mode = PairDuplicate
	b, _ = c.Collate([][]int{{1, 2}, {3}}, nil)
	if !slices.Equal(b.InputIDs, b.PairInputIDs) || b.Size != 2 {
		t.Fatal("duplicate")
	}
	if _, err := c.CollatePairs([][]int{{1}}, nil); err == nil {
		t.Error("mismatched pairs accepted")
	}
}

func TestPadAndCausal(t *testing.T) {
	b := PadBatch([][]int{{5, 6, 7}, {8}}, 2, 0)
	if fmt.Sprint(b.InputIDs, b.AttentionMask) != "[5 6 8 0] [1 1 1 0]" {
		t.Fatalf("%v %v", b.InputIDs, b.AttentionMask)
	}
	c := &CausalLMCollator{PadID: 9}
	b, _ = c.Collate([][]int{{5, 6, 7}, {8}}, nil)
	if fmt.Sprint(b.Labels) != "[5 6 7 8 -100 -100]" || fmt.Sprint(b.InputIDs) != "[5 6 7 8 9 9]" {
		t.Fatalf("%v %v", b.InputIDs, b.Labels)
	}
	if s := b.String(); s != "Batch{size=2 epoch=0 step=0 input_ids[2,3] attention_mask[2,3](4 real) labels[2,3](4 targets)}" {
		t.Error(s)
	}
}

func TestCountTokens(t *testing.T) {
	c := NewCorpus([]Source{StringSource("n.txt", "1 2 2\n3 3 3\n")}, CorpusOptions{})
	counts, err := CountTokens(context.Background(), c, encodeDigits, 5)
	if err != nil || fmt.Sprint(counts) != "[0 1 2 3 0]" {
		t.Fatalf("%v %v", counts, err)
	}
	_, err = CountTokens(context.Background(), c, encodeDigits, 3)
	if err == nil || !strings.Contains(err.Error(), "n.txt:2: token id 3 outside vocabulary of 3") {
		t.Errorf("out of range: %v", err)
	}
}
