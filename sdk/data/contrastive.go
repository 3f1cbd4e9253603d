package data

import "fmt"

// PairMode says how ContrastiveCollator forms pairs from a list of
// sequences.
type PairMode int

const (
	// PairAdjacent pairs sequence 2i with sequence 2i+1 (consecutive
	// sentences or lines as positives).
	PairAdjacent PairMode = iota
	// PairDuplicate pairs every sequence with itself (unsupervised
	// SimCSE: dropout makes the two views differ).
	PairDuplicate
)

// String returns the mode name.
func (m PairMode) String() string {
	switch m {
	case PairAdjacent:
		return "adjacent"
	case PairDuplicate:
		return "duplicate"
	}
	return fmt.Sprintf("PairMode(%d)", int(m))
}

// ContrastiveCollator makes batches of positive pairs for in-batch InfoNCE:
// row i of InputIDs and row i of PairInputIDs are a positive pair and every
// other row is a negative, so the target of row i is i.
type ContrastiveCollator struct {
	Mode       PairMode
	SeqLen     int // columns of the first view; 0: longest
	PairSeqLen int // columns of the second view; 0: longest
	PadID      int
}

// String describes the collator.
func (c *ContrastiveCollator) String() string {
	return fmt.Sprintf("ContrastiveCollator{%v seqLen=%d pairSeqLen=%d pad=%d}", c.Mode, c.SeqLen, c.PairSeqLen, c.PadID)
}

// Collate implements Collator. In PairAdjacent mode an odd last sequence is
// dropped.
func (c *ContrastiveCollator) Collate(seqs [][]int, rng *RNG) (*Batch, error) {
	var a, b [][]int
	switch c.Mode {
	case PairDuplicate:
		a, b = seqs, seqs
	case PairAdjacent:
		for i := 0; i+1 < len(seqs); i += 2 {
			a = append(a, seqs[i])
			b = append(b, seqs[i+1])
		}
	default:
		return nil, &ParamError{Op: "ContrastiveCollator.Collate", Msg: "unknown " + c.Mode.String()}
	}
	return c.CollatePairs(a, b)
}

// CollatePairs makes a batch from explicit pairs (a[i], b[i]).
func (c *ContrastiveCollator) CollatePairs(a, b [][]int) (*Batch, error) {
	if len(a) != len(b) {
		return nil, &ParamError{Op: "ContrastiveCollator.CollatePairs", Msg: fmt.Sprintf("%d first views but %d second views", len(a), len(b))}
	}
	if len(a) == 0 {
		return nil, &ParamError{Op: "ContrastiveCollator.CollatePairs", Msg: "empty batch"}
	}
	out := PadBatch(a, c.SeqLen, c.PadID)
	cols := padLen(b, c.PairSeqLen)
	out.PairSeqLen = cols
	out.PairInputIDs, out.PairAttentionMask = padInto(b, cols, c.PadID)
	return out, nil
}
