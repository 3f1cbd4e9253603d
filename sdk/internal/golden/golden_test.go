package golden

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// goldenDirs are the committed golden folders, relative to this package.
var goldenDirs = map[string][]string{
	"../../tensor/testdata/golden": {"cross_entropy", "cross_entropy_plain", "gelu", "gelu_tanh", "log_softmax", "softmax"},
	"../../nn/testdata/golden":     {"layernorm", "linear", "lstm", "mha_causal", "mha_padded", "rmsnorm", "transformer_block"},
	"../../optim/testdata/golden":  {"adagrad", "adam", "adamw", "lamb", "sgd_momentum", "sgd_nesterov"},
}

func mustLoad(t *testing.T, path string) *Case {
	t.Helper()
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "case.json")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCommittedFiles loads every committed golden file and checks the naming
// contract of tools/torchgolden/README.md: each forward case has out, gout of
// the same shape and a grad.<name> of the right shape for every float input;
// each optimizer case has 5 steps of grads and parameters.
func TestCommittedFiles(t *testing.T) {
	for dir, want := range goldenDirs {
		paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range paths {
			got = append(got, strings.TrimSuffix(filepath.Base(p), ".json"))
		}
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: cases %v, want %v", dir, got, want)
		}
		for _, p := range paths {
			if st, err := os.Stat(p); err == nil && st.Size() > 60*1024 {
				t.Errorf("%s: %d bytes, over the 60 KiB budget", p, st.Size())
			}
			c := mustLoad(t, p)
			if c.Name+".json" != filepath.Base(p) {
				t.Errorf("%s: case name %q does not match the file", p, c.Name)
			}
			for _, n := range c.TensorNames() {
				_, d := c.Tensor(n)
				for i, v := range d {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Errorf("%s: %s[%d] = %v", p, n, i, v)
					}
				}
			}
			if strings.HasSuffix(dir, "optim/testdata/golden") {
				checkOptimNames(t, c)
			} else {
				checkForwardNames(t, c)
			}
		}
	}
}

func checkForwardNames(t *testing.T, c *Case) {
	t.Helper()
	oshape, _ := c.Tensor("out")
	gshape, _ := c.Tensor("gout")
	if fmt.Sprint(oshape) != fmt.Sprint(gshape) {
		t.Errorf("%s: out %v and gout %v differ in shape", c.Name, oshape, gshape)
	}
	nonDiff := map[string]bool{"out": true, "gout": true, "targets": true, "key_mask": true}
	for _, n := range c.TensorNames() {
		if nonDiff[n] || strings.HasPrefix(n, "grad.") {
			continue
		}
		g, ok := c.Lookup("grad." + n)
		if !ok {
			t.Errorf("%s: input %q has no grad.%s", c.Name, n, n)
			continue
		}
		s, _ := c.Tensor(n)
		if fmt.Sprint(s) != fmt.Sprint(g.Shape) {
			t.Errorf("%s: %s %v but grad %v", c.Name, n, s, g.Shape)
		}
	}
}

func checkOptimNames(t *testing.T, c *Case) {
	t.Helper()
	if c.Attr("steps") != 5 || c.Attr("lr") <= 0 {
		t.Errorf("%s: steps %v lr %v", c.Name, c.Attr("steps"), c.Attr("lr"))
	}
	for _, p := range []string{"w", "b"} {
		s0, _ := c.Tensor(p)
		for k := 1; k <= 5; k++ {
			for _, n := range []string{fmt.Sprintf("grad.step%d.%s", k, p), fmt.Sprintf("%s.step%d", p, k)} {
				s, _ := c.Tensor(n)
				if fmt.Sprint(s) != fmt.Sprint(s0) {
					t.Errorf("%s: %s %v, want %v", c.Name, n, s, s0)
				}
			}
		}
	}
}

