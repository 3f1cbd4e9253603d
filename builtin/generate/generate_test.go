package generate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func model(t testing.TB, ctx int) *gpt.Model {
	m, err := gpt.New(gpt.Config{VocabSize: 50, ContextLen: ctx, Dim: 32, Layers: 2, Heads: 4, TiedEmbeddings: true}, tensor.NewRNG(5))
	require.NoError(t, err)
	// Larger weights than GPT-2's init make the logits sharp and varied, so
	// that a wrong cache would change the argmax.
	for _, p := range m.Parameters() {
		d := p.Data()
		for i := range d {
			d[i] *= 8
		}
	}
	return m
}

// TestCacheMatchesFullForward compares the cached logits with a full
// forward pass at every position.
func TestCacheMatchesFullForward(t *testing.T) {
	m := model(t, 24)
	ids := []int{3, 17, 42, 8, 8, 0, 49, 21, 5, 30, 11, 2}
	c := NewCache(m)
	for i, id := range ids {
		got := c.Step(id)
		want := LastLogits(m, ids[:i+1])
		assert.InDeltaSlice(t, want, got, 2e-4, "position %d", i)
	}
	assert.Equal(t, len(ids), c.Len())
	assert.Contains(t, c.String(), "12/24")
	c.Reset()
	assert.Zero(t, c.Len())
}

// TestCacheEqualsNoCache: the cached and uncached decoders emit the same
// tokens, greedy and sampled.
func TestCacheEqualsNoCache(t *testing.T) {
	m := model(t, 64)
	prompt := []int{1, 2, 3}
	for _, opt := range []Options{
		{MaxNewTokens: 40, StopID: -1},
		{MaxNewTokens: 40, Temperature: 0.8, TopK: 10, Seed: 3, StopID: -1},
		{MaxNewTokens: 40, Temperature: 1.2, TopP: 0.9, Seed: 4, StopID: -1},
	} {
		a, err := Generate(m, prompt, opt)
		require.NoError(t, err)
		opt.NoCache = true
		b, err := Generate(m, prompt, opt)
		require.NoError(t, err)
		assert.Equal(t, b, a, opt.String())
		assert.Len(t, a, 40)
	}
	assert.True(t, m.Training(), "mode restored")
}

func TestContextLimitAndStop(t *testing.T) {
	m := model(t, 10)
	out, err := Generate(m, []int{1, 2, 3}, Options{MaxNewTokens: 100, StopID: -1})
	require.NoError(t, err)
	assert.Len(t, out, 7) // the sequence fills the 10 positions
	first, err := Generate(m, []int{1, 2, 3}, Options{MaxNewTokens: 1, StopID: -1})
	require.NoError(t, err)
	out, err = Generate(m, []int{1, 2, 3}, Options{MaxNewTokens: 5, StopID: first[0]})
	require.NoError(t, err)
	assert.Equal(t, first, out)
	_, err = Generate(m, nil, Options{MaxNewTokens: 1})
	assert.Error(t, err)
	_, err = Generate(m, make([]int, 11), Options{MaxNewTokens: 1})
	assert.ErrorContains(t, err, "context")
	_, err = Generate(m, []int{50}, Options{MaxNewTokens: 1})
	assert.ErrorContains(t, err, "vocabulary")
	_, err = Generate(m, []int{1}, Options{TopP: 2})
	assert.ErrorContains(t, err, "top-p")
}

func TestSampler(t *testing.T) {
	logits := []float32{0, 5, 1, 4.9, -3}
	assert.Equal(t, 1, newSampler(Options{}).next(logits))
	// Top-k 2 only ever yields the two best ids.
	s := newSampler(Options{Temperature: 1, TopK: 2, Seed: 1})
	seen := map[int]int{}
	for i := 0; i < 400; i++ {
		seen[s.next(logits)]++
	}
	assert.Len(t, seen, 2)
	assert.Greater(t, seen[1], 100)
	assert.Greater(t, seen[3], 100)
	// Top-p 0.5 keeps only the best id here (p(1) ≈ 0.5).
	s = newSampler(Options{Temperature: 1, TopP: 0.4, Seed: 1})
	for i := 0; i < 50; i++ {
		assert.Equal(t, 1, s.next(logits))
	}
	// A high temperature spreads the draws over every id.
	s = newSampler(Options{Temperature: 100, Seed: 2})
	seen = map[int]int{}
	for i := 0; i < 500; i++ {
		seen[s.next(logits)]++
	}
	assert.Len(t, seen, 5)
}

// benchModel is gpt-tiny's shape (vocabulary 4096, width 128, 4 layers, 4
// heads) with a context of 264 so that 256 new tokens fit after a prompt.
func benchModel(b *testing.B) *gpt.Model {
	m, err := gpt.New(gpt.Config{VocabSize: 4096, ContextLen: 264, Dim: 128, Layers: 4, Heads: 4, TiedEmbeddings: true}, tensor.NewRNG(1))
	require.NoError(b, err)
	return m
}

func benchGenerate(b *testing.B, noCache bool) {
	m := benchModel(b)
	opt := Options{MaxNewTokens: 256, StopID: -1, NoCache: noCache}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := Generate(m, []int{1, 2, 3, 4}, opt)
		if err != nil || len(out) != 256 {
			b.Fatal(err, len(out))
		}
	}
	b.ReportMetric(float64(256*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkGenerate256Cache and BenchmarkGenerate256NoCache generate 256
// tokens with gpt-tiny's shape; their ratio is the KV cache's speed-up.
func BenchmarkGenerate256Cache(b *testing.B)   { benchGenerate(b, false) }
func BenchmarkGenerate256NoCache(b *testing.B) { benchGenerate(b, true) }
