package transfer

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
)

// Files written into Config.Out.
const (
	ResultsJSON = "results.json"
	ResultsMD   = "results.md"
	PlotSVG     = "transfer.svg"
)

// String is the table.
func (r *Report) String() string {
	var b strings.Builder
	r.WriteTable(&b)
	return b.String()
}

// WriteTable prints the results as a Markdown table: mean (± standard
// deviation) over seeds, under a line saying what the figures are.
func (r *Report) WriteTable(w io.Writer) {
	if r.Protocol != "" {
		fmt.Fprintf(w, "%s\n\n", r.Protocol)
	}
	fmt.Fprintln(w, "| labels | pretrained test acc | scratch test acc | Naive Bayes test acc | Δ vs scratch | Δ vs NB | pretrained test F1 | scratch test F1 | NB test F1 | pretrained steps to scratch's best (validation) | scratch's best at step | ratio |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range r.Rows {
		steps, ratio, scratchBest := "never", "∞", fmt.Sprintf("%.0f", row.ScratchBestStep)
		if math.IsNaN(row.ScratchBestStep) { // no validation set: nothing to compare on
			steps, ratio, scratchBest = "—", "—", "—"
		} else if row.PreReached == row.SeedsCounted && row.SeedsCounted > 0 {
			steps, ratio = fmt.Sprintf("%.0f", row.StepsToScratchBest), fmt.Sprintf("%.2f", row.StepRatio)
		} else if row.PreReached > 0 {
			steps = fmt.Sprintf("%.0f (%d/%d seeds)", row.StepsToScratchBest, row.PreReached, row.SeedsCounted)
		}
		fmt.Fprintf(w, "| %d | %.1f ± %.1f | %.1f ± %.1f | %.1f ± %.1f | %+.1f | %+.1f | %.3f | %.3f | %.3f | %s | %s | %s |\n", row.Budget,
			100*row.PreAcc, 100*row.PreAccSD, 100*row.ScratchAcc, 100*row.ScratchAccSD, 100*row.NBAcc, 100*row.NBAccSD,
			100*(row.PreAcc-row.ScratchAcc), 100*(row.PreAcc-row.NBAcc), row.PreF1, row.ScratchF1, row.NBF1, steps, scratchBest, ratio)
	}
}

// Write saves results.json, results.md and transfer.svg into dir.
func (r *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := checkpoint.WriteJSON(filepath.Join(dir, ResultsJSON), r); err != nil {
		return err
	}
	if err := checkpoint.WriteFileAtomic(filepath.Join(dir, ResultsMD), func(w io.Writer) error {
		loss := ""
		if r.PretrainLoss != 0 { // word vectors report none
			loss = fmt.Sprintf(", final loss %.3f", r.PretrainLoss)
		}
		fmt.Fprintf(w, "# Transfer experiment\n\n%s\n\nbackbone: %s\n\npretraining: %s%s; whole run %s\n\n",
			r.Config, r.Backbone, r.PretrainTime.Round(1e9), loss, r.Elapsed.Round(1e9))
		r.WriteTable(w)
		return nil
	}); err != nil {
		return err
	}
	return checkpoint.WriteFileAtomic(filepath.Join(dir, PlotSVG), func(w io.Writer) error {
		_, err := io.WriteString(w, r.SVG())
		return err
	})
}

// MarshalJSON writes the report with durations in seconds and without
// infinities (which JSON cannot hold).
func (r *Report) MarshalJSON() ([]byte, error) {
	type row struct {
		Row
		StepRatio any `json:"StepRatio"`
	}
	type run struct {
		Run
		ValidAcc any `json:"ValidAcc"`
	}
	runs := make([]run, len(r.Runs))
	for i, x := range r.Runs {
		runs[i] = run{Run: x, ValidAcc: x.ValidAcc}
		if math.IsNaN(x.ValidAcc) {
			runs[i].ValidAcc = nil
		}
	}
	base := make([]run, len(r.Baseline))
	for i, x := range r.Baseline {
		base[i] = run{Run: x}
	}
	rows := make([]row, len(r.Rows))
	for i, x := range r.Rows {
		rows[i] = row{Row: x, StepRatio: x.StepRatio}
		if math.IsInf(x.StepRatio, 0) || math.IsNaN(x.StepRatio) {
			rows[i].StepRatio = nil
		}
		for _, f := range []*float64{&rows[i].StepsToScratchBest, &rows[i].ScratchBestStep, &rows[i].PreAccSD, &rows[i].ScratchAccSD, &rows[i].NBAcc, &rows[i].NBAccSD} {
			if math.IsNaN(*f) {
				*f = -1
			}
		}
	}
	return json.Marshal(map[string]any{"config": r.Config, "backbone": r.Backbone, "pretrain_loss": r.PretrainLoss,
		"pretrain_seconds": r.PretrainTime.Seconds(), "elapsed_seconds": r.Elapsed.Seconds(), "protocol": r.Protocol, "rows": rows, "runs": runs, "naive_bayes": base})
}