// TestFilesFollowConventions recomputes a few cases in float64 from the
// stored inputs, independently of torch, so a file that drifts from the
// documented conventions (layout of weight, normalisation, optimizer update)
// fails here even before the SDK packages exist.
func TestFilesFollowConventions(t *testing.T) {
	t.Run("linear", func(t *testing.T) {
		c := mustLoad(t, "../../nn/testdata/golden/linear.json")
		xs, x := c.Tensor("x")
		ws, w := c.Tensor("weight")
		_, b := c.Tensor("bias")
		_, gout := c.Tensor("gout")
		in, out := ws[1], ws[0]
		rows := len(x) / in
		if xs[len(xs)-1] != in {
			t.Fatalf("x %v vs weight %v", xs, ws)
		}
		y := make([]float32, rows*out)
		gx := make([]float32, len(x))
		gw := make([]float32, len(w))
		gb := make([]float32, len(b))
		for r := 0; r < rows; r++ {
			for o := 0; o < out; o++ {
				s := float64(b[o])
				for i := 0; i < in; i++ {
					s += float64(x[r*in+i]) * float64(w[o*in+i])
				}
				y[r*out+o] = float32(s)
			}
		}
		for o := 0; o < out; o++ {
			var sb float64
			for r := 0; r < rows; r++ {
				sb += float64(gout[r*out+o])
			}
			gb[o] = float32(sb)
			for i := 0; i < in; i++ {
				var s float64
				for r := 0; r < rows; r++ {
					s += float64(gout[r*out+o]) * float64(x[r*in+i])
				}
				gw[o*in+i] = float32(s)
			}
		}
		for r := 0; r < rows; r++ {
			for i := 0; i < in; i++ {
				var s float64
				for o := 0; o < out; o++ {
					s += float64(gout[r*out+o]) * float64(w[o*in+i])
				}
				gx[r*in+i] = float32(s)
			}
		}
		for name, got := range map[string][]float32{"out": y, "grad.x": gx, "grad.weight": gw, "grad.bias": gb} {
			_, want := c.Tensor(name)
			AssertClose(t, name, got, want, 1e-6)
		}
	})
	t.Run("rmsnorm", func(t *testing.T) {
		c := mustLoad(t, "../../nn/testdata/golden/rmsnorm.json")
		_, x := c.Tensor("x")
		_, w := c.Tensor("weight")
		eps := c.Attr("eps")
		d := len(w)
		y := make([]float32, len(x))
		for r := 0; r < len(x)/d; r++ {
			var ss float64
			for i := 0; i < d; i++ {
				v := float64(x[r*d+i])
				ss += v * v
			}
			inv := 1 / math.Sqrt(ss/float64(d)+eps)
			for i := 0; i < d; i++ {
				y[r*d+i] = float32(float64(x[r*d+i]) * inv * float64(w[i]))
			}
		}
		_, want := c.Tensor("out")
		AssertClose(t, "out", y, want, 1e-6)
	})
	t.Run("softmax", func(t *testing.T) {
		c := mustLoad(t, "../../tensor/testdata/golden/softmax.json")
		xs, x := c.Tensor("x")
		d := xs[len(xs)-1]
		y := make([]float32, len(x))
		for r := 0; r < len(x)/d; r++ {
			m := math.Inf(-1)
			for i := 0; i < d; i++ {
				m = math.Max(m, float64(x[r*d+i]))
			}
			var s float64
			for i := 0; i < d; i++ {
				s += math.Exp(float64(x[r*d+i]) - m)
			}
			for i := 0; i < d; i++ {
				y[r*d+i] = float32(math.Exp(float64(x[r*d+i])-m) / s)
			}
		}
		_, want := c.Tensor("out")
		AssertClose(t, "out", y, want, 1e-6)
	})
	t.Run("sgd_momentum", func(t *testing.T) {
		c := mustLoad(t, "../../optim/testdata/golden/sgd_momentum.json")
		lr, mu, wd := c.Attr("lr"), c.Attr("momentum"), c.Attr("weight_decay")
		for _, p := range []string{"w", "b"} {
			_, w0 := c.Tensor(p)
			w := toF64(w0)
			buf := make([]float64, len(w))
			for k := 1; k <= 5; k++ {
				_, g := c.Tensor(fmt.Sprintf("grad.step%d.%s", k, p))
				for i := range w {
					gi := float64(g[i]) + wd*w[i]
					if k == 1 {
						buf[i] = gi
					} else {
						buf[i] = mu*buf[i] + gi
					}
					w[i] -= lr * buf[i]
				}
				_, want := c.Tensor(fmt.Sprintf("%s.step%d", p, k))
				AssertClose(t, fmt.Sprintf("%s.step%d", p, k), toF32(w), want, 1e-6)
			}
		}
	})
	t.Run("lamb", func(t *testing.T) {
		c := mustLoad(t, "../../optim/testdata/golden/lamb.json")
		lr, b1, b2 := c.Attr("lr"), c.Attr("beta1"), c.Attr("beta2")
		eps, wd := c.Attr("eps"), c.Attr("weight_decay")
		for _, p := range []string{"w", "b"} {
			_, w0 := c.Tensor(p)
			w := toF64(w0)
			m := make([]float64, len(w))
			v := make([]float64, len(w))
			u := make([]float64, len(w))
			for k := 1; k <= 5; k++ {
				_, g := c.Tensor(fmt.Sprintf("grad.step%d.%s", k, p))
				var wn, un float64
				for i := range w {
					gi := float64(g[i])
					m[i] = b1*m[i] + (1-b1)*gi
					v[i] = b2*v[i] + (1-b2)*gi*gi
					mh := m[i] / (1 - math.Pow(b1, float64(k)))
					vh := v[i] / (1 - math.Pow(b2, float64(k)))
					u[i] = mh/(math.Sqrt(vh)+eps) + wd*w[i]
					wn += w[i] * w[i]
					un += u[i] * u[i]
				}
				r := 1.0
				if wn > 0 && un > 0 {
					r = math.Sqrt(wn) / math.Sqrt(un)
				}
				for i := range w {
					w[i] -= lr * r * u[i]
				}
				_, want := c.Tensor(fmt.Sprintf("%s.step%d", p, k))
				AssertClose(t, fmt.Sprintf("%s.step%d", p, k), toF32(w), want, 1e-6)
			}
		}
	})
}

