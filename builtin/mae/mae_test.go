package mae

import (
	"testing"

	"github.com/pretrain-go/pretrain/builtin/vit"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

func tiny(t *testing.T) *MAE {
	t.Helper()
	obj, err := task.NewObjective("mae", task.Config{Seed: 3, Options: map[string]string{
		"image": "8", "patch": "2", "dim": "16", "layers": "1", "heads": "2", "dec_dim": "8", "dec_layers": "1", "dec_heads": "2", "pad": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*MAE)
}

func TestMasksAndShapes(t *testing.T) {
	m := tiny(t)
	if m.Visible() != 4 {
		t.Fatalf("visible %d of 16, want 4", m.Visible())
	}
	b := &data.Batch{Size: 2, Epoch: 1, Step: 5}
	a, c := m.Masks(b), m.Masks(b)
	b.Step = 6
	d := m.Masks(b)
	same := func(x, y [][]int) bool {
		for i := range x {
			for j := range x[i] {
				if x[i][j] != y[i][j] {
					return false
				}
			}
		}
		return true
	}
	if !same(a, c) || same(a, d) || same(a[:1], a[1:]) {
		t.Fatal("masks must depend on (seed, epoch, step) only and differ between rows and steps")
	}
}

// TestLossTargetsOnlyMaskedPatches: changing a visible patch's pixels
// changes the encoder input but not the targets; the target is exactly
// the normalised masked patch.
func TestLossTargetsOnlyMaskedPatches(t *testing.T) {
	m := tiny(t)
	set := data.SyntheticImages(2, 8, 2, 1)
	m.Collate.Set = set
	b := m.Collate.Images([]int{0, 1}, nil)
	ord := m.Masks(b)
	_, tgt := m.Reconstruct(b, ord)
	patches := vit.Patchify(b.Images, 2, 1, 8, 8, 2)
	p := ord[1][4] // first masked patch of row 1
	want := append([]float32(nil), patches[(16+p)*4:(16+p+1)*4]...)
	normalise(want)
	got := tgt.Float32s()[(1*12+0)*4 : (1*12+1)*4]
	for i := range want {
		if d := want[i] - got[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("target %v, want %v", got, want)
		}
	}
}

// TestTrainingReducesLoss: a few AdamW steps on synthetic images lower the
// loss, and every parameter gets a gradient.
func TestTrainingReducesLoss(t *testing.T) {
	m := tiny(t)
	m.Collate.Set = data.SyntheticImages(64, 8, 4, 2)
	checkTrains(t, m, m.Collate)
	idx := make([]int, 32)
	b := m.Collate.Images(idx, nil)
	b.Scope = tensor.NewScope().NoGrad()
	if m.Loss(b).RequiresGrad() {
		t.Fatal("loss under a NoGrad scope requires grad")
	}
}

func TestBadConfig(t *testing.T) {
	for _, opts := range []map[string]string{{"mask_ratio": "1"}, {"patch": "5"}, {"dec_dim": "10"}, {"dim": "x"}} {
		if _, err := task.NewObjective("mae", task.Config{Options: opts}); err == nil {
			t.Errorf("options %v accepted", opts)
		}
	}
}

// checkTrains runs 60 AdamW steps of obj on batches of 32 of coll's 64
// images and checks that every parameter gets a gradient at the first and
// that the loss falls by a fifth.
func checkTrains(t *testing.T, obj task.Objective, coll *data.ImageCollator) {
	t.Helper()
	mod := obj.Module()
	opt := optim.NewAdamW(optim.Groups(mod.NamedParameters(), 3e-3, 0.05), optim.AdamConfig{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8})
	idx := make([]int, 32)
	var first, last float32
	for step := 0; step < 60; step++ {
		for i := range idx {
			idx[i] = (step*32 + i) % 64
		}
		b := coll.Images(idx, nil)
		b.Step = step
		l := obj.Loss(b)
		l.Backward()
		if step == 0 {
			for _, p := range mod.NamedParameters() {
				if p.Tensor.Grad() == nil {
					t.Fatalf("no gradient for %s", p.Name)
				}
			}
			first = l.Item()
		}
		last = l.Item()
		opt.Step()
		opt.ZeroGrad()
	}
	if !(last < 0.8*first) {
		t.Fatalf("loss %g -> %g, want a drop of 20%%", first, last)
	}
}
