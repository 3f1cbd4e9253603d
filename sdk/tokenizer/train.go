package tokenizer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// TrainOptions configures TrainBPE and TrainWordPiece.
type TrainOptions struct {
	// VocabSize is the size to reach, special tokens and alphabet included.
	VocabSize int
	// MinFrequency stops training when the most frequent pair is rarer
	// (default 2; 1 merges everything).
	MinFrequency int
	// SpecialTokens take the first ids, in order. WordPiece defaults to
	// [PAD] [UNK] [CLS] [SEP] [MASK]; BPE to none.
	SpecialTokens []string
	// Split is the BPE pre-tokenization pattern (default SplitGPT2).
	Split string
	// Lowercase sets WordPiece's normalisation (lower-casing and accent
	// stripping, as bert-base-uncased).
	Lowercase bool
}

func (o TrainOptions) String() string {
	return fmt.Sprintf("TrainOptions(vocab %d, min freq %d, %d specials, split %q, lowercase %v)",
		o.VocabSize, o.MinFrequency, len(o.SpecialTokens), o.Split, o.Lowercase)
}

// TrainBPE learns a byte-level BPE from the text of r (read as a stream)
// as Hugging Face's BpeTrainer does: count pre-tokenized words, start from
// the 256 bytes, and repeatedly merge the most frequent adjacent pair (ties
// to the smaller pair of ids) until VocabSize is reached.
func TrainBPE(ctx context.Context, r io.Reader, opt TrainOptions) (*BPE, error) {
	if opt.Split == "" {
		opt.Split = SplitGPT2
	}
	next, ok := splitByName(opt.Split)
	if !ok {
		return nil, fmt.Errorf("tokenizer: unknown split pattern %q", opt.Split)
	}
	if opt.VocabSize < len(opt.SpecialTokens)+256 {
		return nil, fmt.Errorf("tokenizer: vocab size %d is below the %d specials + 256 bytes", opt.VocabSize, len(opt.SpecialTokens))
	}
	counts, err := countWords(ctx, r, func(text string, add func(string)) {
		for i := 0; i < len(text); {
			j := next(text, i)
			add(text[i:j])
			i = j
		}
	})
	if err != nil {
		return nil, err
	}
	nsp := len(opt.SpecialTokens)
	syms := make([]string, nsp, opt.VocabSize)
	for c := 0; c < 256; c++ {
		syms = append(syms, string([]byte{byte(c)}))
	}
	words := make([]trainWord, 0, len(counts))
	for w, c := range counts {
		s := make([]int32, len(w))
		for i := 0; i < len(w); i++ {
			s[i] = int32(nsp + int(w[i]))
		}
		words = append(words, trainWord{syms: s, count: int64(c)})
	}
	tokens, merges, err := learnMerges(ctx, words, syms, opt, func(a, b string) string { return a + b })
	if err != nil {
		return nil, err
	}
	b, err := NewBPE(tokens, merges, opt.Split)
	if err != nil {
		return nil, err
	}
	b.name = "trained"
	for i, s := range opt.SpecialTokens {
		if err := b.AddSpecial(s, i); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// TrainWordPiece learns a WordPiece vocabulary as Hugging Face's
// WordPieceTrainer does: BPE merges over the characters of BERT-normalised
// words, non-initial characters carrying the "##" prefix.
func TrainWordPiece(ctx context.Context, r io.Reader, opt TrainOptions) (*WordPiece, error) {
	if opt.SpecialTokens == nil {
		opt.SpecialTokens = []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
	}
	hasUnk := false
	for _, s := range opt.SpecialTokens {
		hasUnk = hasUnk || s == "[UNK]"
	}
	if !hasUnk {
		return nil, errors.New("tokenizer: WordPiece training needs [UNK] among the special tokens")
	}
	norm := &WordPiece{lowercase: opt.Lowercase, stripAccents: opt.Lowercase, cleanText: true, chinese: true}
	counts, err := countWords(ctx, r, func(text string, add func(string)) {
		s := string(norm.normalize(nil, text))
		forEachBertWord(s, add)
	})
	if err != nil {
		return nil, err
	}
	// The alphabet: every character, initial and "##" continuation forms.
	nsp := len(opt.SpecialTokens)
	syms := make([]string, nsp, opt.VocabSize)
	symID := map[string]int32{}
	chars := map[string]bool{}
	for w := range counts {
		first := true
		for _, r := range w {
			c := string(r)
			if !first {
				c = "##" + c
			}
			chars[c] = true
			first = false
		}
	}
	alpha := make([]string, 0, len(chars))
	for c := range chars {
		alpha = append(alpha, c)
	}
	sort.Strings(alpha)
	for _, c := range alpha {
		symID[c] = int32(len(syms))
		syms = append(syms, c)
	}
	if opt.VocabSize < len(syms) {
		return nil, fmt.Errorf("tokenizer: vocab size %d is below the %d specials + %d alphabet symbols", opt.VocabSize, nsp, len(alpha))
	}
	words := make([]trainWord, 0, len(counts))
	for w, c := range counts {
		var s []int32
		first := true
		for _, r := range w {
			k := string(r)
			if !first {
				k = "##" + k
			}
			s = append(s, symID[k])
			first = false
		}
		words = append(words, trainWord{syms: s, count: int64(c)})
	}
	tokens, _, err := learnMerges(ctx, words, syms, opt, func(a, b string) string { return a + strings.TrimPrefix(b, "##") })
	if err != nil {
		return nil, err
	}
	copy(tokens, opt.SpecialTokens)
	w, err := NewWordPiece(tokens, opt.Lowercase)
	if err != nil {
		return nil, err
	}
	w.special = specials{}
	for _, s := range opt.SpecialTokens {
		if err := w.AddSpecial(s); err != nil {
			return nil, err
		}
	}
	w.name = "trained"
	return w, nil
}

// forEachBertWord calls add for each word of normalised text, split on
// whitespace and punctuation as BertPreTokenizer does.
func forEachBertWord(s string, add func(string)) {
	start := -1
	for i, r := range s {
		sp, punct := false, false
		if r < utf8.RuneSelf {
			k := asciiKind[r]
			sp, punct = k == kSpace, k == kPunct
		} else {
			sp, punct = isSpaceRune(r), isBertPunct(r)
		}
		if sp || punct {
			if start >= 0 {
				add(s[start:i])
				start = -1
			}
			if punct {
				add(s[i : i+utf8.RuneLen(r)])
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		add(s[start:])
	}
}

// countWords counts the pre-tokenized words of r on all cores: a reader
// cuts the stream into ~1 MB chunks at line ends, workers count into maps
// of their own, merged at the end.
func countWords(ctx context.Context, r io.Reader, split func(text string, add func(string))) (map[string]int, error) {
	workers := runtime.GOMAXPROCS(0)
	chunks := make(chan string, workers)
	results := make([]map[string]int, workers)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			m := map[string]int{}
			add := func(w string) {
				if n, ok := m[w]; ok {
					m[w] = n + 1
				} else {
					m[strings.Clone(w)] = 1
				}
			}
			for c := range chunks {
				split(c, add)
			}
			results[k] = m
		}(k)
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var rerr error
	buf := make([]byte, 0, 1<<20)
	for rerr == nil {
		if err := ctx.Err(); err != nil {
			rerr = err
			break
		}
		line, err := br.ReadSlice('\n')
		buf = append(buf, line...)
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if !errors.Is(err, io.EOF) {
				rerr = err
			}
			break
		}
		if len(buf) >= 1<<20 && err == nil {
			chunks <- string(buf)
			buf = buf[:0]
		}
	}
	if len(buf) > 0 && rerr == nil {
		chunks <- string(buf)
	}
	close(chunks)
	wg.Wait()
	if rerr != nil {
		return nil, rerr
	}
	total := results[0]
	for _, m := range results[1:] {
		for w, n := range m {
			total[w] += n
		}
	}
	return total, nil
}

type trainWord struct {
	syms  []int32
	count int64
}

type pairCount struct {
	count int64
	pair  uint64
}

// learnMerges runs the BPE merge loop over words whose symbols index syms;
// join names the token a merge creates. It returns the final token list
// and the merges in order.
func learnMerges(ctx context.Context, words []trainWord, syms []string, opt TrainOptions, join func(a, b string) string) ([]string, [][2]int, error) {
	minFreq := int64(opt.MinFrequency)
	if minFreq <= 0 {
		minFreq = 2
	}
	// Deterministic word order (map iteration is random).
	sort.Slice(words, func(i, j int) bool { return lessSyms(words[i].syms, words[j].syms) })
	symID := make(map[string]int, opt.VocabSize)
	for i, s := range syms {
		if i >= len(opt.SpecialTokens) {
			symID[s] = i
		}
	}
	counts := map[uint64]int64{}
	where := map[uint64][]int32{}
	for wi, w := range words {
		for i := 0; i+1 < len(w.syms); i++ {
			p := pairKey(int(w.syms[i]), int(w.syms[i+1]))
			counts[p] += w.count
			if ws := where[p]; len(ws) == 0 || ws[len(ws)-1] != int32(wi) {
				where[p] = append(ws, int32(wi))
			}
		}
	}
	h := &countHeap{}
	for p, c := range counts {
		h.items = append(h.items, pairCount{c, p})
	}
	h.init()
	var merges [][2]int
	stamp := make([]int32, len(words))
	for i := range stamp {
		stamp[i] = -1
	}
	changed := map[uint64]bool{}
	for len(syms) < opt.VocabSize && len(h.items) > 0 {
		if len(merges)%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		top := h.pop()
		if cur := counts[top.pair]; cur != top.count {
			if cur > 0 {
				h.push(pairCount{cur, top.pair})
			}
			continue
		}
		if top.count < minFreq {
			break
		}
		a, b := int(uint32(top.pair>>32)), int(uint32(top.pair))
		tok := join(syms[a], syms[b])
		id, ok := symID[tok]
		if !ok {
			id = len(syms)
			syms = append(syms, tok)
			symID[tok] = id
		}
		merges = append(merges, [2]int{a, b})
		clear(changed)
		step := int32(len(merges))
		for _, wi := range where[top.pair] {
			if stamp[wi] == step {
				continue
			}
			stamp[wi] = step
			w := &words[wi]
			// Replace every (a, b) left to right, updating the pair counts
			// around each replacement.
			s := w.syms
			out := s[:0]
			for i := 0; i < len(s); i++ {
				if i+1 < len(s) && int(s[i]) == a && int(s[i+1]) == b {
					if len(out) > 0 {
						prev := int(out[len(out)-1])
						dec(counts, pairKey(prev, a), w.count)
						np := pairKey(prev, id)
						counts[np] += w.count
						changed[np] = true
						where[np] = appendWhere(where[np], int32(wi))
					}
					if i+2 < len(s) {
						nxt := int(s[i+2])
						dec(counts, pairKey(b, nxt), w.count)
						np := pairKey(id, nxt)
						counts[np] += w.count
						changed[np] = true
						where[np] = appendWhere(where[np], int32(wi))
					}
					dec(counts, top.pair, w.count)
					out = append(out, int32(id))
					i++
					continue
				}
				out = append(out, s[i])
			}
			w.syms = out
		}
		delete(where, top.pair)
		for p := range changed {
			if c := counts[p]; c > 0 {
				h.push(pairCount{c, p})
			}
		}
	}
	return syms, merges, nil
}

func dec(counts map[uint64]int64, p uint64, n int64) {
	if c := counts[p] - n; c > 0 {
		counts[p] = c
	} else {
		delete(counts, p)
	}
}

func appendWhere(ws []int32, wi int32) []int32 {
	if len(ws) > 0 && ws[len(ws)-1] == wi {
		return ws
	}
	return append(ws, wi)
}

func lessSyms(a, b []int32) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// countHeap is a max-heap of pair counts; ties go to the smaller pair.
type countHeap struct{ items []pairCount }

func (h *countHeap) less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	return a.count > b.count || a.count == b.count && a.pair < b.pair
}

func (h *countHeap) init() {
	for i := len(h.items)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *countHeap) push(x pairCount) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *countHeap) pop() pairCount {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	h.down(0)
	return top
}

func (h *countHeap) down(i int) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
}

func isSpaceRune(r rune) bool { return unicode.IsSpace(r) }