// SVG draws two panels: best accuracy against the number of labels (log
// scale) for pretrained and scratch, and the mean evaluation curves
// (accuracy against steps) at each budget.
func (r *Report) SVG() string {
	const W, H, pad = 960, 400, 50
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", W, H)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	colors := map[bool]string{true: "#d62728", false: "#1f77b4"}
	names := map[bool]string{true: "pretrained", false: "scratch"}
	pw := (W - 3*pad) / 2
	ph := H - 2*pad
	// Panel 1: accuracy against labels.
	x0, y0 := pad, pad
	axes(&b, x0, y0, pw, ph, "labels (log scale)", "test accuracy", "accuracy against labels (mean over seeds)")
	if len(r.Rows) > 0 {
		lo, hi := math.Log(float64(r.Rows[0].Budget)), math.Log(float64(r.Rows[len(r.Rows)-1].Budget))
		if hi == lo {
			hi = lo + 1
		}
		px := func(n int) float64 { return float64(x0) + (math.Log(float64(n))-lo)/(hi-lo)*float64(pw) }
		py := func(a float64) float64 { return float64(y0+ph) - a*float64(ph) }
		for _, row := range r.Rows {
			fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">%d</text>`+"\n", px(row.Budget), y0+ph+15, row.Budget)
		}
		for _, pre := range []bool{true, false} {
			var pts []string
			for _, row := range r.Rows {
				a := row.ScratchAcc
				if pre {
					a = row.PreAcc
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(row.Budget), py(a)))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(row.Budget), py(a), colors[pre])
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), colors[pre])
		}
	}
	legend(&b, x0+10, y0+10, colors, names)
	// Panel 2: eval curves.
	x0 = 2*pad + pw
	axes(&b, x0, y0, pw, ph, "fine-tuning step", "validation accuracy", "validation curves (mean over seeds; darker = more labels)")
	maxStep := 1
	for _, run := range r.Runs {
		for _, p := range run.Curve {
			maxStep = max(maxStep, p.Step)
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%d</text>`+"\n", x0+pw, y0+ph+15, maxStep)
	px := func(s int) float64 { return float64(x0) + float64(s)/float64(maxStep)*float64(pw) }
	py := func(a float64) float64 { return float64(y0+ph) - a*float64(ph) }
	for bi, row := range r.Rows {
		for _, pre := range []bool{true, false} {
			mean := map[int][]float64{}
			var steps []int
			for _, run := range r.Runs {
				if run.Budget != row.Budget || run.Pretrained != pre {
					continue
				}
				for _, p := range run.Curve {
					if _, ok := mean[p.Step]; !ok {
						steps = append(steps, p.Step)
					}
					mean[p.Step] = append(mean[p.Step], p.Accuracy)
				}
			}
			var pts []string
			for _, s := range steps {
				m, _ := meanSD(mean[s])
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s), py(m)))
			}
			op := 0.3 + 0.7*float64(bi+1)/float64(len(r.Rows))
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-opacity="%.2f" stroke-width="1.5"><title>%s, %d labels</title></polyline>`+"\n",
				strings.Join(pts, " "), colors[pre], op, names[pre], row.Budget)
		}
	}
	legend(&b, x0+10, y0+10, colors, names)
	b.WriteString("</svg>\n")
	return b.String()
}

func axes(b *strings.Builder, x0, y0, w, h int, xl, yl, title string) {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-weight="bold">%s</text>`+"\n", x0+w/2, y0-15, title)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", x0, y0+h, x0+w, y0+h)
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", x0, y0, x0, y0+h)
	for i := 0; i <= 5; i++ {
		y := y0 + h - i*h/5
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/>`+"\n", x0, y, x0+w, y)
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%.1f</text>`+"\n", x0-5, y+4, float64(i)/5)
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", x0+w/2, y0+h+32, xl)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" transform="rotate(-90 %d %d)">%s</text>`+"\n", x0-35, y0+h/2, x0-35, y0+h/2, yl)
}

func legend(b *strings.Builder, x, y int, colors map[bool]string, names map[bool]string) {
	for i, pre := range []bool{true, false} {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			x, y+i*16, colors[pre], x+16, y+i*16+10, names[pre])
	}
}
