package tokenizer

import (
	"sort"
	"strings"
)

// specials holds the special (added) tokens, matched literally in raw
// text before pre-tokenization, as Hugging Face does for special tokens.
type specials struct {
	ids  map[string]int
	list []string // sorted by id
}

func (s *specials) add(tok string, id int) {
	if s.ids == nil {
		s.ids = map[string]int{}
	}
	if _, dup := s.ids[tok]; !dup {
		s.list = append(s.list, tok)
	}
	s.ids[tok] = id
	sort.Slice(s.list, func(i, j int) bool { return s.ids[s.list[i]] < s.ids[s.list[j]] })
}

// next finds the first special token in text: its start, end and id, or
// start = -1. At equal starts the longest token wins.
func (s *specials) next(text string) (start, end, id int) {
	start = -1
	for _, tok := range s.list {
		if tok == "" {
			continue
		}
		i := strings.Index(text, tok)
		if i < 0 {
			continue
		}
		if start < 0 || i < start || i == start && i+len(tok) > end {
			start, end, id = i, i+len(tok), s.ids[tok]
		}
	}
	return start, end, id
}

// encode splits text around special tokens, appending their ids and
// calling plain for the text between them.
func (s *specials) encode(out []int, text string, plain func([]int, string) []int) []int {
	if len(s.list) == 0 {
		return plain(out, text)
	}
	for len(text) > 0 {
		i, j, id := s.next(text)
		if i < 0 {
			return plain(out, text)
		}
		if i > 0 {
			out = plain(out, text[:i])
		}
		out = append(out, id)
		text = text[j:]
	}
	return out
}
