package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
)

// MetricsFile and CurveFile are the names of the metrics log and the loss
// curve in the output directory.
const (
	MetricsFile = "metrics.jsonl"
	CurveFile   = "loss.svg"
)

// point is one value of the loss curve.
type point struct {
	step int
	loss float64
	eval bool
}

// openMetrics opens OUT/metrics.jsonl for appending. On resume, records
// after the resumed step (written by the interrupted run past its last
// checkpoint) are dropped, and the kept ones seed the loss curve.
func (r *run) openMetrics() error {
	path := filepath.Join(r.cfg.OutDir, MetricsFile)
	if r.res.ResumedAt > 0 {
		if b, err := os.ReadFile(path); err == nil {
			var kept bytes.Buffer
			for _, line := range bytes.Split(b, []byte("\n")) {
				var m Metrics
				if len(line) == 0 || json.Unmarshal(line, &m) != nil || m.Step > r.res.ResumedAt {
					continue
				}
				kept.Write(line)
				kept.WriteByte('\n')
				r.hist = append(r.hist, point{m.Step, m.Loss, m.Kind == "eval"})
			}
			if err := checkpoint.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(kept.Bytes()); return err }); err != nil {
				return err
			}
		}
	} else {
		os.Remove(path)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	r.mw = f
	return nil
}

// write appends a record to metrics.jsonl.
func (r *run) write(m Metrics) {
	if r.mw == nil {
		return
	}
	b, _ := json.Marshal(m)
	r.mw.Write(append(b, '\n'))
}

// writeCurve draws the loss curve as OUT/loss.svg.
func (r *run) writeCurve() error {
	if r.cfg.OutDir == "" || len(r.hist) == 0 {
		return nil
	}
	return checkpoint.WriteFileAtomic(filepath.Join(r.cfg.OutDir, CurveFile), func(w io.Writer) error {
		_, err := io.WriteString(w, lossCurveSVG(r.hist))
		return err
	})
}

// lossCurveSVG draws training (blue) and evaluation (orange) loss against
// the step as a standalone SVG document. Non-finite values are left out.
func lossCurveSVG(pts []point) string {
	const W, H, left, right, top, bottom = 720.0, 400.0, 70.0, 20.0, 30.0, 50.0
	minS, maxS := math.Inf(1), math.Inf(-1)
	minL, maxL := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		if !finite(p.loss) {
			continue
		}
		minS, maxS = math.Min(minS, float64(p.step)), math.Max(maxS, float64(p.step))
		minL, maxL = math.Min(minL, p.loss), math.Max(maxL, p.loss)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="white"/>`+"\n", W, H)
	if math.IsInf(minS, 1) {
		b.WriteString("</svg>\n")
		return b.String()
	}
	if maxS == minS {
		maxS = minS + 1
	}
	if maxL == minL {
		maxL, minL = maxL+0.5, minL-0.5
	}
	pw, ph := W-left-right, H-top-bottom
	x := func(s int) float64 { return left + (float64(s)-minS)/(maxS-minS)*pw }
	y := func(l float64) float64 { return top + (maxL-l)/(maxL-minL)*ph }
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#888"/>`+"\n", left, top, pw, ph)
	for i := 0; i <= 4; i++ {
		l := minL + (maxL-minL)*float64(i)/4
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end">%.3g</text>`+"\n", left-6, y(l)+4, l)
		s := minS + (maxS-minS)*float64(i)/4
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%.0f</text>`+"\n", x(int(math.Round(s))), H-bottom+18, s)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">step</text>`+"\n", left+pw/2, H-10)
	fmt.Fprintf(&b, `<text x="%g" y="18" font-weight="bold">loss</text>`+"\n", left)
	for _, series := range []struct {
		eval  bool
		color string
		name  string
	}{{false, "#1f77b4", "train"}, {true, "#ff7f0e", "eval"}} {
		var poly, marks strings.Builder
		n := 0
		for _, p := range pts {
			if p.eval != series.eval || !finite(p.loss) {
				continue
			}
			fmt.Fprintf(&poly, "%.1f,%.1f ", x(p.step), y(p.loss))
			if series.eval { // evaluations are few: mark each one
				fmt.Fprintf(&marks, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(p.step), y(p.loss), series.color)
			}
			n++
		}
		if n == 0 {
			continue
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", series.color, strings.TrimSpace(poly.String()))
		b.WriteString(marks.String())
		lx := W - right - 60.0
		ly := top + 16.0
		if series.eval {
			ly += 16
		}
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2"/><text x="%g" y="%g">%s</text>`+"\n", lx, ly-4, lx+16, ly-4, series.color, lx+20, ly, series.name)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// progress draws a one-line progress bar on a terminal.
type progress struct {
	w      *bufio.Writer
	total  int // steps, or 0 in epochs mode
	epochs int
	start  time.Time
	last   time.Time
}

// IsTerminal reports whether w is an *os.File open on a terminal; progress
// displays draw only then, and stay quiet in pipes, files and /dev/null.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

// newProgress returns a bar drawing to w when w is a terminal, or a
// no-op bar.
func newProgress(w io.Writer, total, epochs int) *progress {
	if !IsTerminal(w) {
		return &progress{}
	}
	return &progress{w: bufio.NewWriter(w), total: total, epochs: epochs, start: time.Now()}
}

// update redraws the bar at most ten times a second.
func (p *progress) update(step, epoch int, loss, lr float64) {
	if p.w == nil {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && step != p.total {
		return
	}
	p.last = now
	el := now.Sub(p.start)
	line := fmt.Sprintf("epoch %d/%d step %d", epoch+1, p.epochs, step)
	if p.total > 0 {
		frac := float64(step) / float64(p.total)
		const width = 30
		full := int(frac * width)
		bar := strings.Repeat("=", full) + strings.Repeat(" ", width-full)
		eta := time.Duration(0)
		if step > 0 {
			eta = time.Duration(float64(el) / frac * (1 - frac))
		}
		line = fmt.Sprintf("[%s] %d/%d  ETA %s", bar, step, p.total, eta.Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r%s  loss %.4f  lr %.3g  %s\x1b[K", line, loss, lr, el.Round(time.Second))
	p.w.Flush()
}

// done ends the bar's line.
func (p *progress) done() {
	if p.w == nil {
		return
	}
	fmt.Fprintln(p.w)
	p.w.Flush()
}
