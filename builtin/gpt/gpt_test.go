package gpt_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func newTiny(t testing.TB, cfg gpt.Config) *gpt.Model {
	m, err := gpt.New(cfg, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParameterNamesAndCount(t *testing.T) {
	cfg := gpt.Tiny()
	m := newTiny(t, cfg)
	names := map[string][]int{}
	for _, p := range m.NamedParameters() {
		names[p.Name] = p.Tensor.Shape()
	}
	d, v, c, h := cfg.Dim, cfg.VocabSize, cfg.ContextLen, cfg.MLPHidden
	want := map[string][]int{
		"wte.weight": {v, d}, "wpe.weight": {c, d},
		"blocks.0.attn.qkv.weight": {3 * d, d}, "blocks.1.mlp.fc1.weight": {h, d}, "blocks.1.mlp.fc2.weight": {d, h},
		"ln_f.weight": {d}, "ln_f.bias": {d},
	}
	for k, s := range want {
		if fmt.Sprint(names[k]) != fmt.Sprint(s) {
			t.Errorf("%s: shape %v, want %v", k, names[k], s)
		}
	}
	if _, ok := names["head.weight"]; ok {
		t.Errorf("a tied model has no head.weight")
	}
	block := 4*d + (3*d*d + 3*d) + (d*d + d) + (h*d + h) + (d*h + d)
	if n, w := m.NumParams(), v*d+c*d+cfg.Layers*block+2*d; n != w {
		t.Errorf("NumParams = %d, want %d", n, w)
	}
	cfg.TiedEmbeddings = false
	u := newTiny(t, cfg)
	if u.NumParams() != m.NumParams()+v*d || u.Head == nil {
		t.Errorf("untied model: %d params", u.NumParams())
	}
	if s := m.String(); !strings.HasPrefix(s, "GPT(vocab=256, ctx=64, dim=32, layers=2, heads=2, params=") {
		t.Errorf("String() = %q", s)
	}
	if s := cfg.String(); !strings.Contains(s, "tied=false") {
		t.Errorf("Config.String() = %q", s)
	}
}

func TestForwardShapeCausalityAndDeterminism(t *testing.T) {
	m := newTiny(t, gpt.Tiny())
	ids := []int{72, 101, 108, 108, 111, 32, 119, 111, 114, 108} // two rows of 5
	logits := m.Forward(nil, ids, 2, 5)
	if s := logits.Shape(); fmt.Sprint(s) != "[2 5 256]" {
		t.Fatalf("logits shape %v", s)
	}
	again := newTiny(t, gpt.Tiny()).Forward(nil, ids, 2, 5)
	if fmt.Sprint(again.Data()) != fmt.Sprint(logits.Data()) {
		t.Errorf("the same seed gave different logits")
	}
	ids2 := append([]int(nil), ids...)
	ids2[4] = 0 // last token of row 0
	l2 := m.Forward(nil, ids2, 2, 5).Data()
	for pos := 0; pos < 5; pos++ {
		row := logits.Data()[pos*256 : (pos+1)*256]
		changed := fmt.Sprint(row) != fmt.Sprint(l2[pos*256:(pos+1)*256])
		if changed != (pos == 4) {
			t.Errorf("position %d changed=%t after editing the last token", pos, changed)
		}
	}
	// With tied embeddings, the logits are the hidden states times wteᵀ.
	h := m.Hidden(nil, ids, 2, 5)
	want := tensor.MatMulT(h, m.WTE.Weight, false, true)
	if fmt.Sprint(want.Data()) != fmt.Sprint(logits.Data()) {
		t.Errorf("tied head differs from hidden·wteᵀ")
	}
}

func TestForwardMisuse(t *testing.T) {
	m := newTiny(t, gpt.Tiny())
	check := func(name string, fn func(), target any) {
		t.Helper()
		defer func() {
			r := recover()
			err, ok := r.(error)
			if !ok || !errors.As(err, target) {
				t.Errorf("%s: panicked with %T %v", name, r, r)
			}
		}()
		fn()
	}
	var se *nn.ShapeError
	check("wrong id count", func() { m.Forward(nil, make([]int, 7), 2, 4) }, &se)
	if se == nil || !strings.HasPrefix(se.Error(), "nn.GPT.Forward: shape mismatch: [7] and [2,4]") {
		t.Errorf("message %v", se)
	}
	check("too long", func() { m.Forward(nil, make([]int, 65), 1, 65) }, &se)
	var ie *tensor.IndexError
	check("id outside vocab", func() { m.Forward(nil, []int{256}, 1, 1) }, &ie)
	for _, bad := range []gpt.Config{
		{VocabSize: 256, ContextLen: 8, Dim: 30, Layers: 1, Heads: 4},
		{VocabSize: 0, ContextLen: 8, Dim: 32, Layers: 1, Heads: 4},
		{VocabSize: 256, ContextLen: 8, Dim: 32, Layers: 1, Heads: 4, Dropout: 1},
	} {
		if _, err := gpt.New(bad, tensor.NewRNG(1)); err == nil {
			t.Errorf("New(%v) gave no error", bad)
		}
	}
}

func TestDropoutOnlyInTraining(t *testing.T) {
	cfg := gpt.Tiny()
	cfg.Dropout = 0.2
	m := newTiny(t, cfg)
	ids := []int{1, 2, 3, 4}
	a, b := m.Forward(nil, ids, 1, 4).Data(), m.Forward(nil, ids, 1, 4).Data()
	if fmt.Sprint(a) == fmt.Sprint(b) {
		t.Errorf("training mode with dropout gave identical logits")
	}
	m.Train(false)
	a, b = m.Forward(nil, ids, 1, 4).Data(), m.Forward(nil, ids, 1, 4).Data()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("eval mode is not deterministic")
	}
}

// trainer runs full-batch AdamW steps with an arena that recycles the
// activation and gradient buffers of each step.
type trainer struct {
	m     *gpt.Model
	opt   optim.Optimizer
	arena *tensor.Arena
	scope *tensor.Scope // the step's scope, naming arena
	ids   []int
	tgt   []int
	batch int
	seq   int
}

func newTrainer(t testing.TB, text []byte) *trainer {
	cfg := gpt.Tiny()
	m := newTiny(t, cfg)
	ids, tgt, batch := gpt.ByteWindows(text, cfg.ContextLen)
	opt := optim.NewAdamW(optim.SplitDecay(m.NamedParameters(), 5e-3, 0), optim.AdamConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8})
	return &trainer{m: m, opt: opt, arena: tensor.NewArena(), ids: ids, tgt: tgt, batch: batch, seq: cfg.ContextLen}
}

