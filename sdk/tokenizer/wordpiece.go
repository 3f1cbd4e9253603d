package tokenizer

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// WordPiece is BERT's tokenizer: the basic tokenizer's normalisation
// (control characters removed, whitespace unified, CJK ideographs split,
// accents stripped, lower-casing), a split on whitespace and punctuation,
// then greedy longest-match-first subwords with a "##" continuation
// prefix. It matches Hugging Face's BertNormalizer + BertPreTokenizer +
// WordPiece. It is safe for concurrent use.
type WordPiece struct {
	name     string
	tokens   []string
	ids      map[string]int // word-initial pieces
	cont     map[string]int // continuation pieces, prefix removed
	prefix   string
	unk      int
	maxChars int
	maxLen   int // longest piece in bytes, bounds the search
	special  specials
	pool     sync.Pool // *wpState

	// Normalisation, as in Hugging Face's BertNormalizer.
	lowercase, stripAccents, cleanText, chinese bool
}

type wpState struct {
	norm []byte
}

// NewWordPiece builds a WordPiece tokenizer from its vocabulary (tokens[id]),
// with BERT's defaults: "[UNK]" for unknown words, "##" continuation
// prefix, 100 characters at most per word, and the basic tokenizer's
// normalisation with lower-casing and accent stripping when lowercase is
// true (bert-base-uncased) and neither when false (bert-base-cased).
// Tokens of the form "[XXX]" become special tokens, matched in raw text.
func NewWordPiece(tokens []string, lowercase bool) (*WordPiece, error) {
	w := &WordPiece{
		name: "wordpiece", tokens: tokens, prefix: "##", maxChars: 100,
		lowercase: lowercase, stripAccents: lowercase, cleanText: true, chinese: true,
		ids: make(map[string]int, len(tokens)), cont: make(map[string]int, len(tokens)/4),
	}
	for id, t := range tokens {
		if t == "" {
			return nil, fmt.Errorf("tokenizer: wordpiece token %d is empty", id)
		}
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") && len(t) > 2 && !strings.HasPrefix(t, "[unused") {
			w.special.add(t, id)
		}
	}
	if err := w.index(); err != nil {
		return nil, err
	}
	return w, nil
}

// index builds the lookup maps after tokens or prefix change.
func (w *WordPiece) index() error {
	clear(w.ids)
	clear(w.cont)
	w.maxLen = 0
	for id, t := range w.tokens {
		if t == "" {
			continue
		}
		if prev, dup := w.ids[t]; dup {
			return fmt.Errorf("tokenizer: token %q has ids %d and %d", t, prev, id)
		}
		w.ids[t] = id
		if w.prefix != "" && strings.HasPrefix(t, w.prefix) && len(t) > len(w.prefix) {
			if _, dup := w.cont[t[len(w.prefix):]]; !dup {
				w.cont[t[len(w.prefix):]] = id
			}
		}
		if len(t) > w.maxLen {
			w.maxLen = len(t)
		}
	}
	w.unk = -1
	if id, ok := w.ids["[UNK]"]; ok {
		w.unk = id
	}
	return nil
}

// SetUnknown sets the token emitted for words that cannot be split
// (default "[UNK]"); it must be in the vocabulary.
func (w *WordPiece) SetUnknown(token string) error {
	id, ok := w.ids[token]
	if !ok {
		return fmt.Errorf("tokenizer: unknown token %q is not in the vocabulary", token)
	}
	w.unk = id
	return nil
}

// SetPrefix sets the continuation prefix (default "##").
func (w *WordPiece) SetPrefix(prefix string) error {
	w.prefix = prefix
	unk := w.unk
	err := w.index()
	w.unk = unk
	return err
}

// SetMaxInputChars sets the longest word, in characters, that is split;
// longer words become the unknown token (default 100).
func (w *WordPiece) SetMaxInputChars(n int) { w.maxChars = n }

// SetNormalization sets the steps of the basic tokenizer.
func (w *WordPiece) SetNormalization(cleanText, handleChinese, stripAccents, lowercase bool) {
	w.cleanText, w.chinese, w.stripAccents, w.lowercase = cleanText, handleChinese, stripAccents, lowercase
}

// AddSpecial marks a vocabulary token as special: it is matched
// literally in raw text before normalisation.
func (w *WordPiece) AddSpecial(token string) error {
	id, ok := w.ids[token]
	if !ok {
		return fmt.Errorf("tokenizer: special token %q is not in the vocabulary", token)
	}
	w.special.add(token, id)
	return nil
}

// SetName sets the name shown by String.
func (w *WordPiece) SetName(name string) { w.name = name }

// String describes the tokenizer.
func (w *WordPiece) String() string {
	return fmt.Sprintf("WordPiece(%s: vocab %d, lowercase %v, %d special)", w.name, len(w.tokens), w.lowercase, len(w.special.list))
}

