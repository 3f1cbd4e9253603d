// Package word2vec trains word vectors with word2vec's skip-gram and CBOW
// objectives, with negative sampling or hierarchical softmax, frequent-word
// subsampling, reduced windows, linear learning-rate decay and lock-free
// (Hogwild) threads, as Mikolov et al.'s word2vec.c does.
//
// The corpus is read once into memory as int32 word ids (see
// tokenizer.ReadWordCorpus): 4 bytes per in-vocabulary token, about 4 MB for
// the 1 M-word Brown corpus. Each thread trains on its own contiguous slice
// of sentences, as word2vec.c's threads each read their own part of the file.
//
// On amd64 with AVX-512, rows are padded to a multiple of 16 floats and the
// negative-sampling step of one (context, word) pair is one assembly call
// that keeps the hidden vector and its gradient in registers (rows up to 128
// floats). AVX2+FMA kernels are the next tier (GODEBUG=cpu.avx512f=off), and
// plain Go loops the last (-tags purego).
//
// The threads update the shared weight matrices without locks, by design:
// the races are the algorithm. In race-detector builds training runs one
// thread, so programs that call it stay clean under -race.
package word2vec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pretrain-go/pretrain/builtin/vectors"
	"github.com/pretrain-go/pretrain/sdk/tokenizer"
)

// Config holds the hyper-parameters, named and defaulted as in word2vec.c.
// A zero field takes the default shown; use Defaults to see them filled in.
type Config struct {
	// CBOW selects continuous bag-of-words; false trains skip-gram.
	CBOW bool
	// Dim is the vector size (word2vec.c -size). Default 100.
	Dim int
	// Window is the maximum context distance (-window). Default 5.
	Window int
	// Negative is the number of negative samples (-negative). Default 5
	// unless HS is set, then 0. Set NoNegative to force 0.
	Negative int
	// NoNegative turns negative sampling off (use with HS).
	NoNegative bool
	// HS turns on hierarchical softmax over a Huffman tree (-hs 1).
	HS bool
	// Sample is the subsampling threshold for frequent words (-sample).
	// Default 1e-3; a negative value turns subsampling off.
	Sample float64
	// MinCount drops rarer words (-min-count). Default 5.
	MinCount int
	// Epochs is the number of passes (-iter). Default 5.
	Epochs int
	// Alpha is the starting learning rate (-alpha): default 0.025 for
	// skip-gram, 0.05 for CBOW. It decays linearly to Alpha·1e-4.
	Alpha float64
	// Threads is the number of training goroutines (-threads). Default
	// runtime.GOMAXPROCS(0).
	Threads int
	// Seed seeds the random streams. With one thread a run is
	// deterministic for a seed; with more, Hogwild makes it vary slightly.
	Seed uint64
	// MaxVocab keeps only the most frequent words when positive.
	MaxVocab int
	// Normalize lowercases tokens and trims punctuation at their edges when
	// reading the corpus (tokenizer.WordCorpusOptions.Normalize).
	Normalize bool
	// Progress, when set, is called about every ProgressEvery from a
	// single goroutine while training, and once at the end.
	Progress func(Progress)
	// ProgressEvery is the reporting interval. Default 1 s.
	ProgressEvery time.Duration
}

// Progress is a training progress report.
type Progress struct {
	// Done is the fraction of the run completed, 0 to 1.
	Done float64
	// Epoch is the current pass, from 1.
	Epoch int
	// Words counts raw corpus words processed so far, all threads and
	// epochs together (words dropped by MinCount included).
	Words int64
	// WordsPerSec is Words divided by the time since training started.
	WordsPerSec float64
	// Alpha is the current learning rate.
	Alpha float64
	// Elapsed is the time since training started.
	Elapsed time.Duration
}

// String formats the report like word2vec.c's status line.
func (p Progress) String() string {
	return fmt.Sprintf("epoch %d  %5.1f%%  alpha %.6f  %.0f words/s  %v", p.Epoch, 100*p.Done, p.Alpha,
		p.WordsPerSec, p.Elapsed.Round(time.Millisecond))
}

