package tokenizer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// WordVocab is a word-level vocabulary: words sorted by descending corpus
// count (ties keep first-occurrence order, as gensim does), each with its
// count. Ids are positions in Words. It is what word2vec and GloVe train on.
type WordVocab struct {
	// Words holds the vocabulary, most frequent first.
	Words []string
	// Counts holds each word's corpus count, parallel to Words.
	Counts []int64
	index  map[string]int32
}

// NewWordVocab builds a vocabulary from parallel word and count slices,
// kept in the given order. It returns an error when the lengths differ or a
// word repeats.
func NewWordVocab(words []string, counts []int64) (*WordVocab, error) {
	if len(words) != len(counts) {
		return nil, fmt.Errorf("tokenizer: NewWordVocab: %d words but %d counts", len(words), len(counts))
	}
	v := &WordVocab{Words: words, Counts: counts, index: make(map[string]int32, len(words))}
	for i, w := range words {
		if _, dup := v.index[w]; dup {
			return nil, fmt.Errorf("tokenizer: NewWordVocab: word %q repeats at id %d", w, i)
		}
		v.index[w] = int32(i)
	}
	return v, nil
}

// Len returns the number of words.
func (v *WordVocab) Len() int { return len(v.Words) }

// ID returns the id of word and whether it is in the vocabulary.
func (v *WordVocab) ID(word string) (int32, bool) {
	id, ok := v.index[word]
	return id, ok
}

// Total returns the sum of all counts.
func (v *WordVocab) Total() int64 {
	var t int64
	for _, c := range v.Counts {
		t += c
	}
	return t
}

// String summarises the vocabulary: size, total count and the first words.
func (v *WordVocab) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "WordVocab{%d words, %d tokens", len(v.Words), v.Total())
	for i := 0; i < len(v.Words) && i < 5; i++ {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s:%d", v.Words[i], v.Counts[i])
	}
	if len(v.Words) > 5 {
		b.WriteString(", ...")
	}
	b.WriteString("}")
	return b.String()
}

// WordCorpusOptions controls ReadWordCorpus.
type WordCorpusOptions struct {
	// MinCount drops words seen fewer times (word2vec's min-count); 0 or 1
	// keeps every word.
	MinCount int
	// MaxVocab keeps only the most frequent words when positive.
	MaxVocab int
	// Normalize lowercases each token and trims leading and trailing
	// characters that are neither letters nor digits, dropping tokens that
	// become empty ("Emma," → "emma", "--" → nothing). Off, tokens are taken
	// verbatim, as word2vec.c does.
	Normalize bool
	// MaxSentence splits longer lines into pieces of at most this many
	// tokens (word2vec.c uses 1000); 0 means no limit.
	MaxSentence int
}

// WordCorpus is a tokenised corpus held in memory as word ids: 4 bytes per
// in-vocabulary token plus 4 bytes per sentence. Reading costs, at its
// peak, 4 bytes per raw token plus the vocabulary map.
type WordCorpus struct {
	// Vocab is the vocabulary after MinCount and MaxVocab.
	Vocab *WordVocab
	// IDs holds the in-vocabulary tokens in corpus order.
	IDs []int32
	// Ends holds, for each sentence (line), the end offset in IDs
	// (exclusive). Empty sentences are not kept.
	Ends []int32
	// Tokens counts every token read, including those dropped by MinCount.
	Tokens int64
}

// String summarises the corpus.
func (c *WordCorpus) String() string {
	return fmt.Sprintf("WordCorpus{%d tokens read, %d kept, %d sentences, vocab %d}",
		c.Tokens, len(c.IDs), len(c.Ends), c.Vocab.Len())
}

// Sentence returns the ids of sentence i.
func (c *WordCorpus) Sentence(i int) []int32 {
	start := int32(0)
	if i > 0 {
		start = c.Ends[i-1]
	}
	return c.IDs[start:c.Ends[i]]
}

// NormalizeWord applies WordCorpusOptions.Normalize to one token.
func NormalizeWord(w string) string {
	return string(normalizeToken(nil, []byte(w)))
}

