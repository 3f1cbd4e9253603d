// Package corpus embeds the project's default demo corpus, Jane Austen's
// six novels (public domain; see austen/README.md for provenance), so that
// pretraining runs with no download, and derives from it a labeled
// six-class task: "which novel is this paragraph from".
//
// The paragraph task and the pretraining text are built so that they do
// not leak: AustenPretrainText is the whole corpus minus every held-out
// eval paragraph, so a model pretrained on it and fine-tuned on the train
// paragraphs is scored on text it has never seen.
//
// Paragraph rules (stable; changing them changes the dataset):
//   - a paragraph is a block of non-blank lines between blank lines, its
//     lines joined with single spaces and surrounding space trimmed;
//   - headings (VOLUME/CHAPTER lines) and blocks shorter than
//     MinParagraphChars bytes are dropped;
//   - a paragraph is held out for evaluation when the FNV-1a 64-bit hash
//     of its text is divisible by EvalModulus (about 10%); the split depends
//     on the text alone, so identical paragraphs always share a split.
package corpus

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"hash/fnv"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/pretrain-go/pretrain/sdk/data"
)

//go:embed austen/*.txt.gz
var austenFS embed.FS

// Dataset constants; see the package documentation.
const (
	MinParagraphChars = 100
	EvalModulus       = 10
)

var novels = []string{"emma", "mansfieldpark", "northangerabbey", "persuasion", "prideprejudice", "sensesensibility"}

var titles = map[string]string{
	"emma":             "Emma",
	"mansfieldpark":    "Mansfield Park",
	"northangerabbey":  "Northanger Abbey",
	"persuasion":       "Persuasion",
	"prideprejudice":   "Pride and Prejudice",
	"sensesensibility": "Sense and Sensibility",
}

// AustenNovels returns the novel names in label order (label i is
// AustenNovels()[i]); they are also the embedded file names.
func AustenNovels() []string { return append([]string(nil), novels...) }

// AustenTitle returns the title of a novel name ("" if unknown).
func AustenTitle(novel string) string { return titles[novel] }

// AustenSources returns one data.Source per novel, named
// "austen/<novel>.txt.gz" (gzip content; data readers decompress it).
func AustenSources() []data.Source {
	src := make([]data.Source, len(novels))
	for i, n := range novels {
		name := "austen/" + n + ".txt.gz"
		src[i] = data.Source{Name: name, Open: func() (io.ReadCloser, error) { return austenFS.Open(name) }}
	}
	return src
}

// Austen returns the whole corpus, read as non-blank lines; use
// WithOptions for documents (paragraphs) or whole novels.
func Austen() *data.Corpus { return data.NewCorpus(AustenSources(), data.CorpusOptions{}) }

// texts holds the decompressed novels, decoded once on first use.
var texts struct {
	once sync.Once
	m    map[string]string
	err  error
}

func loadTexts() (map[string]string, error) {
	texts.once.Do(func() {
		m := map[string]string{}
		for _, n := range novels {
			f, err := austenFS.Open("austen/" + n + ".txt.gz")
			if err != nil {
				texts.err = err
				return
			}
			zr, err := gzip.NewReader(f)
			if err != nil {
				texts.err = fmt.Errorf("corpus: austen/%s.txt.gz: %w", n, err)
				return
			}
			b, err := io.ReadAll(zr)
			f.Close()
			if err != nil {
				texts.err = fmt.Errorf("corpus: austen/%s.txt.gz: %w", n, err)
				return
			}
			m[n] = string(b)
		}
		texts.m = m
	})
	return texts.m, texts.err
}

// AustenText returns the full text of one novel.
func AustenText(novel string) (string, error) {
	m, err := loadTexts()
	if err != nil {
		return "", err
	}
	t, ok := m[novel]
	if !ok {
		return "", fmt.Errorf("corpus: unknown novel %q (known: %s)", novel, strings.Join(novels, ", "))
	}
	return t, nil
}

// Paragraph is one paragraph of the labeled task.
type Paragraph struct {
	Novel string // novel name
	Label int    // index of Novel in AustenNovels
	Text  string // lines joined with single spaces
	Line  int    // 1-based first line in the novel's file
	Eval  bool   // held out for evaluation
}

// String shows the paragraph's origin and the start of its text.
func (p Paragraph) String() string {
	t := p.Text
	if len(t) > 40 {
		t = t[:40] + "..."
	}
	split := "train"
	if p.Eval {
		split = "eval"
	}
	return fmt.Sprintf("Paragraph{%s:%d %s %q}", p.Novel, p.Line, split, t)
}

var heading = regexp.MustCompile(`^(?i:chapter|volume)\s+[0-9IVXLC]+\.?$`)

