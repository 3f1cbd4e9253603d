package mae

import (
	"math"
	"strings"
	"testing"

	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/task"
)

func tinyDAE(t *testing.T, opts map[string]string) *DAE {
	t.Helper()
	o := map[string]string{"image": "8", "patch": "2", "dim": "16", "layers": "1", "heads": "2", "dec_dim": "8", "dec_layers": "1", "dec_heads": "2", "pad": "0"}
	for k, v := range opts {
		o[k] = v
	}
	obj, err := task.NewObjective("image-dae", task.Config{Seed: 3, Options: o})
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*DAE)
}

// TestDAENoiseAndTargets: the noise is drawn from (seed, epoch, step) with
// the configured σ, reaches the encoder's input, and never the targets,
// which are the clean normalised patches.
func TestDAENoiseAndTargets(t *testing.T) {
	m := tinyDAE(t, map[string]string{"noise": "0.3"})
	if m.Name() != "image-dae" || m.Noise != 0.3 || m.MaskToken != nil {
		t.Fatalf("%v: name %q noise %g mask token %v", m, m.Name(), m.Noise, m.MaskToken)
	}
	for _, p := range m.NamedParameters() {
		if strings.Contains(p.Name, "mask_token") {
			t.Fatal("the denoiser has no mask token")
		}
	}
	m.Collate.Set = data.SyntheticImages(64, 8, 4, 1)
	b := m.Collate.Images(seq(32), nil)
	b.Epoch, b.Step = 1, 5
	z1, z2 := m.NoiseFor(b), m.NoiseFor(b)
	b.Step = 6
	z3 := m.NoiseFor(b)
	var sq float64
	for i, v := range z1 {
		if v != z2[i] {
			t.Fatal("the noise must depend on (seed, epoch, step) only")
		}
		sq += float64(v) * float64(v)
	}
	if z1[0] == z3[0] && z1[1] == z3[1] {
		t.Fatal("the noise must differ between steps")
	}
	if std := math.Sqrt(sq / float64(len(z1))); math.Abs(std-0.3) > 0.02 {
		t.Fatalf("noise std %g, want 0.3", std)
	}
	clean := make([]float32, len(z1))
	p0, t0 := m.Reconstruct(b, clean)
	p1, t1 := m.Reconstruct(b, z1)
	if got := t0.Shape(); len(got) != 3 || got[0] != 32 || got[1] != 16 || got[2] != 4 {
		t.Fatalf("target shape %v, want [32 16 4]", got)
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	if !same(t0.Float32s(), t1.Float32s()) {
		t.Fatal("the noise reached the targets")
	}
	if same(p0.Float32s(), p1.Float32s()) {
		t.Fatal("the noise did not reach the encoder")
	}
	// The first target patch is image 0's top-left 2×2 block, normalised.
	img := b.Images
	want := []float32{img[0], img[1], img[8], img[9]}
	normalise(want)
	for i, v := range want {
		if d := v - t0.Float32s()[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("target %v, want %v", t0.Float32s()[:4], want)
		}
	}
}

// TestDAETrainingReducesLoss: AdamW steps lower the loss and every
// parameter gets a gradient.
func TestDAETrainingReducesLoss(t *testing.T) {
	m := tinyDAE(t, nil)
	m.Collate.Set = data.SyntheticImages(64, 8, 4, 2)
	checkTrains(t, m, m.Collate)
}

func TestDAEBadConfig(t *testing.T) {
	for _, opts := range []map[string]string{{"noise": "0"}, {"noise": "-1"}, {"noise": "x"}, {"noise": "NaN"}, {"mask_ratio": "0.5"}, {"dec_dim": "10"}, {"patch": "5"}} {
		_, err := task.NewObjective("image-dae", task.Config{Options: opts})
		if err == nil || !strings.Contains(err.Error(), "image-dae") && !strings.Contains(err.Error(), "vit") {
			t.Errorf("options %v: error %v", opts, err)
		}
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
