package vision

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
)

// Output files written by Write into the output directory.
const (
	ResultsMD   = "results.md"
	ResultsJSON = "results.json"
	PlotSVG     = "vision.svg"
)

// Cell is the mean and spread of one arm at one budget.
type Cell struct {
	Budget      int
	Mean, Std   float64
	Min, Max    float64
	Seeds       int
	Arm         string
	Accuracies  []float64
	BudgetLabel string
}

// Cells summarises the runs by arm and budget (in the order of the runs).
func (r *Report) Cells() []Cell {
	var out []Cell
	find := func(arm string, b int) *Cell {
		for i := range out {
			if out[i].Arm == arm && out[i].Budget == b {
				return &out[i]
			}
		}
		out = append(out, Cell{Arm: arm, Budget: b, BudgetLabel: budgetName(b, r.TrainImages), Min: math.Inf(1), Max: math.Inf(-1)})
		return &out[len(out)-1]
	}
	for _, run := range r.Runs {
		c := find(run.Arm, run.Budget)
		c.Accuracies = append(c.Accuracies, run.Accuracy)
	}
	for i := range out {
		c := &out[i]
		c.Seeds = len(c.Accuracies)
		for _, a := range c.Accuracies {
			c.Mean += a / float64(c.Seeds)
			c.Min, c.Max = math.Min(c.Min, a), math.Max(c.Max, a)
		}
		for _, a := range c.Accuracies {
			c.Std += (a - c.Mean) * (a - c.Mean) / float64(c.Seeds)
		}
		c.Std = math.Sqrt(c.Std)
	}
	return out
}

// budgets lists the budgets in run order.
func (r *Report) budgets() []int {
	var bs []int
	seen := map[int]bool{}
	for _, run := range r.Runs {
		if !seen[run.Budget] {
			seen[run.Budget] = true
			bs = append(bs, run.Budget)
		}
	}
	return bs
}

func (r *Report) cell(arm string, b int) Cell {
	for _, c := range r.Cells() {
		if c.Arm == arm && c.Budget == b {
			return c
		}
	}
	return Cell{Mean: math.NaN()}
}

// WriteTable prints the comparison as a Markdown table.
func (r *Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "| labels | %s ViT | from-scratch ViT | gain (points) |\n|---|---|---|---|\n", armName(r.arm()))
	for _, b := range r.budgets() {
		p, s := r.cell(r.arm(), b), r.cell("scratch", b)
		fmt.Fprintf(w, "| %s | %.2f%% ± %.2f | %.2f%% ± %.2f | %+.1f |\n", budgetName(b, r.TrainImages), 100*p.Mean, 100*p.Std, 100*s.Mean, 100*s.Std, 100*(p.Mean-s.Mean))
	}
	fmt.Fprintf(w, "\nTest accuracy on all %d test images after the last fine-tuning step (%s; mean ± std over %d seeds).\n", r.TestImages, r.Strategy, r.cell(r.arm(), r.budgets()[0]).Seeds)
	if !math.IsNaN(r.ZeroShot) {
		fmt.Fprintf(w, "CLIP zero-shot accuracy (held-out prompt phrasings, %d steps): %.2f%%\n", r.CLIPSteps, 100*r.ZeroShot)
	}
	if r.PretrainSteps > 0 {
		fmt.Fprintf(w, "%s pretraining: %d steps, final loss %.4f, %.0f s, %.0f images/s\n", objectiveName(r.arm()), r.PretrainSteps, r.PretrainLoss, r.PretrainSeconds, r.PretrainImagesPS)
	}
	fmt.Fprintf(w, "Total time %.0f s.\n", r.TotalSeconds)
}

