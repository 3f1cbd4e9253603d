// Package vectors holds trained word vectors: nearest neighbours, analogies,
// the standard evaluations (Google analogy accuracy, WordSim353/SimLex
// Spearman correlation), and the word2vec text, word2vec binary and GloVe
// text file formats.
package vectors

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
)

// Vectors is a word-vector table: row i of Data (Dim floats) is the vector
// of Words[i]. Words are usually sorted by descending frequency, which the
// evaluations rely on when they restrict the vocabulary to the top N.
type Vectors struct {
	// Words lists the vocabulary.
	Words []string
	// Dim is the vector length.
	Dim int
	// Data holds len(Words)×Dim floats, row-major.
	Data []float32

	once  sync.Once
	index map[string]int
	unit  []float32 // rows scaled to unit length, built on first use
}

// New returns a zeroed table for words with dim floats each.
func New(words []string, dim int) *Vectors {
	return &Vectors{Words: words, Dim: dim, Data: make([]float32, len(words)*dim)}
}

// String summarises the table.
func (v *Vectors) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Vectors{%d words × %d", len(v.Words), v.Dim)
	for i := 0; i < len(v.Words) && i < 5; i++ {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		b.WriteString(sep + v.Words[i])
	}
	if len(v.Words) > 5 {
		b.WriteString(", ...")
	}
	b.WriteString("}")
	return b.String()
}

// Len returns the number of words.
func (v *Vectors) Len() int { return len(v.Words) }

// Vector returns the row of word i (a view into Data).
func (v *Vectors) Vector(i int) []float32 { return v.Data[i*v.Dim : (i+1)*v.Dim] }

// Index returns the row of word, or -1 when it is absent. The first call
// builds the lookup; Data must not change afterwards.
func (v *Vectors) Index(word string) int {
	v.build()
	if i, ok := v.index[word]; ok {
		return i
	}
	return -1
}

// Lookup returns the vector of word, or nil when it is absent.
func (v *Vectors) Lookup(word string) []float32 {
	i := v.Index(word)
	if i < 0 {
		return nil
	}
	return v.Vector(i)
}

func (v *Vectors) build() {
	v.once.Do(func() {
		v.index = make(map[string]int, len(v.Words))
		for i, w := range v.Words {
			if _, dup := v.index[w]; !dup {
				v.index[w] = i
			}
		}
		v.unit = make([]float32, len(v.Data))
		copy(v.unit, v.Data)
		for i := range v.Words {
			row := v.unit[i*v.Dim : (i+1)*v.Dim]
			var s float64
			for _, x := range row {
				s += float64(x) * float64(x)
			}
			if s > 0 {
				inv := float32(1 / math.Sqrt(s))
				for j := range row {
					row[j] *= inv
				}
			}
		}
	})
}

// Neighbor is one result of Nearest or Analogy.
type Neighbor struct {
	// Word is the neighbour.
	Word string
	// Sim is its cosine similarity to the query.
	Sim float32
}

// String formats the neighbour as word(0.123).
func (n Neighbor) String() string { return fmt.Sprintf("%s(%.3f)", n.Word, n.Sim) }

// WordError reports a query word missing from the vocabulary.
type WordError struct {
	// Op is the operation ("Nearest", "Analogy", "Similarity").
	Op string
	// Word is the missing word.
	Word string
}

func (e *WordError) Error() string {
	return fmt.Sprintf("vectors: %s: word %q is not in the vocabulary", e.Op, e.Word)
}

// Nearest returns the k words with the highest cosine similarity to word,
// excluding word itself.
func (v *Vectors) Nearest(word string, k int) ([]Neighbor, error) {
	i := v.Index(word)
	if i < 0 {
		return nil, &WordError{"Nearest", word}
	}
	q := append([]float32(nil), v.unit[i*v.Dim:(i+1)*v.Dim]...)
	return v.topK(q, k, len(v.Words), []int{i}), nil
}

// Similarity returns the cosine similarity of two words.
func (v *Vectors) Similarity(a, b string) (float32, error) {
	i, j := v.Index(a), v.Index(b)
	if i < 0 {
		return 0, &WordError{"Similarity", a}
	}
	if j < 0 {
		return 0, &WordError{"Similarity", b}
	}
	return dot(v.unit[i*v.Dim:(i+1)*v.Dim], v.unit[j*v.Dim:(j+1)*v.Dim]), nil
}

// Analogy answers "a is to b as c is to ?" with 3CosAdd: the k words
// closest to unit(b) − unit(a) + unit(c), excluding a, b and c.
func (v *Vectors) Analogy(a, b, c string, k int) ([]Neighbor, error) {
	ia, ib, ic := v.Index(a), v.Index(b), v.Index(c)
	for _, p := range []struct {
		w string
		i int
	}{{a, ia}, {b, ib}, {c, ic}} {
		if p.i < 0 {
			return nil, &WordError{"Analogy", p.w}
		}
	}
	return v.topK(v.analogyQuery(ia, ib, ic), k, len(v.Words), []int{ia, ib, ic}), nil
}

func (v *Vectors) analogyQuery(ia, ib, ic int) []float32 {
	d := v.Dim
	q := make([]float32, d)
	ra, rb, rc := v.unit[ia*d:(ia+1)*d], v.unit[ib*d:(ib+1)*d], v.unit[ic*d:(ic+1)*d]
	var s float64
	for j := range q {
		q[j] = rb[j] - ra[j] + rc[j]
		s += float64(q[j]) * float64(q[j])
	}
	if s > 0 {
		inv := float32(1 / math.Sqrt(s))
		for j := range q {
			q[j] *= inv
		}
	}
	return q
}

// topK scans the first limit rows for the k best cosines with the unit
// query q, skipping the rows in exclude.
func (v *Vectors) topK(q []float32, k, limit int, exclude []int) []Neighbor {
	if k <= 0 {
		return nil
	}
	type cand struct {
		i int
		s float32
	}
	best := make([]cand, 0, k+1)
	d := v.Dim
outer:
	for i := 0; i < limit; i++ {
		for _, e := range exclude {
			if i == e {
				continue outer
			}
		}
		s := dot(q, v.unit[i*d:(i+1)*d])
		if len(best) == k && s <= best[k-1].s {
			continue
		}
		// Insert keeping best sorted by descending similarity.
		pos := sort.Search(len(best), func(j int) bool { return best[j].s < s })
		best = append(best, cand{})
		copy(best[pos+1:], best[pos:])
		best[pos] = cand{i, s}
		if len(best) > k {
			best = best[:k]
		}
	}
	out := make([]Neighbor, len(best))
	for j, c := range best {
		out[j] = Neighbor{v.Words[c.i], c.s}
	}
	return out
}

func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
