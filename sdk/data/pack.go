package data

import "fmt"

// Packer concatenates token sequences, each followed by a separator id,
// and cuts the stream into rows of exactly SeqLen tokens (GPT-style
// packing, no padding). Rows may span document boundaries; the separator
// marks them.
type Packer struct {
	seqLen int
	sepID  int // -1: no separator
	buf    []int
}

// NewPacker returns a packer of rows of seqLen tokens; sepID < 0 adds no
// separator. It panics with a *ParamError if seqLen <= 0.
func NewPacker(seqLen, sepID int) *Packer {
	if seqLen <= 0 {
		panic(&ParamError{Op: "NewPacker", Msg: fmt.Sprintf("seqLen must be positive, got %d", seqLen)})
	}
	return &Packer{seqLen: seqLen, sepID: sepID}
}

// Add appends one sequence (and the separator) to the stream.
func (p *Packer) Add(ids []int) {
	p.buf = append(p.buf, ids...)
	if p.sepID >= 0 {
		p.buf = append(p.buf, p.sepID)
	}
}

// Ready reports whether a full row is available.
func (p *Packer) Ready() bool { return len(p.buf) >= p.seqLen }

// Next returns the next full row, or nil if fewer than SeqLen tokens wait.
func (p *Packer) Next() []int {
	if len(p.buf) < p.seqLen {
		return nil
	}
	row := append([]int(nil), p.buf[:p.seqLen]...)
	n := copy(p.buf, p.buf[p.seqLen:])
	p.buf = p.buf[:n]
	return row
}

// Flush returns the remaining tokens as a short row (nil if none) and
// empties the packer.
func (p *Packer) Flush() []int {
	if len(p.buf) == 0 {
		return nil
	}
	row := append([]int(nil), p.buf...)
	p.buf = p.buf[:0]
	return row
}

// Pending returns the number of buffered tokens.
func (p *Packer) Pending() int { return len(p.buf) }

// String describes the packer.
func (p *Packer) String() string {
	return fmt.Sprintf("Packer{seqLen=%d sep=%d pending=%d}", p.seqLen, p.sepID, len(p.buf))
}
