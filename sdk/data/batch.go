package data

import (
	"fmt"
	"strings"

	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// IgnoreIndex is the label value that losses skip (PyTorch's default
// ignore_index): padding, unmasked positions of a masked LM.
const IgnoreIndex = -100

// Batch is one collated batch. Every tensor-like field is a flat,
// row-major []int whose shape is given by the size fields; a nil field is
// not provided by the collator that made the batch. Consumers turn fields
// into tensors themselves.
type Batch struct {
	Size   int // rows (sequences, or pairs for word vectors)
	SeqLen int // columns of the encoder-side fields

	// Encoder side, shape [Size, SeqLen].
	InputIDs      []int // token ids after corruption
	AttentionMask []int // 1 for real tokens, 0 for padding
	TokenTypeIDs  []int // segment ids (0 first segment, 1 second), when needed
	Labels        []int // per-token targets; IgnoreIndex where no loss is taken

	// Decoder side (span corruption, denoising), shape [Size, DecSeqLen].
	DecSeqLen            int
	DecoderInputIDs      []int // targets shifted right behind the start id
	DecoderAttentionMask []int
	DecoderLabels        []int // IgnoreIndex on padding

	// Second view of each row for contrastive pairs, shape [Size, PairSeqLen].
	PairSeqLen        int
	PairInputIDs      []int
	PairAttentionMask []int

	// Sequence-level targets (classification, regression as ids), shape [Size].
	RowLabels []int

	// Word vectors. Centers has shape [Size]; Contexts and ContextMask have
	// shape [Size, ContextWidth] (width 1 for skip-gram pairs, 2*window for
	// CBOW); Negatives has shape [Size, NumNegatives].
	Centers      []int
	Contexts     []int
	ContextMask  []int
	ContextWidth int
	Negatives    []int
	NumNegatives int

	// Images, shape [Size, Channels, Height, Width], normalised pixels
	// (ImageCollator); RowLabels holds their classes when labeled.
	Images                  []float32
	Channels, Height, Width int

	// Bookkeeping set by the Loader.
	Epoch int // 0-based epoch of the batch
	Step  int // 0-based batch number within the epoch

	// Scope is the tensor scope that the batch's consumer computes under:
	// the Trainer sets it to the step's scope (its arena, gradient mode and
	// matrix-product precision); nil means tensor.NewScope(). An objective
	// or head passes it to the operations where the batch's ids enter the
	// model (Scope.Embedding, Scope.Use).
	Scope *tensor.Scope
}

// String summarises the shapes and fill of the batch.
func (b *Batch) String() string {
	if b == nil {
		return "Batch(nil)"
	}
	var parts []string
	add := func(name string, v []int, rows, cols int) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s[%d,%d]", name, rows, cols))
		}
	}
	add("input_ids", b.InputIDs, b.Size, b.SeqLen)
	if b.AttentionMask != nil {
		parts = append(parts, fmt.Sprintf("attention_mask[%d,%d](%d real)", b.Size, b.SeqLen, sum(b.AttentionMask)))
	}
	add("token_type_ids", b.TokenTypeIDs, b.Size, b.SeqLen)
	if b.Labels != nil {
		parts = append(parts, fmt.Sprintf("labels[%d,%d](%d targets)", b.Size, b.SeqLen, countNot(b.Labels, IgnoreIndex)))
	}
	add("decoder_input_ids", b.DecoderInputIDs, b.Size, b.DecSeqLen)
	add("decoder_attention_mask", b.DecoderAttentionMask, b.Size, b.DecSeqLen)
	add("decoder_labels", b.DecoderLabels, b.Size, b.DecSeqLen)
	add("pair_input_ids", b.PairInputIDs, b.Size, b.PairSeqLen)
	add("pair_attention_mask", b.PairAttentionMask, b.Size, b.PairSeqLen)
	add("row_labels", b.RowLabels, b.Size, 1)
	add("centers", b.Centers, b.Size, 1)
	add("contexts", b.Contexts, b.Size, b.ContextWidth)
	add("context_mask", b.ContextMask, b.Size, b.ContextWidth)
	add("negatives", b.Negatives, b.Size, b.NumNegatives)
	if b.Images != nil {
		parts = append(parts, fmt.Sprintf("images[%d,%d,%d,%d]", b.Size, b.Channels, b.Height, b.Width))
	}
	return fmt.Sprintf("Batch{size=%d epoch=%d step=%d %s}", b.Size, b.Epoch, b.Step, strings.Join(parts, " "))
}

// Row returns row i of a [Size, cols] field.
func Row(field []int, cols, i int) []int { return field[i*cols : (i+1)*cols] }

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

func countNot(v []int, x int) int {
	n := 0
	for _, y := range v {
		if y != x {
			n++
		}
	}
	return n
}

// padLen returns the column count for seqs: seqLen when positive (longer
// rows are truncated), else the longest row.
func padLen(seqs [][]int, seqLen int) int {
	if seqLen > 0 {
		return seqLen
	}
	n := 0
	for _, s := range seqs {
		n = max(n, len(s))
	}
	return max(n, 1)
}

// padInto writes seqs into a [len(seqs), cols] matrix, truncating long rows
// and filling the rest with pad; it returns the matrix and its mask.
func padInto(seqs [][]int, cols, pad int) (ids, mask []int) {
	ids = make([]int, len(seqs)*cols)
	mask = make([]int, len(seqs)*cols)
	for i, s := range seqs {
		row := ids[i*cols : (i+1)*cols]
		m := mask[i*cols : (i+1)*cols]
		n := copy(row, s)
		for j := 0; j < n; j++ {
			m[j] = 1
		}
		for j := n; j < cols; j++ {
			row[j] = pad
		}
	}
	return ids, mask
}

// PadBatch pads or truncates seqs to seqLen columns (0: the longest row)
// with padID and returns a batch with InputIDs and AttentionMask.
func PadBatch(seqs [][]int, seqLen, padID int) *Batch {
	cols := padLen(seqs, seqLen)
	ids, mask := padInto(seqs, cols, padID)
	return &Batch{Size: len(seqs), SeqLen: cols, InputIDs: ids, AttentionMask: mask}
}

// Collator turns a list of token sequences into a batch, drawing any
// randomness from rng (the Loader passes one RNG per epoch and batch).
type Collator interface {
	Collate(seqs [][]int, rng *RNG) (*Batch, error)
}

// CausalLMCollator pads sequences for next-token prediction: Labels are the
// input ids (the model shifts them) with IgnoreIndex on padding.
type CausalLMCollator struct {
	SeqLen int // columns; 0 pads to the longest row
	PadID  int
}

// Collate implements Collator.
func (c *CausalLMCollator) Collate(seqs [][]int, rng *RNG) (*Batch, error) {
	if len(seqs) == 0 {
		return nil, &ParamError{Op: "CausalLMCollator.Collate", Msg: "empty batch"}
	}
	b := PadBatch(seqs, c.SeqLen, c.PadID)
	b.Labels = make([]int, len(b.InputIDs))
	for i, id := range b.InputIDs {
		if b.AttentionMask[i] == 1 {
			b.Labels[i] = id
		} else {
			b.Labels[i] = IgnoreIndex
		}
	}
	return b, nil
}

// String describes the collator.
func (c *CausalLMCollator) String() string {
	return fmt.Sprintf("CausalLMCollator{seqLen=%d pad=%d}", c.SeqLen, c.PadID)
}