func toF64(a []float32) []float64 {
	r := make([]float64, len(a))
	for i, v := range a {
		r[i] = float64(v)
	}
	return r
}

func toF32(a []float64) []float32 {
	r := make([]float32, len(a))
	for i, v := range a {
		r[i] = float32(v)
	}
	return r
}

func TestLoadSmallCase(t *testing.T) {
	p := writeTemp(t, `{"case": "tiny", "attrs": {"eps": 1e-05},
 "tensors": {"x": {"shape": [2, 2], "data": [0.1, -2.5, 3.4028235e+38, 1e-45]},
  "loss": {"shape": [], "data": [0.75]}}}`)
	c := mustLoad(t, p)
	if c.Name != "tiny" || c.Path != p {
		t.Errorf("name %q path %q", c.Name, c.Path)
	}
	shape, data := c.Tensor("x")
	if fmt.Sprint(shape) != "[2 2]" {
		t.Errorf("shape %v", shape)
	}
	// Values must parse straight to float32, with no double rounding.
	want := []float32{0.1, -2.5, math.MaxFloat32, math.SmallestNonzeroFloat32}
	for i := range want {
		if data[i] != want[i] {
			t.Errorf("data[%d] = %v, want %v", i, data[i], want[i])
		}
	}
	if s, d := c.Tensor("loss"); len(s) != 0 || len(d) != 1 || d[0] != 0.75 {
		t.Errorf("scalar: shape %v data %v", s, d)
	}
	if c.Attr("eps") != 1e-5 || !c.HasAttr("eps") || c.HasAttr("lr") {
		t.Errorf("attrs %v", c.AttrNames())
	}
	if s := c.String(); !strings.Contains(s, "tiny") || !strings.Contains(s, "2 tensors") {
		t.Errorf("String() = %q", s)
	}
	if _, ok := c.Lookup("y"); ok {
		t.Error("Lookup found a missing tensor")
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"syntax", "{\"case\": \"a\",\n \"tensors\": {\"x\": {\"shape\": [1], \"data\": [1,]}}}", ":2:"},
		{"type", "{\"case\": \"a\",\n\n \"tensors\": {\"x\": {\"shape\": [1], \"data\": [\"one\"]}}}", ":3:"},
		{"count", `{"case": "a", "tensors": {"x": {"shape": [2, 3], "data": [1, 2]}}}`, "shape [2 3] (6 values) but 2 data values"},
		{"negative", `{"case": "a", "tensors": {"x": {"shape": [-1], "data": []}}}`, "negative dimension"},
		{"noshape", `{"case": "a", "tensors": {"x": {"data": [1]}}}`, "needs both"},
		{"noname", `{"tensors": {"x": {"shape": [1], "data": [1]}}}`, "missing \"case\""},
		{"empty", `{"case": "a", "tensors": {}}`, "no tensors"},
		{"unknown", `{"case": "a", "tensor": {}}`, "unknown field"},
		{"trailing", `{"case": "a", "tensors": {"x": {"shape": [], "data": [1]}}} {}`, "trailing data"},
	}
	for _, tc := range cases {
		p := writeTemp(t, tc.text)
		_, err := Load(p)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q should name the file and contain %q", tc.name, err, tc.want)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v", err)
	}
}

