package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// The regular expressions of GPT-2 and tiktoken use lookahead, which Go's
// regexp lacks, so each split pattern is written by hand as a function that
// returns the end of the piece starting at i. Each one reproduces the
// leftmost-first backtracking semantics of its pattern; the tests compare
// them piece by piece with the JavaScript regex engine.

// Split pattern names accepted by LoadTiktoken, NewBPE and tokenizer.json.
const (
	// SplitGPT2 is the GPT-2 pattern (r50k_base, p50k_base):
	//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
	SplitGPT2 = "gpt2"
	// SplitCL100K is the cl100k_base pattern:
	//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
	SplitCL100K = "cl100k"
	// SplitO200K is the o200k_base pattern (cased words, contractions
	// attached, numbers by three, "/" kept with punctuation).
	SplitO200K = "o200k"
	// SplitNone keeps the text whole (no pre-tokenization).
	SplitNone = "none"
)

// The regex source of each split, as written in tokenizer.json files.
const (
	patternGPT2   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
	patternCL100K = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patternO200K  = `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// splitFunc returns the end of the piece of s that starts at i < len(s).
type splitFunc func(s string, i int) int

func splitByName(name string) (splitFunc, bool) {
	switch name {
	case SplitGPT2:
		return nextGPT2, true
	case SplitCL100K:
		return nextCL100K, true
	case SplitO200K:
		return nextO200K, true
	case SplitNone:
		return func(s string, i int) int { return len(s) }, true
	}
	return nil, false
}

// Split returns the pre-tokenization pieces of text under the named split
// pattern (SplitGPT2, SplitCL100K, SplitO200K, SplitNone); the pieces
// concatenate to text. It returns nil for an unknown name.
func Split(text, pattern string) []string {
	next, ok := splitByName(pattern)
	if !ok {
		return nil
	}
	var out []string
	for i := 0; i < len(text); {
		j := next(text, i)
		out = append(out, text[i:j])
		i = j
	}
	return out
}

// Character classes.
const (
	clsOther  = iota // [^\s\p{L}\p{N}]
	clsLetter        // \p{L}
	clsNumber        // \p{N}
	clsSpace         // \s (Unicode White_Space)
)

var asciiClass [128]uint8

func init() {
	for c := 0; c < 128; c++ {
		asciiClass[c] = classOfSlow(rune(c))
	}
}

func classOfSlow(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// runeAt decodes the rune at i and returns it, its width and its class.
// Invalid UTF-8 decodes as one byte of class other.
func runeAt(s string, i int) (rune, int, uint8) {
	c := s[i]
	if c < utf8.RuneSelf {
		return rune(c), 1, asciiClass[c]
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return r, 1, clsOther
	}
	return r, n, classOfSlow(r)
}

// scanClass returns the end of the run of class cls starting at i.
func scanClass(s string, i int, cls uint8) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiClass[c] != cls {
				return i
			}
			i++
			continue
		}
		_, n, k := runeAt(s, i)
		if k != cls {
			return i
		}
		i += n
	}
	return i
}

// scanSpace handles \s+(?!\S)|\s+ at i (s[i] is whitespace): the run of
// whitespace, less its last character when a non-space follows and the run
// is longer than one character.
func scanSpace(s string, i int) int {
	last := i
	j := i
	for j < len(s) {
		_, n, k := runeAt(s, j)
		if k != clsSpace {
			break
		}
		last = j
		j += n
	}
	if j == len(s) || last == i {
		return j
	}
	return last
}

// contraction reports the length of 's 't 're 've 'm 'll 'd at s[i:]
// (s[i] is an apostrophe), or 0. With fold, letters match case-insensitively.
func contraction(s string, i int, fold bool) int {
	if i+1 >= len(s) {
		return 0
	}
	lower := func(c byte) byte {
		if fold && 'A' <= c && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	c := lower(s[i+1])
	switch c {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v', 'l':
		if i+2 < len(s) {
			c2 := lower(s[i+2])
			if (c == 'r' || c == 'v') && c2 == 'e' || c == 'l' && c2 == 'l' {
				return 3
			}
		}
	}
	// Under Unicode case folding 's' also matches U+017F LATIN SMALL LETTER LONG S.
	if fold && len(s) >= i+3 && s[i+1] == 0xC5 && s[i+2] == 0xBF {
		return 3
	}
	return 0
}

func nextGPT2(s string, i int) int {
	r, n, cls := runeAt(s, i)
	if r == '\'' {
		if m := contraction(s, i, false); m > 0 {
			return i + m
		}
	}
	if r == ' ' && i+1 < len(s) {
		if _, _, c2 := runeAt(s, i+1); c2 != clsSpace {
			return scanClass(s, i+1, c2)
		}
	}
	if cls != clsSpace {
		return scanClass(s, i+n, cls)
	}
	return scanSpace(s, i)
}

func isCRLF(r rune) bool { return r == '\r' || r == '\n' }

func nextCL100K(s string, i int) int {
	r, n, cls := runeAt(s, i)
	if r == '\'' {
		if m := contraction(s, i, true); m > 0 {
			return i + m
		}
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if cls == clsLetter {
		return scanClass(s, i+n, clsLetter)
	}
	if cls != clsNumber && !isCRLF(r) && i+n < len(s) {
		if _, _, c2 := runeAt(s, i+n); c2 == clsLetter {
			return scanClass(s, i+n, clsLetter)
		}
	}
	// \p{N}{1,3}
	if cls == clsNumber {
		j := i + n
		for k := 1; k < 3 && j < len(s); k++ {
			_, m, c := runeAt(s, j)
			if c != clsNumber {
				break
			}
			j += m
		}
		return j
	}
	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	if j, ok := punctRun(s, i, r, cls, false); ok {
		return j
	}
	return spaceNewline(s, i)
}

// punctRun matches ' ?[^\s\p{L}\p{N}]+[\r\n]*' (with slash, [\r\n/]*) at i.
func punctRun(s string, i int, r rune, cls uint8, slash bool) (int, bool) {
	j := i
	if r == ' ' && i+1 < len(s) {
		if _, _, c2 := runeAt(s, i+1); c2 == clsOther {
			j = i + 1
			cls = clsOther
		}
	}
	if cls != clsOther {
		return 0, false
	}
	j = scanClass(s, j, clsOther)
	for j < len(s) && (s[j] == '\r' || s[j] == '\n' || slash && s[j] == '/') {
		j++
	}
	return j, true
}

// spaceNewline matches \s*[\r\n]+|\s+(?!\S)|\s+ at i (s[i] is whitespace).
func spaceNewline(s string, i int) int {
	j := i
	lastNL := -1
	for j < len(s) {
		r, n, k := runeAt(s, j)
		if k != clsSpace {
			break
		}
		if isCRLF(r) {
			lastNL = j
		}
		j += n
	}
	if lastNL >= 0 {
		return lastNL + 1
	}
	return scanSpace(s, i)
}

// o200k letter classes: A = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], B = [\p{Ll}\p{Lm}\p{Lo}\p{M}].
func o200kAB(r rune) (a, b bool) {
	if r < utf8.RuneSelf {
		return 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z'
	}
	if unicode.IsMark(r) || unicode.Is(unicode.Lm, r) || unicode.Is(unicode.Lo, r) {
		return true, true
	}
	return unicode.IsUpper(r) || unicode.IsTitle(r), unicode.IsLower(r)
}

// o200kAlt1 matches A*B+ at j with leftmost-first backtracking, or -1.
func o200kAlt1(s string, j int) int {
	// Collect the run of A characters; the regex tries A* longest first.
	var stackBuf [32]int
	pos := stackBuf[:0]
	k := j
	for k < len(s) {
		r, n := utf8.DecodeRuneInString(s[k:])
		if a, _ := o200kAB(r); !a || r == utf8.RuneError && n == 1 {
			break
		}
		pos = append(pos, k)
		k += n
	}
	pos = append(pos, k)
	for t := len(pos) - 1; t >= 0; t-- {
		p := pos[t]
		e := p
		for e < len(s) {
			r, n := utf8.DecodeRuneInString(s[e:])
			if _, b := o200kAB(r); !b || r == utf8.RuneError && n == 1 {
				break
			}
			e += n
		}
		if e > p {
			return e
		}
	}
	return -1
}

// o200kAlt2 matches A+B* at j, or -1.
func o200kAlt2(s string, j int) int {
	k := j
	for k < len(s) {
		r, n := utf8.DecodeRuneInString(s[k:])
		if a, _ := o200kAB(r); !a || r == utf8.RuneError && n == 1 {
			break
		}
		k += n
	}
	if k == j {
		return -1
	}
	for k < len(s) {
		r, n := utf8.DecodeRuneInString(s[k:])
		if _, b := o200kAB(r); !b || r == utf8.RuneError && n == 1 {
			break
		}
		k += n
	}
	return k
}

func nextO200K(s string, i int) int {
	r, n, cls := runeAt(s, i)
	// [^\r\n\p{L}\p{N}]? is tried present first, then absent.
	prefix := cls != clsLetter && cls != clsNumber && !isCRLF(r)
	for _, alt := range [2]func(string, int) int{o200kAlt1, o200kAlt2} {
		if prefix && i+n < len(s) {
			if e := alt(s, i+n); e >= 0 {
				return e + contraction0(s, e)
			}
		}
		if e := alt(s, i); e >= 0 {
			return e + contraction0(s, e)
		}
	}
	if cls == clsNumber {
		j := i + n
		for k := 1; k < 3 && j < len(s); k++ {
			_, m, c := runeAt(s, j)
			if c != clsNumber {
				break
			}
			j += m
		}
		return j
	}
	if j, ok := punctRun(s, i, r, cls, true); ok {
		return j
	}
	return spaceNewline(s, i)
}

// contraction0 is the optional case-insensitive contraction suffix of o200k.
func contraction0(s string, e int) int {
	if e < len(s) && s[e] == '\'' {
		return contraction(s, e, true)
	}
	return 0
}