// Defaults returns c with every zero field set to its default.
func (c Config) Defaults() Config {
	if c.Dim == 0 {
		c.Dim = 100
	}
	if c.Window == 0 {
		c.Window = 5
	}
	if c.NoNegative {
		c.Negative = 0
	} else if c.Negative == 0 && !c.HS {
		c.Negative = 5
	}
	if c.Sample == 0 {
		c.Sample = 1e-3
	}
	if c.MinCount == 0 {
		c.MinCount = 5
	}
	if c.Epochs == 0 {
		c.Epochs = 5
	}
	if c.Alpha == 0 {
		c.Alpha = 0.025
		if c.CBOW {
			c.Alpha = 0.05
		}
	}
	if c.Threads == 0 {
		c.Threads = runtime.GOMAXPROCS(0)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.ProgressEvery == 0 {
		c.ProgressEvery = time.Second
	}
	return c
}

// String formats the configuration in word2vec.c's flag names.
func (c Config) String() string {
	model := "skipgram"
	if c.CBOW {
		model = "cbow"
	}
	hs := 0
	if c.HS {
		hs = 1
	}
	return fmt.Sprintf("word2vec{%s size %d window %d negative %d hs %d sample %g min-count %d iter %d alpha %g threads %d seed %d}",
		model, c.Dim, c.Window, c.Negative, hs, c.Sample, c.MinCount, c.Epochs, c.Alpha, c.Threads, c.Seed)
}

func (c Config) validate() error {
	switch {
	case c.Dim < 1 || c.Dim > 1<<14:
		return fmt.Errorf("word2vec: Dim %d out of range [1, 16384]", c.Dim)
	case c.Window < 1:
		return fmt.Errorf("word2vec: Window %d must be positive", c.Window)
	case c.Negative < 0:
		return fmt.Errorf("word2vec: Negative %d must not be negative", c.Negative)
	case c.Negative == 0 && !c.HS:
		return errors.New("word2vec: neither negative sampling nor hierarchical softmax is on")
	case c.Epochs < 1:
		return fmt.Errorf("word2vec: Epochs %d must be positive", c.Epochs)
	case c.Threads < 1:
		return fmt.Errorf("word2vec: Threads %d must be positive", c.Threads)
	case !(c.Alpha > 0):
		return fmt.Errorf("word2vec: Alpha %g must be positive", c.Alpha)
	}
	return nil
}

// Train reads a whitespace-separated corpus from r (a newline ends a
// sentence) and trains word vectors on it. The result lists words by
// descending frequency. Cancelling ctx stops the threads within a sentence
// and returns ctx's error.
func Train(ctx context.Context, cfg Config, r io.Reader) (*vectors.Vectors, error) {
	cfg = cfg.Defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	corpus, err := tokenizer.ReadWordCorpus(ctx, r, "corpus", tokenizer.WordCorpusOptions{
		MinCount: cfg.MinCount, MaxVocab: cfg.MaxVocab, Normalize: cfg.Normalize, MaxSentence: maxSentence,
	})
	if err != nil {
		return nil, err
	}
	return TrainCorpus(ctx, cfg, corpus)
}

// maxSentence is word2vec.c's MAX_SENTENCE_LENGTH.
const maxSentence = 1000

// TrainCorpus trains on a corpus already read (its vocabulary already cut
// by MinCount; cfg.MinCount, MaxVocab and Normalize are not applied again).
func TrainCorpus(ctx context.Context, cfg Config, corpus *tokenizer.WordCorpus) (*vectors.Vectors, error) {
	cfg = cfg.Defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	V := corpus.Vocab.Len()
	if V == 0 || len(corpus.IDs) == 0 {
		return nil, errors.New("word2vec: the corpus has no word seen MinCount times")
	}
	if raceEnabled {
		cfg.Threads = 1
	}
	m := newModel(cfg, corpus)
	if err := m.run(ctx); err != nil {
		return nil, err
	}
	out := vectors.New(corpus.Vocab.Words, cfg.Dim)
	for i := 0; i < V; i++ {
		copy(out.Vector(i), m.syn0[i*m.ld:i*m.ld+cfg.Dim])
	}
	return out, nil
}

// Sigmoid table as in word2vec.c: sigmoid sampled on [-maxExp, maxExp].
const (
	maxExp       = 6
	expTableSize = 1000
)

type model struct {
	cfg    Config
	corpus *tokenizer.WordCorpus
	dim    int
	ld     int       // row stride: dim, or dim rounded up to 16 for AVX-512
	syn0   []float32 // input vectors, V×ld (padding stays zero)
	syn1   []float32 // hierarchical-softmax inner nodes, (V-1)×ld
	syn1n  []float32 // negative-sampling output vectors, V×ld
	keep   []uint32  // subsampling: keep a word when rand32 < keep[w]
	res    bool      // negative sampling only, rows short enough for negRes
	alias  []aliasEntry
	codes  [][]byte  // Huffman codes
	points [][]int32 // Huffman paths (inner node ids)
	expTab [expTableSize + 1]float32

	totalWords int64 // in-vocabulary tokens per epoch
	done       atomic.Int64
	stop       atomic.Bool
}

func newModel(cfg Config, c *tokenizer.WordCorpus) *model {
	V, d := c.Vocab.Len(), cfg.Dim
	m := &model{cfg: cfg, corpus: c, dim: d, ld: d, totalWords: int64(len(c.IDs))}
	if useAVX512 {
		m.ld = (d + 15) &^ 15
	}
	ld := m.ld
	m.res = useAVX512 && !cfg.HS && cfg.Negative > 0 && ld/16 <= maxResChunks
	for i := range m.expTab {
		x := math.Exp((float64(i)/expTableSize*2 - 1) * maxExp)
		m.expTab[i] = float32(x / (x + 1))
	}
	// word2vec.c's initialisation: syn0 uniform in [-0.5, 0.5)/dim from an
	// LCG, output layers zero.
	m.syn0 = make([]float32, V*ld)
	r := newRNG(cfg.Seed, -1)
	for i := 0; i < V; i++ {
		row := m.syn0[i*ld : i*ld+d]
		for j := range row {
			row[j] = (float32(r.next()>>40)/(1<<24) - 0.5) / float32(d)
		}
	}
	if cfg.Negative > 0 {
		m.syn1n = make([]float32, V*ld)
		m.alias = buildAlias(c.Vocab.Counts, 0.75)
	}
	if cfg.HS {
		m.syn1 = make([]float32, V*ld)
		m.codes, m.points = huffman(c.Vocab.Counts)
	}
	m.keep = make([]uint32, V)
	thr := cfg.Sample * float64(m.totalWords)
	for w, cnt := range c.Vocab.Counts {
		p := 1.0
		if cfg.Sample > 0 {
			p = (math.Sqrt(float64(cnt)/thr) + 1) * thr / float64(cnt)
		}
		if p >= 1 {
			m.keep[w] = math.MaxUint32
		} else {
			m.keep[w] = uint32(p * (1 << 32))
		}
	}
	return m
}

// rng is xorshift64*: fast, and good in its high bits, which is all we use.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = rng(x)
	return x * 2685821657736338717
}