func TestMissingPanics(t *testing.T) {
	c := mustLoad(t, writeTemp(t, `{"case": "a", "attrs": {"lr": 0.1}, "tensors": {"x": {"shape": [1], "data": [1]}}}`))
	for _, f := range []func(){func() { c.Tensor("y") }, func() { c.Attr("eps") }} {
		func() {
			defer func() {
				var me *MissingError
				r := recover()
				err, _ := r.(error)
				if !errors.As(err, &me) {
					t.Fatalf("panic value %v, want *MissingError", r)
				}
				if !strings.Contains(me.Error(), c.Path) || len(me.Have) != 1 {
					t.Errorf("message %q", me.Error())
				}
			}()
			f()
		}()
	}
}

func TestMaxScaledError(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	cases := []struct {
		got, want []float32
		err       float64
		idx       int
	}{
		{[]float32{1, 2, 3}, []float32{1, 2, 3}, 0, 0},
		{[]float32{0.5, 0.25}, []float32{0.5, 0.5}, 0.25, 1},       // scale floor is 1
		{[]float32{100, -50.5}, []float32{100, -50}, 0.5 / 100, 1}, // scaled by max|want|
		{[]float32{1, nan}, []float32{1, 1}, math.Inf(1), 1},       // NaN fails
		{[]float32{1, 2}, []float32{1}, math.Inf(1), -1},           // length
		{[]float32{inf, 1}, []float32{inf, 1}, 0, 0},               // equal infinities
		{[]float32{inf, 1}, []float32{-inf, 1}, math.Inf(1), 0},    // opposite infinities
		{[]float32{}, []float32{}, 0, 0},                           // empty
	}
	for i, tc := range cases {
		err, idx := MaxScaledError(tc.got, tc.want)
		if math.Abs(err-tc.err) > 1e-12 && !(math.IsInf(err, 1) && math.IsInf(tc.err, 1)) || idx != tc.idx {
			t.Errorf("case %d: got (%v, %d), want (%v, %d)", i, err, idx, tc.err, tc.idx)
		}
	}
}

// recorder is a testing.TB that records Errorf calls instead of failing.
type recorder struct {
	testing.TB
	msgs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func TestAssertClose(t *testing.T) {
	r := &recorder{}
	AssertClose(r, "ok", []float32{1, 2, 1000}, []float32{1, 2, 1000.005}, 1e-5)
	if len(r.msgs) != 0 {
		t.Errorf("within tolerance but reported: %v", r.msgs)
	}
	AssertClose(r, "bad", []float32{1, 2.1, 3}, []float32{1, 2, 3}, 1e-5)
	if len(r.msgs) != 1 || !strings.Contains(r.msgs[0], "bad") || !strings.Contains(r.msgs[0], "index 1") {
		t.Errorf("failure report %v should name the tensor and index 1", r.msgs)
	}
	r.msgs = nil
	AssertClose(r, "len", []float32{1}, []float32{1, 2}, 1e-5)
	if len(r.msgs) != 1 || !strings.Contains(r.msgs[0], "got 1 values, want 2") {
		t.Errorf("length report %v", r.msgs)
	}
}
