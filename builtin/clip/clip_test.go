package clip

import (
	"math"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
)

func tiny(t *testing.T, classes string) *CLIP {
	t.Helper()
	obj, err := task.NewObjective("clip", task.Config{Seed: 4, Options: map[string]string{
		"image": "8", "patch": "4", "dim": "16", "layers": "1", "heads": "2", "text_dim": "16", "text_layers": "1", "embed": "16", "pad": "0", "classes": classes}})
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*CLIP)
}

func TestCaptionsAndVocab(t *testing.T) {
	if got := Caption("a photo of {a} {}", "ankle boot"); got != "a photo of an ankle boot" {
		t.Fatalf("caption %q", got)
	}
	v := NewVocab([]string{"t-shirt", "bag"})
	ids := v.Encode("A photo of the T-shirt, zebra")
	if len(ids) != 6 || ids[5] != 1 || v.Words[ids[4]] != "t-shirt" {
		t.Fatalf("ids %v", ids)
	}
	// Zero-shot phrasings are never training phrasings.
	for _, z := range ZeroShotTemplates() {
		for _, tr := range Templates() {
			if z == tr {
				t.Fatalf("zero-shot template %q is used in training", z)
			}
		}
	}
}

// TestLossIsSymmetricInfoNCE checks the loss against a direct float64
// computation from the embeddings and the temperature.
func TestLossIsSymmetricInfoNCE(t *testing.T) {
	m := tiny(t, "shape 0,shape 1,shape 2")
	m.Collate.Images.Set = data.SyntheticImages(6, 8, 3, 1)
	b, err := m.Collate.Collate([][]int{{0}, {1}, {2}, {3}}, data.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	img, txt := m.ImageEmbeddings(b).Float32s(), m.TextEmbeddings(b).Float32s()
	n, e := 4, 16
	sc := math.Exp(float64(m.LogitScale.Data()[0]))
	lg := make([][]float64, n)
	for i := range lg {
		lg[i] = make([]float64, n)
		for j := range lg[i] {
			for k := 0; k < e; k++ {
				lg[i][j] += float64(img[i*e+k]) * float64(txt[j*e+k])
			}
			lg[i][j] *= sc
		}
	}
	var want float64
	for i := 0; i < n; i++ {
		var r, c float64
		for j := 0; j < n; j++ {
			r += math.Exp(lg[i][j])
			c += math.Exp(lg[j][i])
		}
		want += (math.Log(r) - lg[i][i] + math.Log(c) - lg[i][i]) / 2
	}
	want /= float64(n)
	if got := float64(m.Loss(b).Item()); math.Abs(got-want) > 1e-4 {
		t.Fatalf("loss %g, want %g", got, want)
	}
	// Unit vectors.
	var norm float64
	for k := 0; k < e; k++ {
		norm += float64(img[k]) * float64(img[k])
	}
	if math.Abs(norm-1) > 1e-5 {
		t.Fatalf("image embedding norm² %g", norm)
	}
}

// TestLearnsZeroShot: a short training run on synthetic shapes makes
// zero-shot classification from held-out prompt phrasings beat chance by
// far, and the temperature gets a gradient.
func TestLearnsZeroShot(t *testing.T) {
	m := tiny(t, "stripe,bar,line,edge")
	set := data.SyntheticImages(256, 8, 4, 3)
	m.Collate.Images.Set = set
	opt := optim.NewAdamW(optim.Groups(m.NamedParameters(), 3e-3, 0.01), optim.AdamConfig{Beta1: 0.9, Beta2: 0.98, Eps: 1e-6})
	rng := data.NewRNG(5)
	for step := 0; step < 150; step++ {
		rows := make([][]int, 32)
		for i := range rows {
			rows[i] = []int{rng.Intn(set.N)}
		}
		b, err := m.Collate.Collate(rows, rng)
		if err != nil {
			t.Fatal(err)
		}
		m.Loss(b).Backward()
		if step == 0 && m.LogitScale.Grad() == nil {
			t.Fatal("no gradient for logit_scale")
		}
		opt.Step()
		opt.ZeroGrad()
	}
	test := data.SyntheticImages(200, 8, 4, 9)
	b := (&data.ImageCollator{Set: test, Mean: 0.5, Std: 0.5}).Images(seq(200), nil)
	pred := m.ZeroShot(b)
	right := 0
	for i, p := range pred {
		if p == test.Labels[i] {
			right++
		}
	}
	if acc := float64(right) / 200; acc < 0.6 {
		t.Fatalf("zero-shot accuracy %.2f after training, want >= 0.6 (chance 0.25)", acc)
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