func newRNG(seed uint64, stream int) rng {
	// splitmix64 of seed and stream, never zero.
	z := seed + uint64(stream+1)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	if z == 0 {
		z = 1
	}
	return rng(z)
}

// aliasEntry is one slot of Walker's alias table: draw slot i uniformly,
// then take i when the fraction is below prob, else alias.
type aliasEntry struct {
	prob  uint32
	alias int32
}

// buildAlias returns an alias table for P(w) ∝ count^power. It replaces
// word2vec.c's 10^8-entry unigram table (400 MB, a cache miss per draw)
// with an exact sampler of 8 bytes per word.
func buildAlias(counts []int64, power float64) []aliasEntry {
	n := len(counts)
	p := make([]float64, n)
	var sum float64
	for i, c := range counts {
		p[i] = math.Pow(float64(c), power)
		sum += p[i]
	}
	for i := range p {
		p[i] *= float64(n) / sum
	}
	t := make([]aliasEntry, n)
	var small, large []int32
	for i, x := range p {
		if x < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		t[s] = aliasEntry{uint32(p[s] * (1 << 32)), l}
		p[l] -= 1 - p[s]
		if p[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		t[i] = aliasEntry{math.MaxUint32, i}
	}
	return t
}

// sample draws a word from the alias table using one 64-bit random value.
func sample(t []aliasEntry, x uint64) int32 {
	i := (x >> 32) * uint64(len(t)) >> 32
	e := t[i]
	if uint32(x) < e.prob {
		return int32(i)
	}
	return e.alias
}

// huffman builds word2vec.c's binary tree over the counts (which must be
// sorted in descending order) and returns each word's code and the inner
// nodes on its path from the root.
func huffman(counts []int64) ([][]byte, [][]int32) {
	V := len(counts)
	count := make([]int64, 2*V)
	binary := make([]byte, 2*V)
	parent := make([]int32, 2*V)
	copy(count, counts)
	for i := V; i < 2*V; i++ {
		count[i] = math.MaxInt64 / 4
	}
	pos1, pos2 := V-1, V
	pick := func() int {
		if pos1 >= 0 && count[pos1] < count[pos2] {
			pos1--
			return pos1 + 1
		}
		pos2++
		return pos2 - 1
	}
	for a := 0; a < V-1; a++ {
		min1 := pick()
		min2 := pick()
		count[V+a] = count[min1] + count[min2]
		parent[min1] = int32(V + a)
		parent[min2] = int32(V + a)
		binary[min2] = 1
	}
	codes := make([][]byte, V)
	points := make([][]int32, V)
	var code []byte
	var point []int32
	for a := 0; a < V; a++ {
		code, point = code[:0], point[:0]
		for b := a; b != 2*V-2; b = int(parent[b]) {
			code = append(code, binary[b])
			point = append(point, int32(b))
		}
		n := len(code)
		codes[a] = make([]byte, n)
		points[a] = make([]int32, n)
		// Reverse: root first; point ids become inner-node ids (minus V).
		if n > 0 {
			points[a][0] = int32(V - 2)
		}
		for k := 0; k < n; k++ {
			codes[a][n-k-1] = code[k]
			if k > 0 {
				points[a][n-k] = point[k] - int32(V)
			}
		}
	}
	return codes, points
}

// run trains with cfg.Threads goroutines, each on its own slice of the
// sentences.
func (m *model) run(ctx context.Context) error {
	cfg := m.cfg
	T := cfg.Threads
	ends := m.corpus.Ends
	// Split sentences into T runs of about equal token counts.
	bounds := make([]int, T+1)
	for t := 1; t < T; t++ {
		target := int32(int64(len(m.corpus.IDs)) * int64(t) / int64(T))
		lo := bounds[t-1]
		for lo < len(ends) && ends[lo] < target {
			lo++
		}
		bounds[t] = lo
	}
	bounds[T] = len(ends)

	start := time.Now()
	total := m.totalWords * int64(cfg.Epochs)
	rawPerID := float64(m.corpus.Tokens) / float64(len(m.corpus.IDs))
	report := func() Progress {
		done := m.done.Load()
		el := time.Since(start)
		p := Progress{Done: float64(done) / float64(total), Words: int64(float64(done) * rawPerID), Elapsed: el}
		p.Epoch = int(done/max(m.totalWords, 1)) + 1
		if p.Epoch > cfg.Epochs {
			p.Epoch = cfg.Epochs
		}
		p.Alpha = m.alphaAt(done)
		if s := el.Seconds(); s > 0 {
			p.WordsPerSec = float64(p.Words) / s
		}
		return p
	}

	var wg sync.WaitGroup
	finished := make(chan struct{})
	go func() {
		tick := time.NewTicker(cfg.ProgressEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				m.stop.Store(true)
				return
			case <-finished:
				return
			case <-tick.C:
				if cfg.Progress != nil {
					cfg.Progress(report())
				}
			}
		}
	}()
	for t := 0; t < T; t++ {
		wg.Add(1)
		go func(t int) {
			defer wg.Done()
			w := newWorker(m, t)
			for ep := 0; ep < cfg.Epochs && !m.stop.Load(); ep++ {
				w.epoch(bounds[t], bounds[t+1])
			}
		}(t)
	}
	wg.Wait()
	close(finished)
	if err := ctx.Err(); err != nil {
		return err
	}
	if cfg.Progress != nil {
		cfg.Progress(report())
	}
	return nil
}

