package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
)

type plan struct {
	sample string
	ids    []int
}

// loadPlans reads gpt-tokenizer's TestPlans.txt: blocks of
// "EncodingName: x\nSample: s\nEncoded: [ids]" separated by blank lines.
func loadPlans(t testing.TB, encoding string) []plan {
	t.Helper()
	data, err := os.ReadFile("testdata/TestPlans.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []plan
	for _, block := range strings.Split(string(data), "\n\n") {
		lines := strings.Split(block, "\n")
		if len(lines) < 3 || strings.TrimPrefix(lines[0], "EncodingName: ") != encoding {
			continue
		}
		p := plan{sample: strings.TrimPrefix(lines[1], "Sample: ")}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[2], "Encoded: ")), &p.ids); err != nil {
			t.Fatalf("plan %q: %v", p.sample, err)
		}
		out = append(out, p)
	}
	return out
}

var (
	r50kOnce sync.Once
	r50k     *BPE
	r50kErr  error
)

func loadR50K(t testing.TB) *BPE {
	t.Helper()
	r50kOnce.Do(func() { r50k, r50kErr = LoadTiktoken("testdata/r50k_base.tiktoken.gz", "r50k_base") })
	if r50kErr != nil {
		t.Fatal(r50kErr)
	}
	return r50k
}

func checkPlans(t *testing.T, tok Tokenizer, plans []plan) {
	t.Helper()
	if len(plans) < 50 {
		t.Fatalf("only %d plans", len(plans))
	}
	for _, p := range plans {
		got := tok.Encode(p.sample)
		if !equalInts(got, p.ids) {
			t.Errorf("%s: Encode(%q)\n got %v\nwant %v", tok, p.sample, got, p.ids)
		}
		if back := tok.Decode(got); back != p.sample {
			t.Errorf("Decode(Encode(%q)) = %q", p.sample, back)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestR50KTestPlans(t *testing.T) {
	checkPlans(t, loadR50K(t), loadPlans(t, "r50k_base"))
}

func TestGPT2FilesTestPlans(t *testing.T) {
	tok, err := LoadGPT2("testdata/gpt2_encoder.json.gz", "testdata/gpt2_vocab.bpe.gz")
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 50257 {
		t.Errorf("VocabSize = %d", tok.VocabSize())
	}
	checkPlans(t, tok, loadPlans(t, "r50k_base"))
}

func TestCL100KTestPlans(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a 100k vocabulary")
	}
	tok, err := LoadTiktoken("testdata/cl100k_base.tiktoken.gz", "cl100k_base")
	if err != nil {
		t.Fatal(err)
	}
	checkPlans(t, tok, loadPlans(t, "cl100k_base"))
}

var _ = bufio.NewReader
