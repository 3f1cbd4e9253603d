package tokenizer

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// BPE is a byte-level byte-pair-encoding tokenizer, compatible with GPT-2
// (encoder.json + vocab.bpe), tiktoken rank files and Hugging Face
// byte-level BPE tokenizer.json files. It is safe for concurrent use.
type BPE struct {
	name         string
	splitName    string
	next         splitFunc
	tokens       []string       // id → raw bytes of the token ("" for a hole)
	ids          map[string]int // raw bytes → id, special tokens excluded
	merges       map[uint64]merge
	byteID       [256]int
	ignoreMerges bool // a piece that is itself a token is emitted whole (tiktoken)
	prefixSpace  bool // add a space before text that does not start with one
	special      specials
	// states holds idle encoder states with their word caches; a channel
	// rather than a sync.Pool so that the caches survive garbage collection.
	states     chan *bpeState
	statesOnce sync.Once
}

// merge is what a pair of adjacent ids becomes, and when.
type merge struct {
	rank int32 // lower merges first
	id   int32 // the merged token
}

const noRank = math.MaxInt32

func pairKey(a, b int) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// cacheLimit bounds each encoder's word cache; it is cleared when full.
const cacheLimit = 1 << 16

// bpeState is the scratch space of one encoding goroutine.
type bpeState struct {
	cache map[string][]int
	ids   []int
	pm    []merge
	heap  mergeHeap
	links []int32
	res   []int
}

// NewBPE builds a byte-level BPE from raw-byte tokens (tokens[id]; every
// single byte must be present) and merges given as pairs of ids in priority
// order (merges[k] = [left, right] merges before merges[k+1]). When merges
// is nil they are derived from the tokens as tiktoken does: a pair merges
// if its concatenation is a token, lower ids first. split names the
// pre-tokenization pattern (SplitGPT2, SplitCL100K, SplitO200K, SplitNone).
func NewBPE(tokens []string, merges [][2]int, split string) (*BPE, error) {
	next, ok := splitByName(split)
	if !ok {
		return nil, fmt.Errorf("tokenizer: unknown split pattern %q", split)
	}
	b := &BPE{name: "bpe", splitName: split, next: next, tokens: tokens, ids: make(map[string]int, len(tokens))}
	for id, t := range tokens {
		if t == "" {
			continue
		}
		if prev, dup := b.ids[t]; dup {
			return nil, fmt.Errorf("tokenizer: token %q has ids %d and %d", t, prev, id)
		}
		b.ids[t] = id
	}
	for c := 0; c < 256; c++ {
		id, ok := b.ids[string([]byte{byte(c)})]
		if !ok {
			return nil, fmt.Errorf("tokenizer: byte 0x%02x has no token", c)
		}
		b.byteID[c] = id
	}
	if merges == nil {
		b.deriveMerges()
		b.ignoreMerges = true
		return b, nil
	}
	b.merges = make(map[uint64]merge, len(merges))
	for k, m := range merges {
		l, r := m[0], m[1]
		if l < 0 || r < 0 || l >= len(tokens) || r >= len(tokens) || tokens[l] == "" || tokens[r] == "" {
			return nil, fmt.Errorf("tokenizer: merge %d: ids %d %d out of vocabulary", k, l, r)
		}
		id, ok := b.ids[tokens[l]+tokens[r]]
		if !ok {
			return nil, fmt.Errorf("tokenizer: merge %d: %q + %q is not a token", k, tokens[l], tokens[r])
		}
		if _, dup := b.merges[pairKey(l, r)]; !dup {
			b.merges[pairKey(l, r)] = merge{rank: int32(k), id: int32(id)}
		}
	}
	return b, nil
}

// deriveMerges makes every split of a token into two tokens a merge ranked
// by the token's id, which reproduces tiktoken's byte_pair_merge.
func (b *BPE) deriveMerges() {
	b.merges = make(map[uint64]merge, len(b.tokens)*2)
	for id, t := range b.tokens {
		for i := 1; i < len(t); i++ {
			l, ok1 := b.ids[t[:i]]
			r, ok2 := b.ids[t[i:]]
			if ok1 && ok2 {
				b.merges[pairKey(l, r)] = merge{rank: int32(id), id: int32(id)}
			}
		}
	}
}

// AddSpecial adds a special token, matched literally in text and never
// split. id may extend the vocabulary.
func (b *BPE) AddSpecial(token string, id int) error {
	if token == "" || id < 0 {
		return fmt.Errorf("tokenizer: bad special token %q id %d", token, id)
	}
	if id < len(b.tokens) && b.tokens[id] != "" && b.tokens[id] != token {
		return fmt.Errorf("tokenizer: special token %q: id %d is already %q", token, id, b.tokens[id])
	}
	for len(b.tokens) <= id {
		b.tokens = append(b.tokens, "")
	}
	b.tokens[id] = token
	b.special.add(token, id)
	return nil
}

// SetName sets the name shown by String.
func (b *BPE) SetName(name string) { b.name = name }

// SetAddPrefixSpace makes Encode add a space before text that does not
// start with one (RoBERTa style). Off by default, as in GPT-2.
func (b *BPE) SetAddPrefixSpace(on bool) { b.prefixSpace = on }

// Split returns the name of the pre-tokenization pattern.
func (b *BPE) Split() string { return b.splitName }

// NumMerges returns the number of merge rules.
func (b *BPE) NumMerges() int { return len(b.merges) }

// String describes the tokenizer.
func (b *BPE) String() string {
	return fmt.Sprintf("BPE(%s: vocab %d, merges %d, split %s, %d special)", b.name, b.VocabSize(), len(b.merges), b.splitName, len(b.special.list))
}