// alphaAt is word2vec.c's linear decay, floored at 1e-4 of the start.
func (m *model) alphaAt(done int64) float64 {
	a := m.cfg.Alpha * (1 - float64(done)/float64(int64(m.cfg.Epochs)*m.totalWords+1))
	return max(a, m.cfg.Alpha*1e-4)
}

type worker struct {
	m       *model
	r       rng
	sen     []int32
	targets []int32
	ctx     []int32 // CBOW context rows
	neu1    []float32
	neu1e   []float32
}

func newWorker(m *model, t int) *worker {
	return &worker{
		m:       m,
		r:       newRNG(m.cfg.Seed, t),
		sen:     make([]int32, 0, maxSentence),
		targets: make([]int32, 0, m.cfg.Negative+1),
		ctx:     make([]int32, 0, 2*m.cfg.Window),
		neu1:    make([]float32, m.ld),
		neu1e:   make([]float32, m.ld),
	}
}

// updateEvery is how many words a thread trains between refreshing alpha
// and publishing its progress (word2vec.c uses 10000).
const updateEvery = 10000

// epoch trains one pass over sentences [s0, s1).
func (w *worker) epoch(s0, s1 int) {
	m := w.m
	c := m.corpus
	alpha := float32(m.alphaAt(m.done.Load()))
	pending := int64(0)
	prev := int32(0)
	if s0 > 0 {
		prev = c.Ends[s0-1]
	}
	for s := s0; s < s1; s++ {
		end := c.Ends[s]
		ids := c.IDs[prev:end]
		prev = end
		pending += int64(len(ids))
		if pending >= updateEvery {
			if m.stop.Load() {
				return
			}
			alpha = float32(m.alphaAt(m.done.Add(pending)))
			pending = 0
		}
		// Subsample frequent words.
		sen := w.sen[:0]
		for _, id := range ids {
			if uint32(w.r.next()>>32) < m.keep[id] {
				sen = append(sen, id)
			}
		}
		w.sen = sen
		if m.cfg.CBOW {
			w.cbow(sen, alpha)
		} else {
			w.skipgram(sen, alpha)
		}
	}
	m.done.Add(pending)
}

