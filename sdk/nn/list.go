package nn

import (
	"fmt"
)

// ModuleList holds modules named "0", "1", ... so that stacked layers get
// names such as "blocks.3.attn.qkv.weight".
type ModuleList struct {
	*Base
	Modules []Module
}

// NewModuleList returns a list holding ms in order.
func NewModuleList(ms ...Module) *ModuleList {
	l := &ModuleList{Base: NewBase()}
	for _, m := range ms {
		l.Append(m)
	}
	return l
}

// Append adds m under the next index.
func (l *ModuleList) Append(m Module) {
	l.AddModule(fmt.Sprint(len(l.Modules)), m)
	l.Modules = append(l.Modules, m)
}

// Len returns the number of modules.
func (l *ModuleList) Len() int { return len(l.Modules) }

// String prints the length.
func (l *ModuleList) String() string { return fmt.Sprintf("ModuleList(len=%d)", len(l.Modules)) }

var _ Module = (*ModuleList)(nil)

// The layers all satisfy Module.
var (
	_ Module = (*Linear)(nil)
	_ Module = (*Embedding)(nil)
	_ Module = (*LayerNorm)(nil)
	_ Module = (*RMSNorm)(nil)
	_ Module = (*Dropout)(nil)
	_ Module = (*MLP)(nil)
	_ Module = (*MultiHeadAttention)(nil)
	_ Module = (*TransformerBlock)(nil)
	_ Module = (*LSTM)(nil)
)