// VocabSize is the number of tokens.
func (w *WordPiece) VocabSize() int { return len(w.tokens) }

// TokenID returns the id of a vocabulary token ("##ing" for a continuation).
func (w *WordPiece) TokenID(token string) (int, bool) {
	id, ok := w.ids[token]
	return id, ok
}

// Token returns the vocabulary token of id.
func (w *WordPiece) Token(id int) (string, bool) {
	if id < 0 || id >= len(w.tokens) {
		return "", false
	}
	return w.tokens[id], true
}

// SpecialTokens lists the special tokens in id order.
func (w *WordPiece) SpecialTokens() []string { return append([]string(nil), w.special.list...) }

// EncodeBatch encodes texts in parallel.
func (w *WordPiece) EncodeBatch(texts []string) [][]int { return encodeBatch(w, texts) }

// Encode returns the ids of text, without [CLS] and [SEP].
func (w *WordPiece) Encode(text string) []int {
	return w.AppendEncode(make([]int, 0, len(text)/4+1), text)
}

// AppendEncode appends the ids of text to dst and returns it.
func (w *WordPiece) AppendEncode(dst []int, text string) []int {
	st, _ := w.pool.Get().(*wpState)
	if st == nil {
		st = &wpState{}
	}
	if len(w.special.list) == 0 {
		dst = w.encodePlain(dst, text, st)
	} else {
		for len(text) > 0 {
			i, j, id := w.special.next(text)
			if i < 0 {
				dst = w.encodePlain(dst, text, st)
				break
			}
			dst = w.encodePlain(dst, text[:i], st)
			dst = append(dst, id)
			text = text[j:]
		}
	}
	w.pool.Put(st)
	return dst
}

// Normalize returns text after the basic tokenizer's normalisation, the
// form that is split into words.
func (w *WordPiece) Normalize(text string) string {
	return string(w.normalize(nil, text))
}

func (w *WordPiece) encodePlain(out []int, text string, st *wpState) []int {
	st.norm = w.normalize(st.norm[:0], text)
	s := st.norm
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch asciiKind[c] {
			case kSpace:
				i++
				continue
			case kPunct:
				out = w.appendWord(out, s[i:i+1])
				i++
				continue
			}
		} else {
			r, n := utf8.DecodeRune(s[i:])
			if unicode.IsSpace(r) {
				i += n
				continue
			}
			if isBertPunct(r) {
				out = w.appendWord(out, s[i:i+n])
				i += n
				continue
			}
		}
		// A word runs to the next whitespace or punctuation.
		j := i
		for j < len(s) {
			c := s[j]
			if c < utf8.RuneSelf {
				if asciiKind[c] != kWord {
					break
				}
				j++
				continue
			}
			r, n := utf8.DecodeRune(s[j:])
			if unicode.IsSpace(r) || isBertPunct(r) {
				break
			}
			j += n
		}
		out = w.appendWord(out, s[i:j])
		i = j
	}
	return out
}

// appendWord appends the greedy longest-match-first pieces of word, or
// the unknown token when some part of it matches nothing.
func (w *WordPiece) appendWord(out []int, word []byte) []int {
	if len(word) > w.maxChars && utf8.RuneCount(word) > w.maxChars {
		return w.appendUnk(out)
	}
	mark := len(out)
	for start := 0; start < len(word); {
		end := len(word)
		if end-start > w.maxLen {
			end = start + w.maxLen
			for end > start && !utf8.RuneStart(word[end]) {
				end--
			}
		}
		id := -1
		for end > start {
			var ok bool
			if start == 0 {
				id, ok = w.ids[string(word[:end])]
			} else {
				id, ok = w.cont[string(word[start:end])]
			}
			if ok {
				break
			}
			id = -1
			end--
			for end > start && !utf8.RuneStart(word[end]) {
				end--
			}
		}
		if id < 0 {
			return w.appendUnk(out[:mark])
		}
		out = append(out, id)
		start = end
	}
	return out
}

func (w *WordPiece) appendUnk(out []int) []int {
	if w.unk >= 0 {
		out = append(out, w.unk)
	}
	return out
}

// Character kinds of the pre-tokenizer for ASCII.
const (
	kWord = iota
	kSpace
	kPunct
)

var asciiKind [128]uint8

func init() {
	for c := 0; c < 128; c++ {
		switch {
		case c == ' ' || c >= '\t' && c <= '\r':
			asciiKind[c] = kSpace
		case isBertPunct(rune(c)):
			asciiKind[c] = kPunct
		}
	}
}

// isBertPunct is BERT's punctuation: all non-alphanumeric printable ASCII
// and the Unicode P categories.
func isBertPunct(r rune) bool {
	if r >= 33 && r <= 47 || r >= 58 && r <= 64 || r >= 91 && r <= 96 || r >= 123 && r <= 126 {
		return true
	}
	return r >= utf8.RuneSelf && unicode.IsPunct(r)
}