// expScale maps f+maxExp to a table index; like word2vec.c's
// EXP_TABLE_SIZE / MAX_EXP / 2 it is an integer division (83, not 83.3).
const expScale = expTableSize / maxExp / 2

// gradient returns word2vec.c's (label − σ(f))·alpha from the table, with σ
// taken as 0 below −maxExp and 1 from maxExp up. It computes the index as
// the assembly kernel does, so both give the same g.
func (m *model) gradient(f float32, label float32, alpha float32) float32 {
	x := (f + maxExp) * expScale
	if !(x >= 0) {
		return label * alpha
	}
	if x >= 2*maxExp*expScale {
		return (label - 1) * alpha
	}
	return (label - m.expTab[int(x)]) * alpha
}

func (w *worker) skipgram(sen []int32, alpha float32) {
	m := w.m
	d := m.ld
	win := m.cfg.Window
	neg := m.cfg.Negative
	syn0 := m.syn0
	neu1e := w.neu1e
	for pos, word := range sen {
		b := int((w.r.next() >> 32) * uint64(win) >> 32)
		lo, hi := pos-win+b, pos+win-b
		if lo < 0 {
			lo = 0
		}
		if hi >= len(sen) {
			hi = len(sen) - 1
		}
		for c := lo; c <= hi; c++ {
			if c == pos {
				continue
			}
			last := int(sen[c])
			h := syn0[last*d : last*d+d]
			if m.res {
				// h and its gradient stay in registers; h += e at the end.
				t := w.drawTargets(word)
				negRes(d/16, &h[0], &neu1e[0], &m.syn1n[0], &t[0], len(t), alpha, &m.expTab[0], 1)
				continue
			}
			clear(neu1e)
			if m.cfg.HS {
				w.hs(h, word, alpha)
			}
			if neg > 0 {
				w.negative(h, word, alpha)
			}
			axpy(1, neu1e, h)
		}
	}
}

