package vectors

import (
	"context"
	"os"
	"path/filepath"
	"strings"
)

// EvalPaths names the evaluation files for Evaluate; an empty path skips
// that evaluation.
type EvalPaths struct {
	// Analogy is a Google-style analogy file (questions-words.txt).
	Analogy string
	// WordSim353 and SimLex999 are word-similarity files.
	WordSim353, SimLex999 string
	// Restrict limits the analogy vocabulary to the first N words; 0 means
	// 30000, as word2vec's compute-accuracy.
	Restrict int
}

// DefaultEvalPaths returns the standard files under dir (a data folder
// holding eval/questions-words.txt, eval/wordsim353.tsv and
// eval/simlex999.txt), leaving out those that do not exist.
func DefaultEvalPaths(dir string) EvalPaths {
	p := func(name string) string {
		path := filepath.Join(dir, "eval", name)
		if _, err := os.Stat(path); err != nil {
			return ""
		}
		return path
	}
	return EvalPaths{Analogy: p("questions-words.txt"), WordSim353: p("wordsim353.tsv"), SimLex999: p("simlex999.txt")}
}

// Report gathers the results of Evaluate; nil fields were not evaluated.
type Report struct {
	// Analogy is the analogy accuracy.
	Analogy *AnalogyResult
	// WordSim353 and SimLex999 are the similarity correlations.
	WordSim353, SimLex999 *SimilarityResult
}

// String formats the report, one evaluation per line.
func (r Report) String() string {
	var lines []string
	if r.Analogy != nil {
		lines = append(lines, "analogy    "+r.Analogy.All.String(),
			"           "+r.Analogy.Semantic.String(),
			"           "+r.Analogy.Syntactic.String())
	}
	if r.WordSim353 != nil {
		lines = append(lines, "wordsim353 "+r.WordSim353.String())
	}
	if r.SimLex999 != nil {
		lines = append(lines, "simlex999  "+r.SimLex999.String())
	}
	if len(lines) == 0 {
		return "no evaluation"
	}
	return strings.Join(lines, "\n")
}

// Evaluate runs the evaluations named in p.
func (v *Vectors) Evaluate(ctx context.Context, p EvalPaths) (Report, error) {
	var r Report
	if p.Analogy != "" {
		f, err := os.Open(p.Analogy)
		if err != nil {
			return r, err
		}
		restrict := p.Restrict
		if restrict == 0 {
			restrict = 30000
		}
		res, err := v.EvalAnalogy(ctx, f, p.Analogy, restrict)
		f.Close()
		if err != nil {
			return r, err
		}
		r.Analogy = &res
	}
	for _, s := range []struct {
		path string
		dst  **SimilarityResult
	}{{p.WordSim353, &r.WordSim353}, {p.SimLex999, &r.SimLex999}} {
		if s.path == "" {
			continue
		}
		f, err := os.Open(s.path)
		if err != nil {
			return r, err
		}
		res, err := v.EvalSimilarity(f, s.path)
		f.Close()
		if err != nil {
			return r, err
		}
		*s.dst = &res
	}
	return r, nil
}