// step runs one training step and returns its loss.
func (tr *trainer) step() float32 {
	if tr.scope.Arena() != tr.arena {
		tr.scope = tensor.NewScope().WithArena(tr.arena)
	}
	l := tr.m.Loss(tr.scope, tr.ids, tr.tgt, tr.batch, tr.seq)
	loss := l.Item()
	l.Backward()
	if tr.arena != nil {
		tr.arena.Reset()
	}
	tr.opt.Step()
	tr.opt.ZeroGrad()
	return loss
}

// TestOverfitsTwoKilobytes is acceptance item 3: a 2-layer GPT built from
// sdk/nn memorises 2 KB of Pride and Prejudice to a loss below 0.1.
func TestOverfitsTwoKilobytes(t *testing.T) {
	text, err := os.ReadFile("testdata/pride2k.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(text) != 2048 {
		t.Fatalf("test text has %d bytes, want 2048", len(text))
	}
	if pureGo {
		// The portable kernels make the 2 KB run cost about 35 s of CPU;
		// the default build runs it in full, and a quarter of the text
		// still checks that training converges on the portable kernels.
		text = text[:512]
	}
	tr := newTrainer(t, text)
	first := tr.step()
	var loss float32
	steps := 1
	for ; steps < 400; steps++ {
		tr.step()
		if steps%10 == 9 { // the loss of the whole text, after the update
			loss = tr.m.Loss(tensor.NewScope().NoGrad(), tr.ids, tr.tgt, tr.batch, tr.seq).Item()
			if loss < 0.1 {
				break
			}
		}
	}
	t.Logf("%d bytes: loss %.3f -> %.4f after %d full-batch steps (%d params, arena %s)", len(text), first, loss, steps+1, tr.m.NumParams(), tr.arena)
	if loss >= 0.1 {
		t.Fatalf("loss %.4f after %d steps, want < 0.1", loss, steps)
	}
}

// BenchmarkTrainStep is acceptance item 6: one full-batch training step
// of the tiny GPT (forward, backward, AdamW) on 31×64 tokens. "arena"
// recycles the activation and gradient buffers of each step through a
// tensor.Arena, as a training loop should; "heap" allocates them afresh,
// for comparison.
func BenchmarkTrainStep(b *testing.B) {
	text, err := os.ReadFile("testdata/pride2k.txt")
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"arena", "heap"} {
		b.Run(mode, func(b *testing.B) {
			tr := newTrainer(b, text)
			if mode == "heap" {
				tr.arena = nil
			}
			benchSteps(b, tr)
		})
	}
}

