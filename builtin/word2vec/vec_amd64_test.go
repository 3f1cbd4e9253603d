//go:build !purego

package word2vec

import (
	"math"
	"math/rand"
	"testing"
)

func TestKernelsMatchGo(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2+FMA: only the Go kernels run")
	}
	r := rand.New(rand.NewSource(1))
	fill := func(n int) []float32 {
		x := make([]float32, n+2)
		for i := range x {
			x[i] = r.Float32()*2 - 1
		}
		x[0], x[n+1] = float32(math.NaN()), float32(math.NaN()) // guards
		return x
	}
	for n := 0; n <= 70; n++ {
		a, b := fill(n), fill(n)
		got, want := dotAVX2(a[1:n+1], b[1:n+1]), dotGo(a[1:n+1], b[1:n+1])
		if math.Abs(float64(got-want)) > 1e-5*float64(n+1) {
			t.Fatalf("dot n=%d: %v want %v", n, got, want)
		}
		y1, y2 := fill(n), fill(n)
		copy(y2, y1)
		axpyAVX2(0.3, a[1:n+1], y1[1:n+1])
		axpyGo(0.3, a[1:n+1], y2[1:n+1])
		w1, w2, e1, e2 := fill(n), fill(n), fill(n), fill(n)
		copy(w2, w1)
		copy(e2, e1)
		dualAVX2(-0.7, w1[1:n+1], a[1:n+1], e1[1:n+1])
		dualGo(-0.7, w2[1:n+1], a[1:n+1], e2[1:n+1])
		for i := 1; i <= n; i++ {
			if math.Abs(float64(y1[i]-y2[i])) > 1e-6 || math.Abs(float64(w1[i]-w2[i])) > 1e-6 || math.Abs(float64(e1[i]-e2[i])) > 1e-6 {
				t.Fatalf("n=%d i=%d: axpy %v/%v w %v/%v e %v/%v", n, i, y1[i], y2[i], w1[i], w2[i], e1[i], e2[i])
			}
		}
		for _, g := range [][]float32{y1, w1, e1} {
			if !math.IsNaN(float64(g[0])) || !math.IsNaN(float64(g[n+1])) {
				t.Fatalf("n=%d: write outside the slice", n)
			}
		}
	}
}

func TestNegAVX512MatchesGo(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512")
	}
	const V, ld = 50, 112
	r := rand.New(rand.NewSource(2))
	m := &model{cfg: Config{Negative: 5}, ld: ld, dim: 100}
	for i := range m.expTab {
		x := math.Exp((float64(i)/expTableSize*2 - 1) * maxExp)
		m.expTab[i] = float32(x / (x + 1))
	}
	rows := func(n int, scale float32) []float32 {
		x := make([]float32, n*ld)
		for i := range x {
			if i%ld < 100 {
				x[i] = (r.Float32()*2 - 1) * scale
			}
		}
		return x
	}
	for trial, scale := range []float32{0.01, 0.3, 1, 3} {
		syn1 := rows(V, scale)
		h := rows(1, scale)
		targets := []int32{3, 7, 7, 0, 49, 12} // a repeat, and the first and last rows
		syn1Go := append([]float32(nil), syn1...)
		eAsm, eGo := make([]float32, ld), make([]float32, ld)
		negAVX512(&h[0], &eAsm[0], &syn1[0], &targets[0], len(targets), ld/16, 0.025, &m.expTab[0])
		label := float32(1)
		for _, tg := range targets {
			wv := syn1Go[int(tg)*ld : int(tg)*ld+ld]
			if g := m.gradient(dotGo(h, wv), label, 0.025); g != 0 {
				dualGo(g, wv, h, eGo)
			}
			label = 0
		}
		for i := range syn1 {
			if math.Abs(float64(syn1[i]-syn1Go[i])) > 1e-5 {
				t.Fatalf("trial %d: syn1[%d] %v vs %v", trial, i, syn1[i], syn1Go[i])
			}
		}
		for i := range eAsm {
			if math.Abs(float64(eAsm[i]-eGo[i])) > 1e-5 {
				t.Fatalf("trial %d: e[%d] %v vs %v", trial, i, eAsm[i], eGo[i])
			}
			if i >= 100 && (eAsm[i] != 0 || syn1[ld+i] != 0) {
				t.Fatalf("trial %d: padding %d became non-zero", trial, i)
			}
		}
	}
}