// VocabSize is one more than the largest id.
func (b *BPE) VocabSize() int { return len(b.tokens) }

// TokenID returns the id of a token given in raw bytes (" hello", not "Ġhello").
func (b *BPE) TokenID(token string) (int, bool) {
	if id, ok := b.special.ids[token]; ok {
		return id, true
	}
	id, ok := b.ids[token]
	return id, ok
}

// Token returns the raw bytes of token id.
func (b *BPE) Token(id int) (string, bool) {
	if id < 0 || id >= len(b.tokens) || b.tokens[id] == "" {
		return "", false
	}
	return b.tokens[id], true
}

// SpecialTokens lists the special tokens in id order.
func (b *BPE) SpecialTokens() []string { return append([]string(nil), b.special.list...) }

// Encode returns the ids of text.
func (b *BPE) Encode(text string) []int {
	return b.AppendEncode(make([]int, 0, len(text)/3+1), text)
}

// AppendEncode appends the ids of text to dst and returns it; with a
// reused dst it does not allocate once the word cache is warm.
func (b *BPE) AppendEncode(dst []int, text string) []int {
	b.statesOnce.Do(func() { b.states = make(chan *bpeState, 2*runtime.GOMAXPROCS(0)) })
	var st *bpeState
	select {
	case st = <-b.states:
	default:
		st = &bpeState{cache: make(map[string][]int, 1024)}
	}
	if len(b.special.list) == 0 {
		dst = b.encodePlain(dst, text, st)
	} else {
		for len(text) > 0 {
			i, j, id := b.special.next(text)
			if i < 0 {
				dst = b.encodePlain(dst, text, st)
				break
			}
			dst = b.encodePlain(dst, text[:i], st)
			dst = append(dst, id)
			text = text[j:]
		}
	}
	select {
	case b.states <- st:
	default:
	}
	return dst
}

func (b *BPE) encodePlain(out []int, text string, st *bpeState) []int {
	// As Hugging Face's ByteLevel(add_prefix_space), each stretch of text
	// between special tokens gets a leading space.
	if b.prefixSpace && text != "" && text[0] != ' ' {
		text = " " + text
	}
	for i := 0; i < len(text); {
		j := b.next(text, i)
		piece := text[i:j]
		i = j
		if len(piece) == 1 {
			out = append(out, b.byteID[piece[0]])
			continue
		}
		if ids, ok := st.cache[piece]; ok {
			out = append(out, ids...)
			continue
		}
		if b.ignoreMerges {
			if id, ok := b.ids[piece]; ok {
				out = append(out, id)
				continue
			}
		}
		ids := b.mergeWord(piece, st)
		if len(st.cache) >= cacheLimit {
			clear(st.cache)
		}
		st.cache[strings.Clone(piece)] = append([]int(nil), ids...)
		out = append(out, ids...)
	}
	return out
}

func (b *BPE) lookup(l, r int) merge {
	if m, ok := b.merges[pairKey(l, r)]; ok {
		return m
	}
	return merge{rank: noRank}
}

// longWord is the piece length above which merging uses a heap: the
// quadratic scan is faster for ordinary words.
const longWord = 96

// mergeWord applies the merges to piece: repeatedly the adjacent pair of
// lowest rank (leftmost on ties) becomes its merged token. The result
// aliases st.ids.
func (b *BPE) mergeWord(piece string, st *bpeState) []int {
	if len(piece) > longWord {
		return b.mergeWordHeap(piece, st)
	}
	ids := st.ids[:0]
	for i := 0; i < len(piece); i++ {
		ids = append(ids, b.byteID[piece[i]])
	}
	pm := st.pm[:0]
	for i := 0; i+1 < len(ids); i++ {
		pm = append(pm, b.lookup(ids[i], ids[i+1]))
	}
	for len(pm) > 0 {
		m, best := -1, int32(noRank)
		for i, p := range pm {
			if p.rank < best {
				best, m = p.rank, i
			}
		}
		if m < 0 {
			break
		}
		ids[m] = int(pm[m].id)
		ids = append(ids[:m+1], ids[m+2:]...)
		pm = append(pm[:m], pm[m+1:]...)
		if m > 0 {
			pm[m-1] = b.lookup(ids[m-1], ids[m])
		}
		if m < len(pm) {
			pm[m] = b.lookup(ids[m], ids[m+1])
		}
	}
	st.ids, st.pm = ids, pm
	return ids
}

// Decode returns the bytes of ids concatenated; unknown ids are skipped.
// The result may be invalid UTF-8 when ids split a character.
func (b *BPE) Decode(ids []int) string {
	n := 0
	for _, id := range ids {
		if id >= 0 && id < len(b.tokens) {
			n += len(b.tokens[id])
		}
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, id := range ids {
		if id >= 0 && id < len(b.tokens) {
			sb.WriteString(b.tokens[id])
		}
	}
	return sb.String()
}

// EncodeBatch encodes texts in parallel.
func (b *BPE) EncodeBatch(texts []string) [][]int { return encodeBatch(b, texts) }

// mergeList returns the merges in rank order as pairs of ids.
func (b *BPE) mergeList() [][2]int {
	type kv struct {
		k uint64
		m merge
	}
	all := make([]kv, 0, len(b.merges))
	for k, m := range b.merges {
		all = append(all, kv{k, m})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].m.rank != all[j].m.rank {
			return all[i].m.rank < all[j].m.rank
		}
		return all[i].k < all[j].k
	})
	out := make([][2]int, len(all))
	for i, e := range all {
		out[i] = [2]int{int(uint32(e.k >> 32)), int(uint32(e.k))}
	}
	return out
}
