package lora

import (
	"errors"
	"testing"

	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func smallGPT(t *testing.T) *gpt.Model {
	t.Helper()
	m, err := gpt.New(gpt.Config{VocabSize: 50, ContextLen: 16, Dim: 32, Layers: 2, Heads: 2, TiedEmbeddings: true}, tensor.NewRNG(3))
	if err != nil {
		t.Fatal(err)
	}
	m.Train(false)
	return m
}

var ids = []int{1, 5, 9, 2, 7, 7, 3, 0, 11, 4, 8, 6}

func TestApplyFreezesBaseAndStartsAtBase(t *testing.T) {
	m := smallGPT(t)
	want := m.Hidden(nil, ids, 2, 6).Float32s()
	l, err := Apply(m, Config{Rank: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Adapters) != 8 { // 2 blocks × qkv, proj, fc1, fc2
		t.Fatalf("adapters = %d, want 8: %v", len(l.Adapters), l.Adapters)
	}
	for _, p := range m.Parameters() {
		if p.RequiresGrad() {
			t.Fatal("a base parameter still requires grad")
		}
	}
	l.Refresh()
	got := m.Hidden(nil, ids, 2, 6).Float32s()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("zero-initialised B changed the output at %d: %g vs %g", i, got[i], want[i])
		}
	}
}

func TestGradientsReachOnlyAdapters(t *testing.T) {
	m := smallGPT(t)
	l, err := Apply(m, Config{Rank: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range l.Adapters { // make B non-zero so A gets a gradient too
		copy(a.B.Data(), tensor.Randn(tensor.NewRNG(9), a.B.Shape()...).Data())
	}
	l.Refresh()
	m.Hidden(nil, ids, 2, 6).Pow(2).Mean().Backward()
	for _, a := range l.Adapters {
		if a.A.Grad() == nil || a.B.Grad() == nil {
			t.Fatalf("%s: no gradient on A or B", a.Name)
		}
		if a.Base.Grad() != nil {
			t.Fatalf("%s: frozen base got a gradient", a.Name)
		}
	}
}

func TestMergedPredictsLikeUnmerged(t *testing.T) {
	m := smallGPT(t)
	l, err := Apply(m, Config{Rank: 4, Alpha: 8, Dropout: 0.1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range l.Adapters {
		copy(a.B.Data(), tensor.Randn(tensor.NewRNG(uint64(10+i)), a.B.Shape()...).MulScalar(0.05).Data())
	}
	base := m.Hidden(nil, ids, 2, 6).Float32s()
	l.Train(false) // no adapter dropout at prediction
	l.Refresh()
	unmerged := m.Hidden(nil, ids, 2, 6).Float32s()
	l.Merge()
	merged := m.Hidden(nil, ids, 2, 6).Float32s()
	same := true
	for i := range unmerged {
		if merged[i] != unmerged[i] {
			t.Fatalf("merged output %d = %g, unmerged %g", i, merged[i], unmerged[i])
		}
		same = same && unmerged[i] == base[i]
	}
	if same {
		t.Fatal("adapters with non-zero B did not change the output; the test proves nothing")
	}
	// A merged model saves as a plain model: the same keys as before.
	if _, ok := m.StateDict()["blocks.0.attn.qkv.weight"]; !ok {
		t.Fatal("merged model lost its weight key")
	}
	var le *Error
	func() {
		defer func() { r := recover(); err, _ := r.(error); errors.As(err, &le) }()
		l.Refresh()
	}()
	if le == nil {
		t.Fatal("Refresh after Merge did not panic with *lora.Error")
	}
}

func TestParamFraction(t *testing.T) {
	m, err := gpt.New(gpt.Config{VocabSize: 4096, ContextLen: 128, Dim: 128, Layers: 4, Heads: 4, TiedEmbeddings: true}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	total := m.NumParams()
	l, err := Apply(m, Config{Rank: 4})
	if err != nil {
		t.Fatal(err)
	}
	if frac := float64(l.NumParams()) / float64(total); frac >= 0.05 || frac == 0 {
		t.Fatalf("LoRA trains %.2f%% of the parameters, want < 5%%", 100*frac)
	}
}

func TestApplyErrors(t *testing.T) {
	if _, err := Apply(nn.NewLayerNorm(4), Config{}); err == nil {
		t.Fatal("no error for a module without Linear layers")
	}
	if _, err := Apply(smallGPT(t), Config{Rank: 2, Dropout: 1}); err == nil {
		t.Fatal("no error for dropout 1")
	}
	if s := (Config{Rank: 2}).String(); s == "" {
		t.Fatal("empty String")
	}
}