// negative runs negative sampling for predicting word from hidden vector
// h (a row of ld floats), accumulating the gradient for h into w.neu1e:
// the positive word first, then cfg.Negative draws from the unigram^0.75
// distribution, skipping draws equal to word as word2vec.c does.
func (w *worker) negative(h []float32, word int32, alpha float32) {
	m := w.m
	t := w.drawTargets(word)
	d := m.ld
	if useAVX512 {
		negAVX512(&h[0], &w.neu1e[0], &m.syn1n[0], &t[0], len(t), d/16, alpha, &m.expTab[0])
		return
	}
	label := float32(1)
	for _, target := range t {
		wv := m.syn1n[int(target)*d : int(target)*d+d]
		if g := m.gradient(dot(h, wv), label, alpha); g != 0 {
			dual(g, wv, h, w.neu1e)
		}
		label = 0
	}
}

// drawTargets returns word followed by cfg.Negative draws from the
// unigram^0.75 distribution, leaving out draws equal to word.
func (w *worker) drawTargets(word int32) []int32 {
	m := w.m
	t := append(w.targets[:0], word)
	for k := 0; k < m.cfg.Negative; k++ {
		if s := sample(m.alias, w.r.next()); s != word {
			t = append(t, s)
		}
	}
	w.targets = t
	return t
}

// hs runs hierarchical softmax for predicting word from hidden vector h,
// accumulating into w.neu1e.
func (w *worker) hs(h []float32, word int32, alpha float32) {
	m := w.m
	d := m.ld
	code := m.codes[word]
	for k, p := range m.points[word] {
		wv := m.syn1[int(p)*d : int(p)*d+d]
		f := dot(h, wv)
		if f <= -maxExp || f >= maxExp {
			continue
		}
		g := (1 - float32(code[k]) - m.expTab[int((f+maxExp)*expScale)]) * alpha
		dual(g, wv, h, w.neu1e)
	}
}

func (w *worker) cbow(sen []int32, alpha float32) {
	m := w.m
	d := m.ld
	win := m.cfg.Window
	neg := m.cfg.Negative
	syn0 := m.syn0
	neu1, neu1e := w.neu1, w.neu1e
	for pos, word := range sen {
		b := int((w.r.next() >> 32) * uint64(win) >> 32)
		lo, hi := pos-win+b, pos+win-b
		if lo < 0 {
			lo = 0
		}
		if hi >= len(sen) {
			hi = len(sen) - 1
		}
		if hi == lo { // only the centre word
			continue
		}
		if useAVX512 {
			ctx := w.ctx[:0]
			for c := lo; c <= hi; c++ {
				if c != pos {
					ctx = append(ctx, sen[c])
				}
			}
			w.ctx = ctx
			meanAVX512(&neu1[0], &syn0[0], &ctx[0], len(ctx), d/16, 1/float32(len(ctx)))
		} else {
			clear(neu1)
			for c := lo; c <= hi; c++ {
				if c != pos {
					last := int(sen[c])
					axpy(1, syn0[last*d:last*d+d], neu1)
				}
			}
			inv := 1 / float32(hi-lo)
			for i := range neu1 {
				neu1[i] *= inv
			}
		}
		if m.res {
			t := w.drawTargets(word)
			negRes(d/16, &neu1[0], &neu1e[0], &m.syn1n[0], &t[0], len(t), alpha, &m.expTab[0], 0)
		} else {
			clear(neu1e)
			if m.cfg.HS {
				w.hs(neu1, word, alpha)
			}
			if neg > 0 {
				w.negative(neu1, word, alpha)
			}
		}
		if useAVX512 {
			addRowsAVX512(&neu1e[0], &syn0[0], &w.ctx[0], len(w.ctx), d/16)
			continue
		}
		for c := lo; c <= hi; c++ {
			if c != pos {
				last := int(sen[c])
				axpy(1, neu1e, syn0[last*d:last*d+d])
			}
		}
	}
}
