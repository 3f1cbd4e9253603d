package tokenizer

import (
	"encoding/json"
	"math/rand/v2"
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

func TestBPESpecialsBatchAndLongWords(t *testing.T) {
	b := loadR50K(t)
	ids := b.Encode("Hello<|endoftext|><|endoftext|> world")
	if !equalInts(ids, []int{15496, 50256, 50256, 995}) {
		t.Errorf("specials: %v", ids)
	}
	if s := b.String(); !strings.Contains(s, "vocab 50257") {
		t.Errorf("String() = %q", s)
	}
	plans := loadPlans(t, "r50k_base")
	texts := make([]string, 0, len(plans))
	for _, p := range plans {
		texts = append(texts, p.sample)
	}
	for i, got := range b.EncodeBatch(texts) {
		if !equalInts(got, plans[i].ids) {
			t.Errorf("EncodeBatch[%d] = %v, want %v", i, got, plans[i].ids)
		}
	}
	// Long pieces take the heap path; it must agree with the quadratic scan.
	long := strings.Repeat("abracadabra", 40)
	st := &bpeState{}
	heap := append([]int(nil), b.mergeWordHeap(long, st)...)
	quad := make([]int, 0)
	// The quadratic scan on the same piece, bypassing the length switch.
	ids2 := st.ids[:0]
	for i := 0; i < len(long); i++ {
		ids2 = append(ids2, b.byteID[long[i]])
	}
	for {
		m, best := -1, int32(noRank)
		for i := 0; i+1 < len(ids2); i++ {
			if r := b.lookup(ids2[i], ids2[i+1]); r.rank < best {
				best, m = r.rank, i
			}
		}
		if m < 0 {
			break
		}
		ids2[m] = int(b.lookup(ids2[m], ids2[m+1]).id)
		ids2 = append(ids2[:m+1], ids2[m+2:]...)
	}
	quad = append(quad, ids2...)
	if !equalInts(heap, quad) {
		t.Errorf("heap merge %v != quadratic %v", heap, quad)
	}
	if got := b.Decode(b.Encode(long)); got != long {
		t.Error("long word round trip failed")
	}
}

func TestBPEPrefixSpace(t *testing.T) {
	b, err := LoadGPT2("testdata/gpt2_encoder.json.gz", "testdata/gpt2_vocab.bpe.gz")
	if err != nil {
		t.Fatal(err)
	}
	b.SetAddPrefixSpace(true)
	// " Hello" is one token (18435); with the prefix space "Hello" encodes so.
	if got := b.Encode("Hello<|endoftext|>world"); !equalInts(got, []int{18435, 50256, 995}) {
		t.Errorf("prefix space: %v", got)
	}
}

// TestBPERoundTripRandomBytes: decode(encode(x)) == x on seeded random
// byte strings, mixing ASCII, UTF-8 and invalid bytes (the fuzz target
// explores further).
func TestBPERoundTripRandomBytes(t *testing.T) {
	b := loadR50K(t)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", " ", "  ", "\n", "'s", "1", "é", "中", "😀", "\xff", "\xc3", "\x80", "\t", "!", "<|endoftext|>"}
	for i := 0; i < 3000; i++ {
		var sb strings.Builder
		n := rng.IntN(60)
		for k := 0; k < n; k++ {
			if rng.IntN(4) == 0 {
				sb.WriteByte(byte(rng.IntN(256)))
			} else {
				sb.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
		}
		s := sb.String()
		if got := b.Decode(b.Encode(s)); got != s {
			t.Fatalf("Decode(Encode(%q)) = %q", s, got)
		}
	}
}