// block is a run of non-blank lines: [start, end) line indexes.
type block struct{ start, end int }

func blocks(lines []string) []block {
	var out []block
	start := -1
	for i, l := range lines {
		blank := strings.TrimSpace(l) == ""
		if !blank && start < 0 {
			start = i
		}
		if blank && start >= 0 {
			out = append(out, block{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, block{start, len(lines)})
	}
	return out
}

func joinBlock(lines []string, b block) string {
	return strings.Join(strings.Fields(strings.Join(lines[b.start:b.end], " ")), " ")
}

// isParagraph reports whether joined block text is a task paragraph.
func isParagraph(text string) bool {
	return len(text) >= MinParagraphChars && !heading.MatchString(text)
}

// IsEvalText reports whether a paragraph text is held out for evaluation.
func IsEvalText(text string) bool {
	h := fnv.New64a()
	h.Write([]byte(text))
	return h.Sum64()%EvalModulus == 0
}

func splitLines(t string) []string {
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(t, "\r\n", "\n"), "\n"), "\n")
}

// AustenParagraphs returns every task paragraph of the six novels, train
// and eval, in novel and text order.
func AustenParagraphs() ([]Paragraph, error) {
	var out []Paragraph
	for label, n := range novels {
		t, err := AustenText(n)
		if err != nil {
			return nil, err
		}
		lines := splitLines(t)
		for _, b := range blocks(lines) {
			text := joinBlock(lines, b)
			if !isParagraph(text) {
				continue
			}
			out = append(out, Paragraph{Novel: n, Label: label, Text: text, Line: b.start + 1, Eval: IsEvalText(text)})
		}
	}
	return out, nil
}

// AustenLabels returns the frozen label map of the task (the novel names).
func AustenLabels() *data.LabelMap {
	m := data.NewLabelMap(novels...)
	m.Freeze()
	return m
}

// AustenClassification returns the examples of one split of the task:
// "train", "eval" or "all". Examples carry the novel name as Label, its
// index as LabelID, and "austen/<novel>.txt" with the line as position.
func AustenClassification(split string) ([]data.Example, *data.LabelMap, error) {
	if split != "train" && split != "eval" && split != "all" {
		return nil, nil, fmt.Errorf("corpus: unknown split %q (want train, eval or all)", split)
	}
	ps, err := AustenParagraphs()
	if err != nil {
		return nil, nil, err
	}
	var out []data.Example
	for _, p := range ps {
		if split == "all" || (split == "eval") == p.Eval {
			out = append(out, data.Example{Text: p.Text, Label: p.Novel, LabelID: p.Label,
				Source: "austen/" + p.Novel + ".txt", Line: p.Line})
		}
	}
	return out, AustenLabels(), nil
}

// pretrain holds the novels with eval paragraphs removed, built once.
var pretrain struct {
	once sync.Once
	m    map[string][]byte
	err  error
}

// pretrainText returns the novel's text with every block whose joined text
// is an eval paragraph removed (its lines and the blank line after it).
func pretrainText(novel string) ([]byte, error) {
	pretrain.once.Do(func() {
		m := map[string][]byte{}
		for _, n := range novels {
			t, err := AustenText(n)
			if err != nil {
				pretrain.err = err
				return
			}
			lines := splitLines(t)
			drop := make([]bool, len(lines))
			for _, b := range blocks(lines) {
				if text := joinBlock(lines, b); isParagraph(text) && IsEvalText(text) {
					for i := b.start; i < b.end; i++ {
						drop[i] = true
					}
				}
			}
			var buf bytes.Buffer
			for i, l := range lines {
				if !drop[i] {
					buf.WriteString(l)
					buf.WriteByte('\n')
				}
			}
			m[n] = buf.Bytes()
		}
		pretrain.m = m
	})
	if pretrain.err != nil {
		return nil, pretrain.err
	}
	return pretrain.m[novel], nil
}

// AustenPretrainSources returns one source per novel with the eval
// paragraphs removed, named "austen-pretrain/<novel>.txt".
func AustenPretrainSources() []data.Source {
	src := make([]data.Source, len(novels))
	for i, n := range novels {
		src[i] = data.Source{Name: "austen-pretrain/" + n + ".txt", Open: func() (io.ReadCloser, error) {
			b, err := pretrainText(n)
			if err != nil {
				return nil, err
			}
			return io.NopCloser(bytes.NewReader(b)), nil
		}}
	}
	return src
}

// AustenPretrainText returns the corpus for pretraining before the
// paragraph task: all six novels without the held-out eval paragraphs,
// read as non-blank lines (use WithOptions for documents).
func AustenPretrainText() *data.Corpus {
	return data.NewCorpus(AustenPretrainSources(), data.CorpusOptions{})
}
