package vectors

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// AnalogySection is the score of one ": name" block of an analogy file.
type AnalogySection struct {
	// Name is the block name without the colon.
	Name string
	// Correct counts questions answered right.
	Correct int
	// Answered counts questions whose four words were all in vocabulary.
	Answered int
	// Total counts every question of the block.
	Total int
}

// AnalogyResult is the outcome of EvalAnalogy.
type AnalogyResult struct {
	// Sections holds one entry per block, in file order.
	Sections []AnalogySection
	// Semantic and Syntactic pool the blocks: a block whose name starts with
	// "gram" is syntactic (the Google set's convention), the rest semantic.
	Semantic, Syntactic AnalogySection
	// All pools every block.
	All AnalogySection
}

// Accuracy returns the fraction of answered questions that were right.
func (s AnalogySection) Accuracy() float64 {
	if s.Answered == 0 {
		return 0
	}
	return float64(s.Correct) / float64(s.Answered)
}

// Coverage returns the fraction of questions that could be answered.
func (s AnalogySection) Coverage() float64 {
	if s.Total == 0 {
		return 0
	}
	return float64(s.Answered) / float64(s.Total)
}

// String formats the section as "name: 12.34% (n/m, coverage 45.6%)".
func (s AnalogySection) String() string {
	return fmt.Sprintf("%s: %.2f%% (%d/%d, coverage %.1f%%)", s.Name, 100*s.Accuracy(),
		s.Correct, s.Answered, 100*s.Coverage())
}

// String formats the pooled scores.
func (r AnalogyResult) String() string {
	return fmt.Sprintf("analogy %v | %v | %v", r.All, r.Semantic, r.Syntactic)
}

// EvalAnalogy scores the Google analogy file read from r (name labels
// errors) with 3CosAdd, as word2vec's compute-accuracy does: words are
// lowercased, the vocabulary is restricted to the first restrict words (all
// when restrict <= 0; compute-accuracy uses 30000), a question counts only
// when its four words are in that vocabulary, and the answer is searched
// among the same words, excluding the three question words.
func (v *Vectors) EvalAnalogy(ctx context.Context, r io.Reader, name string, restrict int) (AnalogyResult, error) {
	v.build()
	limit := len(v.Words)
	if restrict > 0 && restrict < limit {
		limit = restrict
	}
	lower := make(map[string]int, limit)
	for i := 0; i < limit; i++ {
		w := strings.ToLower(v.Words[i])
		if _, ok := lower[w]; !ok {
			lower[w] = i
		}
	}
	type question struct{ sec, a, b, c, d int }
	var qs []question
	res := AnalogyResult{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, ":") {
			res.Sections = append(res.Sections, AnalogySection{Name: strings.TrimSpace(text[1:])})
			continue
		}
		f := strings.Fields(text)
		if len(f) != 4 {
			return res, fmt.Errorf("%s:%d: want 4 words, got %d", name, line, len(f))
		}
		if len(res.Sections) == 0 {
			res.Sections = append(res.Sections, AnalogySection{Name: "questions"})
		}
		sec := len(res.Sections) - 1
		res.Sections[sec].Total++
		var ids [4]int
		ok := true
		for k, w := range f {
			id, in := lower[strings.ToLower(w)]
			if !in {
				ok = false
				break
			}
			ids[k] = id
		}
		if ok {
			qs = append(qs, question{sec, ids[0], ids[1], ids[2], ids[3]})
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	correct := make([]bool, len(qs))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var next int64
	var mu sync.Mutex
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := int(next)
				next += 64
				mu.Unlock()
				if i >= len(qs) || ctx.Err() != nil {
					return
				}
				for j := i; j < i+64 && j < len(qs); j++ {
					q := qs[j]
					best := v.topK(v.analogyQuery(q.a, q.b, q.c), 1, limit, []int{q.a, q.b, q.c})
					correct[j] = len(best) == 1 && best[0].Word == v.Words[q.d]
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	for j, q := range qs {
		res.Sections[q.sec].Answered++
		if correct[j] {
			res.Sections[q.sec].Correct++
		}
	}
	res.All.Name, res.Semantic.Name, res.Syntactic.Name = "total", "semantic", "syntactic"
	for _, s := range res.Sections {
		pool := &res.Semantic
		if strings.HasPrefix(s.Name, "gram") {
			pool = &res.Syntactic
		}
		for _, p := range []*AnalogySection{pool, &res.All} {
			p.Correct += s.Correct
			p.Answered += s.Answered
			p.Total += s.Total
		}
	}
	return res, nil
}

// SimilarityResult is the outcome of EvalSimilarity.
type SimilarityResult struct {
	// Spearman is the rank correlation between cosine similarity and the
	// human score over the pairs used.
	Spearman float64
	// Used counts pairs with both words in vocabulary; Total counts all.
	Used, Total int
}

// String formats the result as "spearman 0.6123 (300/353 pairs, coverage 85.0%)".
func (r SimilarityResult) String() string {
	cov := 0.0
	if r.Total > 0 {
		cov = float64(r.Used) / float64(r.Total)
	}
	return fmt.Sprintf("spearman %.4f (%d/%d pairs, coverage %.1f%%)", r.Spearman, r.Used, r.Total, 100*cov)
}

// EvalSimilarity reads "word1 word2 score" lines (tab or space separated;
// lines starting with # are comments) and returns the Spearman correlation
// between the vectors' cosine similarity and the scores, over the pairs
// whose words (lowercased when the exact form is absent) are in vocabulary.
func (v *Vectors) EvalSimilarity(r io.Reader, name string) (SimilarityResult, error) {
	var res SimilarityResult
	var human, model []float64
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f) < 3 {
			return res, fmt.Errorf("%s:%d: want word1 word2 score, got %d fields", name, line, len(f))
		}
		score, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			return res, fmt.Errorf("%s:%d: bad score %q", name, line, f[2])
		}
		res.Total++
		a, b := v.find(f[0]), v.find(f[1])
		if a < 0 || b < 0 {
			continue
		}
		d := v.Dim
		human = append(human, score)
		model = append(model, float64(dot(v.unit[a*d:(a+1)*d], v.unit[b*d:(b+1)*d])))
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	res.Used = len(human)
	res.Spearman = Spearman(human, model)
	return res, nil
}

func (v *Vectors) find(w string) int {
	if i := v.Index(w); i >= 0 {
		return i
	}
	return v.Index(strings.ToLower(w))
}

// Spearman returns the rank correlation of x and y (ties get their average
// rank), or NaN when fewer than two pairs are given or a side is constant.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) || len(x) < 2 {
		return math.NaN()
	}
	rx, ry := ranks(x), ranks(y)
	var mx, my float64
	for i := range rx {
		mx += rx[i]
		my += ry[i]
	}
	mx /= float64(len(rx))
	my /= float64(len(ry))
	var sxy, sxx, syy float64
	for i := range rx {
		dx, dy := rx[i]-mx, ry[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}
