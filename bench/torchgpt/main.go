// Command torchgpt compares this project's GPT and BERT training with
// PyTorch 1.13 (shared/bench/torch_gpt.py) on the same CPU.
//
// Subcommands:
//
//	export  -dir D [-steps 200]       initial weights of gpt-tiny and bert-tiny
//	                                  (safetensors) and a fixed batch stream
//	train   -dir D -model gpt|bert    our 200 AdamW steps from those weights;
//	                                  one loss per line to D/go_MODEL.txt
//	compare -dir D                    max deviation of D/go_MODEL.txt from
//	                                  D/torch_MODEL.txt, and D/parity.svg
//	speed   -model gpt-tiny|gpt-small|bert-tiny -threads T [-bf16]
//	                                  training tokens/s, peak RSS and MFU
//
// bench/torchgpt/run.sh runs them next to parity.py and torch_gpt.py.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pretrain-go/pretrain/builtin/bert"
	"github.com/pretrain-go/pretrain/builtin/gpt"
	"github.com/pretrain-go/pretrain/builtin/lm"
	"github.com/pretrain-go/pretrain/builtin/presets"
	"github.com/pretrain-go/pretrain/kernels"
	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/nn"
	"github.com/pretrain-go/pretrain/sdk/optim"
	"github.com/pretrain-go/pretrain/sdk/task"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// The parity batch shape is torch_gpt.py's tiny: 16 rows of 128 tokens.
const (
	batch  = 16
	seqLen = 128
	lr     = 3e-4
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: torchgpt export|train|compare|speed [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", "", "parity work directory")
	model := fs.String("model", "gpt", "gpt or bert (train, compare); a preset (speed)")
	steps := fs.Int("steps", 200, "steps")
	threads := fs.Int("threads", 1, "kernel threads")
	warmup := fs.Int("warmup", 3, "untimed steps (speed)")
	bf16 := fs.Bool("bf16", false, "bf16 matmuls with f32 master weights (speed)")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	fs.Parse(os.Args[2:])
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "torchgpt:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	kernels.SetThreads(*threads)
	runtime.GOMAXPROCS(max(*threads, 1))
	var err error
	switch os.Args[1] {
	case "export":
		err = export(*dir, *steps)
	case "train":
		err = trainParity(*dir, *model, *steps)
	case "compare":
		err = compare(*dir)
	case "speed":
		err = speed(*model, *threads, *steps, *warmup, *bf16)
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "torchgpt:", err)
		os.Exit(1)
	}
}

func tinyGPT() (*gpt.Model, error) { return gpt.New(presets.GPTTiny(), tensor.NewRNG(42)) }

func tinyBERT() (*bert.Model, error) { return bert.New(bert.Tiny(), tensor.NewRNG(43)) }

// writeInts writes int32 little-endian values.
func writeInts(path string, v []int) error {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(int32(x)))
	}
	return os.WriteFile(path, b, 0o644)
}

