// Package generate samples text from a GPT decoder (builtin/gpt): greedy
// decoding, temperature, top-k and top-p (nucleus) sampling, with a
// key-value cache or without one.
//
// With the cache each new token costs one token's forward pass: the keys
// and values of earlier positions are kept per layer and only the newest
// position's query attends to them. Without it every step recomputes the
// whole prefix, as a training forward does; it is kept as the reference
// that the cached path must equal. Both stop when the sequence fills the
// model's context (learned positions cannot go further).
package generate

import (
	"fmt"
	"math"
	"sort"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// Options controls decoding.
type Options struct {
	MaxNewTokens int     // tokens to add after the prompt
	Temperature  float32 // 0: greedy (argmax); otherwise logits are divided by it
	TopK         int     // keep the K most likely tokens (0: all)
	TopP         float32 // keep the smallest set whose probability reaches P (0 or 1: all)
	Seed         uint64  // seeds sampling
	StopID       int     // stop after emitting this id; negative: never
	NoCache      bool    // recompute the whole prefix at every step (the reference path)
}

// String prints the options.
func (o Options) String() string {
	return fmt.Sprintf("generate.Options(new=%d, temperature=%g, top_k=%d, top_p=%g, seed=%d, stop=%d, cache=%t)",
		o.MaxNewTokens, o.Temperature, o.TopK, o.TopP, o.Seed, o.StopID, !o.NoCache)
}

// Validate reports an impossible setting.
func (o Options) Validate() error {
	switch {
	case o.MaxNewTokens < 0:
		return fmt.Errorf("generate: negative token count %d", o.MaxNewTokens)
	case o.Temperature < 0 || math.IsNaN(float64(o.Temperature)):
		return fmt.Errorf("generate: temperature %v must be >= 0", o.Temperature)
	case o.TopK < 0:
		return fmt.Errorf("generate: top-k %d must be >= 0", o.TopK)
	case o.TopP < 0 || o.TopP > 1:
		return fmt.Errorf("generate: top-p %v outside [0, 1]", o.TopP)
	}
	return nil
}

// Generate continues prompt (at least one id) and returns the new ids
// only. It runs the model in evaluation mode without recording gradients
// and restores its mode after.
func Generate(m *gpt.Model, prompt []int, opt Options) ([]int, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if len(prompt) == 0 {
		return nil, fmt.Errorf("generate: empty prompt")
	}
	if len(prompt) > m.Config.ContextLen {
		return nil, fmt.Errorf("generate: prompt of %d tokens exceeds the context of %d", len(prompt), m.Config.ContextLen)
	}
	for i, id := range prompt {
		if id < 0 || id >= m.Config.VocabSize {
			return nil, fmt.Errorf("generate: prompt token %d at position %d outside the vocabulary of %d", id, i, m.Config.VocabSize)
		}
	}
	training := m.Training()
	m.Train(false)
	defer m.Train(training)
	var out []int
	s := newSampler(opt)
	var logits []float32
	var c *Cache
	if opt.NoCache {
		logits = lastLogits(m, prompt)
	} else {
		c = NewCache(m)
		for _, id := range prompt {
			logits = c.Step(id)
		}
	}
	seq := append([]int(nil), prompt...)
	for len(out) < opt.MaxNewTokens && len(seq) < m.Config.ContextLen+1 {
		id := s.next(logits)
		out = append(out, id)
		seq = append(seq, id)
		if id == opt.StopID || len(seq) >= m.Config.ContextLen || len(out) == opt.MaxNewTokens {
			break
		}
		if opt.NoCache {
			logits = lastLogits(m, seq)
		} else {
			logits = c.Step(id)
		}
	}
	return out, nil
}

// lastLogits runs the full forward pass over ids and returns the logits of
// the last position.
func lastLogits(m *gpt.Model, ids []int) []float32 {
	v := m.Config.VocabSize
	all := m.Forward(tensor.NewScope().NoGrad(), ids, 1, len(ids)).Float32s()
	return all[len(all)-v:]
}

// LastLogits returns the next-token logits after ids computed without a
// cache (a full forward pass in evaluation mode), for tests and scoring.
func LastLogits(m *gpt.Model, ids []int) []float32 {
	training := m.Training()
	m.Train(false)
	defer m.Train(training)
	return lastLogits(m, ids)
}

// sampler picks the next token from logits.
type sampler struct {
	opt   Options
	rng   *tensor.RNG
	probs []float32
	order []int
}

func newSampler(opt Options) *sampler {
	return &sampler{opt: opt, rng: tensor.NewRNG(opt.Seed)}
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// next applies temperature, top-k and top-p and draws a token.
func (s *sampler) next(logits []float32) int {
	if s.opt.Temperature == 0 {
		return argmax(logits)
	}
	n := len(logits)
	if cap(s.order) < n {
		s.order, s.probs = make([]int, n), make([]float32, n)
	}
	order, probs := s.order[:n], s.probs[:n]
	for i := range order {
		order[i] = i
	}
	// Sort by logit, descending; ties by id so the result is deterministic.
	sort.Slice(order, func(a, b int) bool {
		la, lb := logits[order[a]], logits[order[b]]
		return la > lb || (la == lb && order[a] < order[b])
	})
	keep := n
	if s.opt.TopK > 0 && s.opt.TopK < keep {
		keep = s.opt.TopK
	}
	mx := float64(logits[order[0]])
	var z float64
	for i := 0; i < keep; i++ {
		p := math.Exp((float64(logits[order[i]]) - mx) / float64(s.opt.Temperature))
		probs[i] = float32(p)
		z += p
	}
	if s.opt.TopP > 0 && s.opt.TopP < 1 {
		var c float64
		for i := 0; i < keep; i++ {
			c += float64(probs[i]) / z
			if c >= float64(s.opt.TopP) {
				keep = i + 1
				break
			}
		}
		z = 0
		for i := 0; i < keep; i++ {
			z += float64(probs[i])
		}
	}
	u := s.rng.Float64() * z
	var c float64
	for i := 0; i < keep; i++ {
		c += float64(probs[i])
		if u < c {
			return order[i]
		}
	}
	return order[keep-1]
}