func TestMeanAddRowsAVX512(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512")
	}
	const V, ld = 20, 48
	r := rand.New(rand.NewSource(3))
	syn0 := make([]float32, V*ld)
	for i := range syn0 {
		syn0[i] = r.Float32() - 0.5
	}
	rows := []int32{4, 0, 19, 4}
	dst := make([]float32, ld)
	meanAVX512(&dst[0], &syn0[0], &rows[0], len(rows), ld/16, 0.25)
	for j := 0; j < ld; j++ {
		var s float32
		for _, r := range rows {
			s += syn0[int(r)*ld+j]
		}
		if math.Abs(float64(dst[j]-s*0.25)) > 1e-6 {
			t.Fatalf("mean[%d] = %v, want %v", j, dst[j], s*0.25)
		}
	}
	want := append([]float32(nil), syn0...)
	for _, r := range rows {
		axpyGo(1, dst, want[int(r)*ld:int(r)*ld+ld])
	}
	addRowsAVX512(&dst[0], &syn0[0], &rows[0], len(rows), ld/16)
	for i := range syn0 {
		if math.Abs(float64(syn0[i]-want[i])) > 1e-6 {
			t.Fatalf("addRows: syn0[%d] = %v, want %v", i, syn0[i], want[i])
		}
	}
}

func TestNegResMatchesGo(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512")
	}
	r := rand.New(rand.NewSource(4))
	m := &model{}
	for i := range m.expTab {
		x := math.Exp((float64(i)/expTableSize*2 - 1) * maxExp)
		m.expTab[i] = float32(x / (x + 1))
	}
	const V = 30
	for chunks := 1; chunks <= maxResChunks; chunks++ {
		ld := 16 * chunks
		for _, addH := range []int{0, 1} {
			for _, scale := range []float32{0.05, 0.5, 4} {
				syn1 := make([]float32, V*ld)
				h := make([]float32, ld)
				for i := range syn1 {
					syn1[i] = (r.Float32()*2 - 1) * scale
				}
				for i := range h {
					h[i] = (r.Float32()*2 - 1) * scale
				}
				targets := []int32{5, 29, 0, 5, 17, 3}
				syn1Go, hGo := append([]float32(nil), syn1...), append([]float32(nil), h...)
				e, eGo := make([]float32, ld), make([]float32, ld)
				for i := range e {
					e[i] = 99 // must be overwritten (addH 0) or left alone (addH 1)
				}
				negRes(chunks, &h[0], &e[0], &syn1[0], &targets[0], len(targets), 0.025, &m.expTab[0], addH)
				label := float32(1)
				for _, tg := range targets {
					wv := syn1Go[int(tg)*ld : int(tg)*ld+ld]
					if g := m.gradient(dotGo(hGo, wv), label, 0.025); g != 0 {
						dualGo(g, wv, hGo, eGo)
					}
					label = 0
				}
				if addH == 1 {
					axpyGo(1, eGo, hGo)
				}
				near := func(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-5*(1+math.Abs(float64(b))) }
				for i := range syn1 {
					if !near(syn1[i], syn1Go[i]) {
						t.Fatalf("chunks %d addH %d scale %v: syn1[%d] %v vs %v", chunks, addH, scale, i, syn1[i], syn1Go[i])
					}
				}
				for i := range h {
					if !near(h[i], hGo[i]) {
						t.Fatalf("chunks %d addH %d: h[%d] %v vs %v", chunks, addH, i, h[i], hGo[i])
					}
					if addH == 0 && !near(e[i], eGo[i]) || addH == 1 && e[i] != 99 {
						t.Fatalf("chunks %d addH %d: e[%d] %v vs %v", chunks, addH, i, e[i], eGo[i])
					}
				}
			}
		}
	}
}