func readInts(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v := make([]int, len(b)/4)
	for i := range v {
		v[i] = int(int32(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return v, nil
}

// export writes the initial weights and the batches of both models: for
// gpt, rows of seqLen+1 ids (inputs and next-token targets) from
// markovRow; for bert, such rows after BERT masking (inputs and labels, the
// collator's, so both sides see the same masks).
func export(dir string, steps int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	g, err := tinyGPT()
	if err != nil {
		return err
	}
	b, err := tinyBERT()
	if err != nil {
		return err
	}
	if err := checkpoint.Save(filepath.Join(dir, "gpt_init.safetensors"), g.StateDict(), nil); err != nil {
		return err
	}
	if err := checkpoint.Save(filepath.Join(dir, "bert_init.safetensors"), b.StateDict(), nil); err != nil {
		return err
	}
	v := presets.GPTTiny().VocabSize
	rng := data.NewRNG(2026)
	rows := make([]int, steps*batch*(seqLen+1))
	for r := 0; r < len(rows); r += seqLen + 1 {
		markovRow(rows[r:r+seqLen+1], v-1, rng)
	}
	if err := writeInts(filepath.Join(dir, "gpt_rows.bin"), rows); err != nil {
		return err
	}
	col, err := data.NewMLMCollator(mlmConfig(v))
	if err != nil {
		return err
	}
	var in, lab []int
	seqs := make([][]int, batch)
	for s := 0; s < steps; s++ {
		for r := range seqs {
			seqs[r] = make([]int, seqLen)
			markovRow(seqs[r], v-1, rng)
		}
		bt, err := col.Collate(seqs, rng)
		if err != nil {
			return err
		}
		in = append(in, bt.InputIDs...)
		lab = append(lab, bt.Labels...)
	}
	if err := writeInts(filepath.Join(dir, "bert_inputs.bin"), in); err != nil {
		return err
	}
	return writeInts(filepath.Join(dir, "bert_labels.bin"), lab)
}

// markovRow fills row with random ids below n that follow a simple rule
// the models can learn in a few hundred steps: each id is the previous one
// plus 1 to 4 (mod n), so the best possible loss is ln 4 = 1.386 and the
// curves fall from ln n = 8.3, which exercises the training dynamics (on
// uniformly random ids the loss could only sit at ln n).
func markovRow(row []int, n int, rng *data.RNG) {
	row[0] = rng.Intn(n)
	for i := 1; i < len(row); i++ {
		row[i] = (row[i-1] + 1 + rng.Intn(4)) % n
	}
}

// mlmConfig is torch_gpt.py's masking: the last id is [MASK], 15% of
// tokens, 80/10/10 (random ids drawn from the whole vocabulary).
func mlmConfig(v int) data.MLMConfig {
	c := data.DefaultMLMConfig(v, v-1, 0)
	c.SpecialIDs = nil
	c.SeqLen = seqLen
	return c
}

// adamW is torch.optim.AdamW(params, lr) on every parameter: betas (0.9,
// 0.999), eps 1e-8, weight decay 0.01 on all of them, as torch_gpt.py.
func adamW(m nn.Module) optim.Optimizer {
	return optim.NewAdamW([]*optim.Group{optim.NewGroup("all", m.NamedParameters(), lr, 0.01)}, optim.DefaultAdam())
}

func trainParity(dir, model string, steps int) error {
	var (
		mod  nn.Module
		loss func(sc *tensor.Scope, s int) *tensor.Tensor
	)
	switch model {
	case "gpt":
		g, err := tinyGPT()
		if err != nil {
			return err
		}
		rows, err := readInts(filepath.Join(dir, "gpt_rows.bin"))
		if err != nil {
			return err
		}
		ids, tg := make([]int, batch*seqLen), make([]int, batch*seqLen)
		mod, loss = g, func(sc *tensor.Scope, s int) *tensor.Tensor {
			for r := 0; r < batch; r++ {
				row := rows[(s*batch+r)*(seqLen+1):][:seqLen+1]
				copy(ids[r*seqLen:], row[:seqLen])
				copy(tg[r*seqLen:], row[1:])
			}
			return g.Loss(sc, ids, tg, batch, seqLen)
		}
	case "bert":
		b, err := tinyBERT()
		if err != nil {
			return err
		}
		in, err := readInts(filepath.Join(dir, "bert_inputs.bin"))
		if err != nil {
			return err
		}
		lab, err := readInts(filepath.Join(dir, "bert_labels.bin"))
		if err != nil {
			return err
		}
		obj := lm.NewMLMFor(b, nil)
		mod, loss = b, func(sc *tensor.Scope, s int) *tensor.Tensor {
			n := batch * seqLen
			return obj.Loss(&data.Batch{Size: batch, SeqLen: seqLen, InputIDs: in[s*n : (s+1)*n], Labels: lab[s*n : (s+1)*n], Scope: sc})
		}
	default:
		return fmt.Errorf("model %q: want gpt or bert", model)
	}
	sd, _, err := checkpoint.Load(filepath.Join(dir, model+"_init.safetensors"))
	if err != nil {
		return err
	}
	if err := mod.LoadStateDict(sd); err != nil {
		return err
	}
	opt := adamW(mod)
	arena := tensor.NewArena()
	stepScope := tensor.NewScope().WithArena(arena)
	var sb strings.Builder
	for s := 0; s < steps; s++ {
		t := loss(stepScope, s)
		l := t.Item()
		t.Backward()
		arena.Reset()
		opt.Step()
		opt.ZeroGrad()
		fmt.Fprintf(&sb, "%.6f\n", l)
	}
	return os.WriteFile(filepath.Join(dir, "go_"+model+".txt"), []byte(sb.String()), 0o644)
}

func readLosses(path string) ([]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []float64
	for i, f := range strings.Fields(string(b)) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// compare prints the largest per-step deviation of our losses from
// PyTorch's and draws both curves of both models into parity.svg.
func compare(dir string) error {
	type pair struct {
		name      string
		ours, ref []float64
	}
	var ps []pair
	for _, m := range []string{"gpt", "bert"} {
		ours, err := readLosses(filepath.Join(dir, "go_"+m+".txt"))
		if err != nil {
			return err
		}
		ref, err := readLosses(filepath.Join(dir, "torch_"+m+".txt"))
		if err != nil {
			return err
		}
		n := min(len(ours), len(ref))
		var maxAbs, maxRel float64
		at := 0
		for i := 0; i < n; i++ {
			d := math.Abs(ours[i] - ref[i])
			if d > maxAbs {
				maxAbs, at = d, i
			}
			maxRel = math.Max(maxRel, d/math.Abs(ref[i]))
		}
		fmt.Printf("PARITY %s-tiny steps=%d first_loss go=%.5f torch=%.5f last_loss go=%.5f torch=%.5f max_abs_dev=%.2e (step %d) max_rel_dev=%.2e\n",
			m, n, ours[0], ref[0], ours[n-1], ref[n-1], maxAbs, at+1, maxRel)
		ps = append(ps, pair{m + "-tiny", ours[:n], ref[:n]})
	}
	// Two panels side by side: each shows torch (thick, light) under ours
	// (thin, dark), so identical curves look like one outlined line.
	const w, h, pad = 480, 320, 50
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", 2*w, h)
	for k, p := range ps {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range [][]float64{p.ours, p.ref} {
			for _, v := range s {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if hi <= lo {
			hi = lo + 1 // a flat curve still gets a y axis
		}
		x0 := float64(k * w)
		px := func(i int) float64 { return x0 + pad + float64(i)/float64(len(p.ours)-1)*(w-2*pad) }
		py := func(v float64) float64 { return h - pad - (v-lo)/(hi-lo)*(h-2*pad) }
		fmt.Fprintf(&sb, `<rect x="%g" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>`+"\n", x0+pad, pad, w-2*pad, h-2*pad)
		fmt.Fprintf(&sb, `<text x="%g" y="20" font-weight="bold">%s training loss, f32, same init and batches</text>`+"\n", x0+pad, p.name)
		fmt.Fprintf(&sb, `<text x="%g" y="38"><tspan fill="#e08a10">PyTorch 1.13 (wide)</tspan> vs <tspan fill="#1f4e9c">pretrain (thin)</tspan></text>`+"\n", x0+pad)
		fmt.Fprintf(&sb, `<text x="%g" y="%d">step 1</text><text x="%g" y="%d" text-anchor="end">step %d</text>`+"\n", x0+pad, h-pad+16, x0+w-pad, h-pad+16, len(p.ours))
		fmt.Fprintf(&sb, `<text x="%g" y="%g" text-anchor="end">%.2f</text><text x="%g" y="%g" text-anchor="end">%.2f</text>`+"\n", x0+pad-4, py(hi)+4, hi, x0+pad-4, py(lo)+4, lo)
		for j, s := range [][]float64{p.ref, p.ours} {
			var pts []string
			for i, v := range s {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(i), py(v)))
			}
			style := `stroke="#f4a340" stroke-width="5"`
			if j == 1 {
				style = `stroke="#1f4e9c" stroke-width="1.2"`
			}
			fmt.Fprintf(&sb, `<polyline fill="none" %s points="%s"/>`+"\n", style, strings.Join(pts, " "))
		}
	}
	sb.WriteString("</svg>\n")
	return os.WriteFile(filepath.Join(dir, "parity.svg"), []byte(sb.String()), 0o644)
}

// cpuTime is the process's user plus system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// speed trains a preset on random ids as torch_gpt.py does (same batch,
// AdamW, the objective's own loss: clm for gpt, mlm for bert) and prints
// tokens/s per step (median, min, max after warm-up), tokens per CPU
// second (median; on a shared machine the fairer 1-thread figure, since
// time spent waiting for a core is not counted), peak RSS and MFU.
// fmaPeak is the one-core f32 FMA peak measured on the project's machine
// (bench/run_gemm.sh, fma_peak zmm), the denominator of MFU.
const fmaPeak = 235e9

func speed(preset string, threads, steps, warmup int, bf16 bool) error {
	p, err := presets.Lookup(preset)
	if err != nil {
		return err
	}
	var name string
	var v, t, bsz, layers, dim int
	switch {
	case p.GPT != nil:
		name, v, t, layers, dim = "clm", p.GPT.VocabSize, p.GPT.ContextLen, p.GPT.Layers, p.GPT.Dim
	case p.BERT != nil:
		name, v, t, layers, dim = "mlm", p.BERT.VocabSize, p.BERT.ContextLen, p.BERT.Layers, p.BERT.Dim
	default:
		return fmt.Errorf("speed: %s is not a gpt or bert preset", preset)
	}
	bsz = 2048 / t // torch_gpt.py: 16×128 (tiny), 8×256 (small)
	obj, err := task.NewObjective(name, task.Config{VocabSize: v, SeqLen: t, Seed: 1, Model: preset, Special: map[string]int{"mask": v - 1}})
	if err != nil {
		return err
	}
	m := obj.Module()
	opt := adamW(m)
	rng := data.NewRNG(7)
	seqs := make([][]int, bsz)
	arena := tensor.NewArena()
	stepScope := tensor.NewScope().WithArena(arena)
	if bf16 {
		stepScope = stepScope.WithAutocast(tensor.BF16)
	}
	var tps, cps []float64 // tokens per wall second and per CPU second
	var fwd, bwd, ost []time.Duration
	var last float32
	for s := 0; s < warmup+steps; s++ {
		for r := range seqs {
			row := make([]int, t)
			for j := range row {
				row[j] = rng.Intn(v - 1)
			}
			seqs[r] = row
		}
		b, err := obj.Collator().Collate(seqs, rng)
		if err != nil {
			return err
		}
		c0 := cpuTime()
		t0 := time.Now()
		b.Scope = stepScope
		l := obj.Loss(b)
		t1 := time.Now()
		l.Backward()
		last = l.Item()
		t2 := time.Now()
		opt.Step()
		opt.ZeroGrad()
		arena.Reset()
		t3 := time.Now()
		if s >= warmup {
			tps = append(tps, float64(bsz*t)/t3.Sub(t0).Seconds())
			cps = append(cps, float64(bsz*t)/(cpuTime()-c0).Seconds())
			fwd, bwd, ost = append(fwd, t1.Sub(t0)), append(bwd, t2.Sub(t1)), append(ost, t3.Sub(t2))
		}
	}
	med := func(x []float64) float64 {
		y := append([]float64(nil), x...)
		sort.Float64s(y)
		return y[len(y)/2]
	}
	medD := func(x []time.Duration) float64 {
		f := make([]float64, len(x))
		for i, d := range x {
			f[i] = float64(d) / 1e6
		}
		return med(f)
	}
	mn, mx := math.Inf(1), 0.0
	for _, x := range tps {
		mn, mx = math.Min(mn, x), math.Max(mx, x)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	// FLOPs per token as in DESIGN.md: 6N + 12·L·d·T (attention scores and
	// weighted values, forward and backward), against this machine's
	// measured one-core f32 FMA peak (bench/gemm fma_peak, zmm: 235
	// GFLOP/s) for both precisions: bf16 products run on AMX, whose peak
	// no register loop measures.
	n := m.NumParams()
	flops := 6*float64(n) + 12*float64(layers*dim*t)
	peak := fmaPeak * float64(threads)
	prec := "f32"
	if bf16 {
		prec = "bf16"
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("RESULT pretrain config=%s mode=%s prec=%s threads=%d params=%d tokens_per_step=%d steps=%d "+
		"tok_per_s_median=%.0f min=%.0f max=%.0f tok_per_cpu_s=%.0f fwd_ms=%.1f bwd_ms=%.1f opt_ms=%.1f final_loss=%.3f peak_rss_kb=%d mfu=%.1f%% loadavg=%s\n",
		preset, name, prec, threads, n, bsz*t, steps, med(tps), mn, mx, med(cps), medD(fwd), medD(bwd), medD(ost), last, ru.Maxrss,
		100*med(tps)*flops/peak, strings.Fields(string(load))[0])
	return nil
}