// BenchmarkTrainStepPeerTiny trains the "tiny" configuration of the PyTorch
// peer benchmark (../shared/bench/torch_gpt.py: vocab 4096, context 128,
// width 128, 4 layers, 4 heads, batch 16, tied embeddings, AdamW 3e-4,
// random token ids), so that tokens/s compare with its published figures.
func BenchmarkTrainStepPeerTiny(b *testing.B) {
	cfg := gpt.Config{VocabSize: 4096, ContextLen: 128, Dim: 128, Layers: 4, Heads: 4, TiedEmbeddings: true}
	m, err := gpt.New(cfg, tensor.NewRNG(1))
	if err != nil {
		b.Fatal(err)
	}
	rng := tensor.NewRNG(2)
	const batch = 16
	ids, tgt := make([]int, batch*cfg.ContextLen), make([]int, batch*cfg.ContextLen)
	for i := range ids {
		ids[i], tgt[i] = rng.Intn(cfg.VocabSize), rng.Intn(cfg.VocabSize)
	}
	opt := optim.NewAdamW(optim.SplitDecay(m.NamedParameters(), 3e-4, 0.01), optim.DefaultAdam())
	benchSteps(b, &trainer{m: m, opt: opt, arena: tensor.NewArena(), ids: ids, tgt: tgt, batch: batch, seq: cfg.ContextLen})
}

func benchSteps(b *testing.B, tr *trainer) {
	tr.step() // the first step fills the arena and the optimizer state
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.step()
	}
	b.ReportMetric(float64(tr.batch*tr.seq)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func TestStateDictRoundTrip(t *testing.T) {
	a := newTiny(t, gpt.Tiny())
	b, err := gpt.New(gpt.Tiny(), tensor.NewRNG(7))
	if err != nil {
		t.Fatal(err)
	}
	ids := []int{80, 114, 105, 100, 101}
	if fmt.Sprint(a.Forward(nil, ids, 1, 5).Data()) == fmt.Sprint(b.Forward(nil, ids, 1, 5).Data()) {
		t.Fatal("different seeds gave the same model")
	}
	sd := a.StateDict()
	if len(sd) != 2+2*12+2 { // wte, wpe, 12 per block, ln_f
		t.Errorf("%d keys", len(sd))
	}
	if err := b.LoadStateDict(sd); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.Forward(nil, ids, 1, 5).Data()) != fmt.Sprint(b.Forward(nil, ids, 1, 5).Data()) {
		t.Errorf("loaded model differs")
	}
}

func ExampleNew() {
	m, err := gpt.New(gpt.Tiny(), tensor.NewRNG(1))
	if err != nil {
		panic(err)
	}
	fmt.Println(m)
	fmt.Println(m.Forward(nil, []int{'H', 'i'}, 1, 2).Shape())
	// Output:
	// GPT(vocab=256, ctx=64, dim=32, layers=2, heads=2, params=35712)
	// [1 2 256]
}

func TestByteWindows(t *testing.T) {
	text := []byte("abcdefghij") // 10 bytes
	ids, tgt, n := gpt.ByteWindows(text, 4)
	// windows at 0 and 4, then a last one ending at the text's end (5..8 -> 6..9)
	if n != 3 || fmt.Sprint(ids) != fmt.Sprint([]int{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'f', 'g', 'h', 'i'}) ||
		fmt.Sprint(tgt) != fmt.Sprint([]int{'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'g', 'h', 'i', 'j'}) {
		t.Errorf("got %d windows: %v -> %v", n, ids, tgt)
	}
	if _, _, n := gpt.ByteWindows([]byte("abcdefghi"), 4); n != 2 {
		t.Errorf("9 bytes, seq 4: %d windows, want 2 (no overlap needed)", n)
	}
	if _, _, n := gpt.ByteWindows([]byte("abcd"), 4); n != 0 {
		t.Errorf("too short: %d windows", n)
	}
}

// TestActivationAndEps: the configured activation and LayerNorm epsilon
// reach every block and ln_f.
func TestActivationAndEps(t *testing.T) {
	cfg := gpt.Tiny()
	cfg.Activation, cfg.Eps = nn.GELUTanh, 1e-6
	m, err := gpt.New(cfg, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range m.Blocks {
		if b.MLP.Act != nn.GELUTanh || b.LN1.Eps != 1e-6 || b.LN2.Eps != 1e-6 {
			t.Fatalf("block: act %s eps %g/%g", b.MLP.Act, b.LN1.Eps, b.LN2.Eps)
		}
	}
	if m.LNF.Eps != 1e-6 {
		t.Errorf("ln_f eps %g", m.LNF.Eps)
	}
	d, _ := gpt.New(gpt.Tiny(), tensor.NewRNG(1))
	if d.LNF.Eps != 1e-5 || d.Blocks[0].MLP.Act != nn.GELU {
		t.Errorf("defaults: eps %g act %s", d.LNF.Eps, d.Blocks[0].MLP.Act)
	}
	bad := gpt.Tiny()
	bad.Eps = -1
	if bad.Validate() == nil {
		t.Error("negative eps accepted")
	}
	bad = gpt.Tiny()
	bad.Activation = nn.Activation(42)
	if bad.Validate() == nil {
		t.Error("unknown activation accepted")
	}
}