// isOther is what Hugging Face's clean_text removes besides U+0000 and
// U+FFFD: the control, format, private-use and surrogate categories.
// Unassigned code points stay (checked against tokenizers 0.23.2).
func isOther(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// isCJK reports the CJK Unified Ideographs blocks that BERT splits out.
func isCJK(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3400 && r <= 0x4DBF ||
		r >= 0x20000 && r <= 0x2A6DF || r >= 0x2A700 && r <= 0x2B73F ||
		r >= 0x2B740 && r <= 0x2B81F || r >= 0x2B820 && r <= 0x2CEAF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0x2F800 && r <= 0x2FA1F
}

// normalize appends the normalised text to dst: clean text, pad CJK,
// strip accents, lower-case, in Hugging Face's order.
func (w *WordPiece) normalize(dst []byte, text string) []byte {
	start := len(dst)
	ascii := true
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			if w.cleanText {
				if c == '\t' || c == '\n' || c == '\r' {
					c = ' '
				} else if c < 32 || c == 127 {
					continue
				}
			}
			if w.lowercase && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			continue
		}
		ascii = false
		r, n := utf8.DecodeRuneInString(text[i:])
		i += n
		if w.cleanText {
			if r == utf8.RuneError || isOther(r) {
				continue
			}
			if unicode.IsSpace(r) {
				dst = append(dst, ' ')
				continue
			}
		}
		if w.chinese && isCJK(r) {
			dst = append(dst, ' ')
			dst = utf8.AppendRune(dst, r)
			dst = append(dst, ' ')
			continue
		}
		dst = utf8.AppendRune(dst, r)
	}
	if ascii || !w.stripAccents && !w.lowercase {
		return dst
	}
	s := dst[start:]
	if w.stripAccents {
		s = norm.NFD.Bytes(s)
	}
	out := dst[:start]
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRune(s[i:])
		i += n
		if w.stripAccents && unicode.Is(unicode.Mn, r) {
			continue
		}
		if w.lowercase {
			if r == 'İ' {
				out = append(out, "i\u0307"...)
				continue
			}
			r = unicode.ToLower(r)
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// Decode joins the tokens of ids: continuation pieces attach to the
// previous token, others are separated by a space, and spaces before
// punctuation and contractions are removed as Hugging Face's WordPiece
// decoder does. Unknown ids are skipped.
func (w *WordPiece) Decode(ids []int) string {
	var sb strings.Builder
	first := true
	for _, id := range ids {
		if id < 0 || id >= len(w.tokens) {
			continue
		}
		t := w.tokens[id]
		if !first {
			if w.prefix != "" && strings.HasPrefix(t, w.prefix) {
				t = t[len(w.prefix):]
			} else {
				t = " " + t
			}
		}
		first = false
		sb.WriteString(cleanupDecoded(t))
	}
	return sb.String()
}

var cleanupReplacer = strings.NewReplacer(" .", ".", " ?", "?", " !", "!", " ,", ",", " ' ", "'", " n't", "n't", " 'm", "'m", " do not", " don't", " 's", "'s", " 've", "'ve", " 're", "'re")

// cleanupDecoded is Hugging Face's decoder cleanup of one token.
func cleanupDecoded(s string) string {
	if strings.IndexByte(s, ' ') < 0 {
		return s
	}
	return cleanupReplacer.Replace(s)
}

// LoadVocab loads a BERT vocab.txt (one token per line, id = line number
// minus one; .gz accepted). See NewWordPiece for lowercase.
func LoadVocab(path string, lowercase bool) (*WordPiece, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return ParseVocab(data, path, lowercase)
}

// ParseVocab parses the contents of a vocab.txt; name is used in errors.
func ParseVocab(data []byte, name string, lowercase bool) (*WordPiece, error) {
	if len(data) == 0 {
		return nil, parseErr(name, 0, 0, "empty vocabulary")
	}
	data = bytes.TrimSuffix(data, []byte("\n"))
	lines := bytes.Split(data, []byte("\n"))
	tokens := make([]string, len(lines))
	seen := make(map[string]int, len(lines))
	for i, l := range lines {
		l = bytes.TrimRight(l, " \t\r")
		if len(l) == 0 {
			return nil, parseErr(name, i+1, 0, "empty token")
		}
		if !utf8.Valid(l) {
			return nil, parseErr(name, i+1, 0, "token is not valid UTF-8")
		}
		t := string(l)
		if prev, dup := seen[t]; dup {
			return nil, parseErr(name, i+1, 0, "token %q already on line %d", t, prev+1)
		}
		seen[t] = i
		tokens[i] = t
	}
	w, err := NewWordPiece(tokens, lowercase)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if w.unk < 0 {
		return nil, parseErr(name, 0, 0, "no [UNK] token")
	}
	return w, nil
}
