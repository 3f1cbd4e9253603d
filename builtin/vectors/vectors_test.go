package vectors

import (
	"bytes"
	"context"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// toy builds vectors where "king - man + woman" lands on "queen".
func toy() *Vectors {
	words := []string{"man", "woman", "king", "queen", "apple", "pear"}
	// axes: royalty, gender(female), fruit, noise
	rows := [][]float32{
		{0, 0, 0, 0.1},
		{0, 1, 0, 0.1},
		{1, 0, 0, 0.1},
		{1, 1, 0, 0.1},
		{0, 0, 1, 0.2},
		{0, 0, 1, 0.3},
	}
	v := New(words, 4)
	for i, r := range rows {
		copy(v.Vector(i), r)
	}
	return v
}

func TestNearestAndAnalogy(t *testing.T) {
	v := toy()
	nn, err := v.Nearest("apple", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(nn) != 2 || nn[0].Word != "pear" || nn[0].Sim < nn[1].Sim {
		t.Fatalf("Nearest(apple) = %v", nn)
	}
	an, err := v.Analogy("man", "king", "woman", 1)
	if err != nil {
		t.Fatal(err)
	}
	if an[0].Word != "queen" {
		t.Fatalf("man:king::woman:? = %v", an)
	}
	if _, err := v.Nearest("zebra", 3); err == nil || !strings.Contains(err.Error(), "zebra") {
		t.Fatalf("missing word err = %v", err)
	}
	s, err := v.Similarity("king", "queen")
	if err != nil || s <= 0 || s >= 1 {
		t.Fatalf("Similarity = %v, %v", s, err)
	}
	if !strings.Contains(v.String(), "6 words × 4") {
		t.Fatalf("String = %s", v)
	}
}

func TestEvalAnalogy(t *testing.T) {
	v := toy()
	q := ": royal\nman king woman queen\nMAN KING woman pear\nman king zebra queen\n: gram-fruit\napple pear man woman\n"
	res, err := v.EvalAnalogy(context.Background(), strings.NewReader(q), "q.txt", 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Semantic.Correct != 1 || res.Semantic.Answered != 2 || res.Semantic.Total != 3 {
		t.Fatalf("semantic %+v", res.Semantic)
	}
	if res.Syntactic.Total != 1 || res.All.Total != 4 || len(res.Sections) != 2 {
		t.Fatalf("result %+v", res)
	}
	// Restricting to the first 3 words leaves no answerable question.
	res, err = v.EvalAnalogy(context.Background(), strings.NewReader(q), "q.txt", 3)
	if err != nil || res.All.Answered != 0 {
		t.Fatalf("restricted %+v %v", res, err)
	}
	_, err = v.EvalAnalogy(context.Background(), strings.NewReader(": s\na b c\n"), "q.txt", 0)
	if err == nil || !strings.Contains(err.Error(), "q.txt:2") {
		t.Fatalf("bad line err = %v", err)
	}
}

func TestSpearman(t *testing.T) {
	if s := Spearman([]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}); math.Abs(s-1) > 1e-12 {
		t.Fatalf("monotone = %v", s)
	}
	if s := Spearman([]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}); math.Abs(s+1) > 1e-12 {
		t.Fatalf("reversed = %v", s)
	}
	// Ties: ranks x = 1, 2.5, 2.5, 4; y = 1,2,3,4 → r = 0.9486833
	if s := Spearman([]float64{1, 2, 2, 3}, []float64{1, 2, 3, 4}); math.Abs(s-0.9486832980505138) > 1e-9 {
		t.Fatalf("ties = %v", s)
	}
	if !math.IsNaN(Spearman([]float64{1}, []float64{1})) {
		t.Fatal("one pair should be NaN")
	}
}

func TestEvalSimilarity(t *testing.T) {
	v := toy()
	data := "# comment\nking\tqueen\t9\nking apple 0.5\nQueen pear 1\nzebra man 3\n"
	res, err := v.EvalSimilarity(strings.NewReader(data), "ws.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if res.Used != 3 || res.Total != 4 || res.Spearman < 0.99 {
		t.Fatalf("res = %v", res)
	}
	if _, err := v.EvalSimilarity(strings.NewReader("a b x\n"), "ws.tsv"); err == nil || !strings.Contains(err.Error(), "ws.tsv:1") {
		t.Fatalf("err = %v", err)
	}
}

func randomVectors(n, dim int, seed int64) *Vectors {
	r := rand.New(rand.NewSource(seed))
	words := make([]string, n)
	for i := range words {
		words[i] = "w" + string(rune('a'+i%26)) + strings.Repeat("é", i%3) + string(rune('0'+i/26%10))
	}
	words[0] = "</s>"
	v := New(words, dim)
	for i := range v.Data {
		v.Data[i] = float32(r.NormFloat64()) * 1e-3
	}
	v.Data[1] = float32(math.Inf(1))
	v.Data[2] = 1e-40 // subnormal
	return v
}

func TestFormatsRoundTrip(t *testing.T) {
	v := randomVectors(200, 7, 1)
	dir := t.TempDir()
	for _, f := range []Format{Word2VecText, Word2VecBinary, GloVeText} {
		ext := map[Format]string{Word2VecText: ".txt", Word2VecBinary: ".bin", GloVeText: ".glove"}[f]
		path := filepath.Join(dir, "v"+ext)
		if err := v.Save(path, f); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if got.Dim != v.Dim || len(got.Words) != len(v.Words) {
			t.Fatalf("%v: got %v", f, got)
		}
		for i := range v.Words {
			if got.Words[i] != v.Words[i] {
				t.Fatalf("%v: word %d %q != %q", f, i, got.Words[i], v.Words[i])
			}
		}
		for i := range v.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(v.Data[i]) {
				t.Fatalf("%v: value %d %v != %v", f, i, got.Data[i], v.Data[i])
			}
		}
		pf, err := ParseFormat(f.String())
		if err != nil || pf != f {
			t.Fatalf("ParseFormat(%s) = %v %v", f, pf, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}

func TestReadBinaryWithoutNewlines(t *testing.T) {
	// gensim writes records with no trailing newline.
	var b bytes.Buffer
	b.WriteString("2 1\n")
	b.WriteString("a \x00\x00\x80\x3f")
	b.WriteString("b \x00\x00\x00\x40")
	v, err := ReadWord2VecBinary(&b, "g.bin")
	if err != nil {
		t.Fatal(err)
	}
	if v.Words[1] != "b" || v.Data[0] != 1 || v.Data[1] != 2 {
		t.Fatalf("got %v %v", v.Words, v.Data)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, text, want string
		read             func(*bytes.Reader) error
	}{
		{"short row", "2 3\na 1 2 3\nb 1 2\n", "x:3", nil},
		{"bad number", "1 2\na 1 zz\n", "x:2: field 3", nil},
		{"count mismatch", "3 1\na 1\n", "header says 3", nil},
		{"bad header", "a b c\n", "x:1", nil},
		{"too many", "1 1\na 1\nb 2\n", "x:3: more vectors", nil},
	}
	for _, c := range cases {
		_, err := ReadWord2VecText(strings.NewReader(c.text), "x")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := ReadGloVeText(strings.NewReader("a 1 2\nb 3\n"), "g"); err == nil || !strings.Contains(err.Error(), "g:2") {
		t.Errorf("glove err = %v", err)
	}
	if _, err := ReadWord2VecBinary(strings.NewReader("2 2\na \x00\x00\x80\x3f\x00\x00"), "b"); err == nil || !strings.Contains(err.Error(), "record 1") {
		t.Errorf("binary err = %v", err)
	}
}

func fuzzParser(f *testing.F, read func([]byte) (*Vectors, error), seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := read(data)
		if err != nil {
			return
		}
		if v.Dim <= 0 || len(v.Data) != len(v.Words)*v.Dim {
			t.Fatalf("inconsistent %d words dim %d data %d", len(v.Words), v.Dim, len(v.Data))
		}
	})
}

func FuzzReadWord2VecText(f *testing.F) {
	fuzzParser(f, func(b []byte) (*Vectors, error) { return ReadWord2VecText(bytes.NewReader(b), "f") },
		"2 2\na 1 2\nb 3 4\n", "1 3\nx 1e3 -2 NaN\n")
}

func FuzzReadWord2VecBinary(f *testing.F) {
	fuzzParser(f, func(b []byte) (*Vectors, error) { return ReadWord2VecBinary(bytes.NewReader(b), "f") },
		"1 1\na \x00\x00\x80\x3f\n", "2 1\na \x00\x00\x80\x3fb \x00\x00\x00\x40")
}

func FuzzReadGloVeText(f *testing.F) {
	fuzzParser(f, func(b []byte) (*Vectors, error) { return ReadGloVeText(bytes.NewReader(b), "f") },
		"a 1 2\nb 3 4\n", "the 0.1\n")
}

func TestEvaluate(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "eval"), 0o755)
	os.WriteFile(filepath.Join(dir, "eval", "questions-words.txt"), []byte(": s\nman king woman queen\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "eval", "wordsim353.tsv"), []byte("king queen 9\nking apple 1\nqueen pear 2\n"), 0o644)
	p := DefaultEvalPaths(dir)
	if p.SimLex999 != "" || p.Analogy == "" {
		t.Fatalf("paths %+v", p)
	}
	r, err := toy().Evaluate(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Analogy == nil || r.Analogy.All.Correct != 1 || r.WordSim353 == nil || r.WordSim353.Used != 3 || r.SimLex999 != nil {
		t.Fatalf("report %+v", r)
	}
	if s := r.String(); !strings.Contains(s, "100.00%") || !strings.Contains(s, "wordsim353") {
		t.Fatalf("String = %s", s)
	}
	if _, err := toy().Evaluate(context.Background(), EvalPaths{WordSim353: filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("missing file accepted")
	}
}