// SVG plots accuracy against the label budget for both arms.
func (r *Report) SVG() string {
	const W, H, L, R, T, B = 520, 320, 60, 20, 30, 50
	bs := r.budgets()
	lo, hi := 1.0, 0.0
	for _, c := range r.Cells() {
		lo, hi = math.Min(lo, c.Min), math.Max(hi, c.Max)
	}
	lo, hi = math.Floor(lo*20)/20, math.Min(1, math.Ceil(hi*20)/20)
	if hi <= lo {
		hi = lo + 0.05
	}
	x := func(i int) float64 {
		if len(bs) == 1 {
			return L + (W-L-R)/2
		}
		return L + float64(i)*(W-L-R)/float64(len(bs)-1)
	}
	y := func(a float64) float64 { return T + (hi-a)/(hi-lo)*(H-T-B) }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", W, H)
	fmt.Fprintf(&s, `<rect width="100%%" height="100%%" fill="white"/><text x="%d" y="18" font-size="14">Fashion-MNIST test accuracy vs labels (%s)</text>`+"\n", L, r.Strategy)
	for k := 0; k <= 4; k++ {
		a := lo + (hi-lo)*float64(k)/4
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%.0f%%</text>`+"\n", L, W-R, y(a), y(a), L-6, y(a)+4, 100*a)
	}
	for i, b := range bs {
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(i), H-B+18, budgetName(b, r.TrainImages))
	}
	fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="middle">labeled training images</text>`+"\n", (W+L)/2, H-12)
	for k, arm := range []string{r.arm(), "scratch"} {
		col := []string{"#1f77b4", "#d62728"}[k]
		var pts []string
		for i, b := range bs {
			c := r.cell(arm, b)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(c.Mean)))
			fmt.Fprintf(&s, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/><circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(i), x(i), y(c.Min), y(c.Max), col, x(i), y(c.Mean), col)
		}
		fmt.Fprintf(&s, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", col, strings.Join(pts, " "))
		name := "from scratch"
		if arm != "scratch" {
			name = armName(arm)
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" fill="%s">%s</text>`+"\n", W-R-130, T+16+16*k, col, name)
	}
	if !math.IsNaN(r.ZeroShot) {
		fmt.Fprintf(&s, `<text x="%d" y="%d" fill="#555">CLIP zero-shot: %.1f%%</text>`+"\n", W-R-130, T+48, 100*r.ZeroShot)
	}
	s.WriteString("</svg>\n")
	return s.String()
}

// Write saves results.md, results.json and vision.svg in dir, each
// atomically.
func (r *Report) Write(dir string) error {
	js, err := json.MarshalIndent(struct {
		*Report
		ZeroShot any `json:"zeroshot_accuracy"`
	}{r, nanNull(r.ZeroShot)}, "", "  ")
	if err != nil {
		return err
	}
	files := map[string]func(io.Writer) error{
		ResultsMD: func(w io.Writer) error {
			fmt.Fprintf(w, "# %s vs from-scratch ViT\n\n%s, strategy %s, %d training images, %d test images, %d fine-tuning steps of %d (lr %g, layer decay %g), precision %s, threads %d.\n\n",
				armName(r.arm()), r.Config, r.Strategy, r.TrainImages, r.TestImages, r.FinetuneSteps, r.FinetuneBatch, r.LR, r.LayerDecay, r.Precision, r.Threads)
			r.WriteTable(w)
			return nil
		},
		ResultsJSON: func(w io.Writer) error { _, err := w.Write(append(js, '\n')); return err },
		PlotSVG:     func(w io.Writer) error { _, err := io.WriteString(w, r.SVG()); return err },
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := checkpoint.WriteFileAtomic(filepath.Join(dir, n), files[n]); err != nil {
			return err
		}
	}
	return nil
}

// arm is the pretrained arm's name in Runs: the objective ("mae" for
// reports written before the field existed).
func (r *Report) arm() string {
	if r.Objective == "" {
		return "mae"
	}
	return r.Objective
}

// objectiveName is an arm's objective as prose: MAE, DAE, or "pretrained"
// for an encoder loaded with --from.
func objectiveName(arm string) string {
	switch arm {
	case "mae":
		return "MAE"
	case "image-dae":
		return "DAE"
	}
	return arm
}

// armName labels the pretrained arm in tables and plots.
func armName(arm string) string {
	if arm == "pretrained" {
		return "pretrained (--from)"
	}
	return objectiveName(arm) + "-pretrained"
}

func nanNull(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}
