package data

import (
	"fmt"
	"math"
	"sort"
	"testing"
)

func TestRNGDeterministic(t *testing.T) {
	a, b := NewRNG(42), NewRNG(42)
	for i := 0; i < 100; i++ {
		if a.Uint64() != b.Uint64() {
			t.Fatal("same seed, different streams")
		}
	}
	if NewRNG(1).Uint64() == NewRNG(2).Uint64() {
		t.Error("different seeds, same first output")
	}
	if DeriveSeed(7, 0, 1) == DeriveSeed(7, 1, 0) || DeriveSeed(7, 1) == DeriveSeed(8, 1) {
		t.Error("derived seeds collide")
	}
	// Intn is uniform: chi-square over 10 buckets, 100k draws.
	r := NewRNG(3)
	var counts [10]int
	for i := 0; i < 100_000; i++ {
		counts[r.Intn(10)]++
	}
	chi := 0.0
	for _, c := range counts {
		d := float64(c) - 10_000
		chi += d * d / 10_000
	}
	if chi > 30 { // 9 dof: p < 0.001
		t.Errorf("Intn chi2 = %.1f, counts %v", chi, counts)
	}
	sum := 0.0
	for i := 0; i < 100_000; i++ {
		f := r.Float64()
		if f < 0 || f >= 1 {
			t.Fatal(f)
		}
		sum += f
	}
	if m := sum / 100_000; math.Abs(m-0.5) > 0.005 {
		t.Errorf("Float64 mean %.4f", m)
	}
	pm := 0.0
	for i := 0; i < 20_000; i++ {
		pm += float64(r.Poisson(3))
	}
	if m := pm / 20_000; math.Abs(m-3) > 0.06 {
		t.Errorf("Poisson(3) mean %.3f", m)
	}
	defer func() {
		if _, ok := recover().(*ParamError); !ok {
			t.Error("Intn(0) did not panic with *ParamError")
		}
	}()
	r.Intn(0)
}

func indexes(t *testing.T, r Reader) []int {
	t.Helper()
	recs, err := ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, len(recs))
	for i, rec := range recs {
		out[i] = int(rec.Index)
	}
	return out
}

func numbered(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i)
	}
	return s
}

func TestShuffleIsPermutation(t *testing.T) {
	for _, buf := range []int{2, 10, 1000, 5000} {
		got := indexes(t, ShuffleBuffer(TextReader(numbered(1000)), buf, NewRNG(5)))
		again := indexes(t, ShuffleBuffer(TextReader(numbered(1000)), buf, NewRNG(5)))
		other := indexes(t, ShuffleBuffer(TextReader(numbered(1000)), buf, NewRNG(6)))
		if fmt.Sprint(got) != fmt.Sprint(again) {
			t.Errorf("buffer %d: same seed, different order", buf)
		}
		if fmt.Sprint(got) == fmt.Sprint(other) {
			t.Errorf("buffer %d: different seeds, same order", buf)
		}
		moved := 0
		for i, v := range got {
			if v != i {
				moved++
			}
		}
		if moved < 500 {
			t.Errorf("buffer %d: only %d of 1000 records moved", buf, moved)
		}
		sort.Ints(got)
		for i, v := range got {
			if v != i {
				t.Fatalf("buffer %d: not a permutation (at %d: %d)", buf, i, v)
			}
		}
	}
	if got := indexes(t, ShuffleBuffer(TextReader(numbered(5)), 1, nil)); fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Errorf("size 1 reordered: %v", got)
	}
}

func TestShardPartition(t *testing.T) {
	const n = 1003
	seen := make([]int, n)
	world, workers := 3, 2
	sizes := []int{}
	for rank := 0; rank < world; rank++ {
		for w := 0; w < workers; w++ {
			got := indexes(t, Shard(TextReader(numbered(n)), ShardSpec{Rank: rank, World: world, Worker: w, Workers: workers}))
			sizes = append(sizes, len(got))
			for _, i := range got {
				seen[i]++
			}
		}
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("record %d in %d shards", i, c)
		}
	}
	for _, s := range sizes {
		if s < n/6 || s > n/6+1 {
			t.Errorf("unbalanced shard sizes %v", sizes)
		}
	}
	if err := (ShardSpec{Rank: 3, World: 3}).Validate(); err == nil {
		t.Error("rank 3 of 3 accepted")
	}
	if len(indexes(t, Shard(TextReader(numbered(7)), ShardSpec{}))) != 7 {
		t.Error("zero ShardSpec is not the whole stream")
	}
}

func TestPacker(t *testing.T) {
	p := NewPacker(4, 99)
	p.Add([]int{1, 2, 3})
	p.Add([]int{4, 5})
	p.Add([]int{6, 7, 8, 9, 10})
	var rows [][]int
	for p.Ready() {
		rows = append(rows, p.Next())
	}
	if fmt.Sprint(rows) != "[[1 2 3 99] [4 5 99 6] [7 8 9 10]]" || p.Pending() != 1 {
		t.Fatalf("rows %v pending %d", rows, p.Pending())
	}
	if f := p.Flush(); fmt.Sprint(f) != "[99]" || p.Flush() != nil {
		t.Fatalf("flush %v", f)
	}
}