// normalizeToken lowercases tok and trims non-alphanumeric edges, appending
// the result to dst[:0]. ASCII takes a fast path.
func normalizeToken(dst, tok []byte) []byte {
	// Trim edges.
	for len(tok) > 0 {
		r, n := rune(tok[0]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(tok)
		}
		if isWordRune(r) {
			break
		}
		tok = tok[n:]
	}
	for len(tok) > 0 {
		r, n := rune(tok[len(tok)-1]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeLastRune(tok)
		}
		if isWordRune(r) {
			break
		}
		tok = tok[:len(tok)-n]
	}
	dst = dst[:0]
	for i := 0; i < len(tok); {
		c := tok[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(tok[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += n
	}
	return dst
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// errCorpusTooLarge guards the int32 offsets.
var errCorpusTooLarge = errors.New("corpus has more than 2^31-1 tokens")

// ReadWordCorpus reads whitespace-separated words from r (a newline ends a
// sentence; space, tab, CR, VT and FF separate words), builds the vocabulary
// and encodes the corpus as ids in one pass. name labels errors. It stops
// with ctx's error when ctx is cancelled.
func ReadWordCorpus(ctx context.Context, r io.Reader, name string, opt WordCorpusOptions) (*WordCorpus, error) {
	index := make(map[string]int32, 1<<14)
	var counts []int64
	var words []string
	ids := make([]int32, 0, 1<<16)
	var ends []int32
	var tokens int64
	sentLen := 0

	var carry []byte // partial token spanning two reads
	var norm []byte
	line := 1
	addToken := func(tok []byte) {
		if opt.Normalize {
			norm = normalizeToken(norm, tok)
			if len(norm) == 0 {
				return
			}
			tok = norm
		}
		tokens++
		id, ok := index[string(tok)]
		if !ok {
			id = int32(len(words))
			s := string(tok)
			index[s] = id
			words = append(words, s)
			counts = append(counts, 0)
		}
		counts[id]++
		ids = append(ids, id)
		sentLen++
		if opt.MaxSentence > 0 && sentLen >= opt.MaxSentence {
			ends = append(ends, int32(len(ids)))
			sentLen = 0
		}
	}
	endSentence := func() {
		if sentLen > 0 {
			ends = append(ends, int32(len(ids)))
			sentLen = 0
		}
	}

	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := r.Read(buf)
		chunk := buf[:n]
		start := -1 // start of the current token in chunk, -1 when outside
		if len(carry) > 0 {
			start = 0
		}
		for i := 0; i < len(chunk); i++ {
			c := chunk[i]
			if c > ' ' || (c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != '\v' && c != '\f') {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 {
				if len(carry) > 0 {
					carry = append(carry, chunk[start:i]...)
					addToken(carry)
					carry = carry[:0]
				} else {
					addToken(chunk[start:i])
				}
				start = -1
			}
			if c == '\n' {
				endSentence()
				line++
			}
		}
		if start >= 0 {
			carry = append(carry, chunk[start:]...)
		}
		if len(ids) >= 1<<31-1 {
			return nil, fmt.Errorf("%s:%d: %w", name, line, errCorpusTooLarge)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
	if len(carry) > 0 {
		addToken(carry)
	}
	endSentence()

	// Sort by descending count, first occurrence breaking ties, then apply
	// MinCount and MaxVocab.
	order := make([]int32, len(words))
	for i := range order {
		order[i] = int32(i)
	}
	sort.SliceStable(order, func(a, b int) bool { return counts[order[a]] > counts[order[b]] })
	keep := len(order)
	for keep > 0 && int(counts[order[keep-1]]) < opt.MinCount {
		keep--
	}
	if opt.MaxVocab > 0 && keep > opt.MaxVocab {
		keep = opt.MaxVocab
	}
	remap := make([]int32, len(words))
	for i := range remap {
		remap[i] = -1
	}
	vw := make([]string, keep)
	vc := make([]int64, keep)
	vi := make(map[string]int32, keep)
	for newID, old := range order[:keep] {
		remap[old] = int32(newID)
		vw[newID] = words[old]
		vc[newID] = counts[old]
		vi[words[old]] = int32(newID)
	}
	// Compact ids and sentence ends in place.
	out, prev, ne := 0, 0, 0
	for _, e := range ends {
		for _, id := range ids[prev:e] {
			if m := remap[id]; m >= 0 {
				ids[out] = m
				out++
			}
		}
		prev = int(e)
		if out > 0 && (ne == 0 || int(ends[ne-1]) != out) {
			ends[ne] = int32(out)
			ne++
		}
	}
	ends = ends[:ne]
	return &WordCorpus{
		Vocab:  &WordVocab{Words: vw, Counts: vc, index: vi},
		IDs:    ids[:out:out],
		Ends:   ends,
		Tokens: tokens,
	}, nil
}
