//go:build linux

package isolate

import (
	"strings"
	"testing"
	"time"
)

func TestLimitsRoundTrip(t *testing.T) {
	l := Limits{Memory: 3 << 30, Stack: 64 << 20, CPU: 7 * time.Second}
	got, err := decode(l.encode())
	if err != nil || got != l {
		t.Fatalf("decode(encode(%v)) = %v, %v", l, got, err)
	}
	if _, err := decode("nonsense"); err == nil {
		t.Fatal("a bad encoding must fail")
	}
}

// TestPageRecords: what Enter and Panicked store is what Run reads back.
func TestPageRecords(t *testing.T) {
	defer func(p []byte) { child.page, child.lastWhat, child.lastPos = p, "", "" }(child.page)
	child.page, child.lastWhat, child.lastPos = make([]byte, pageSize), "", ""
	Enter(`plugin "x": Loss`, "x/objective.go:3:4")
	active, s := getText(child.page[callOff:])
	if !active || s != "plugin \"x\": Loss\x00x/objective.go:3:4" {
		t.Fatalf("call record %v %q", active, s)
	}
	Leave()
	if active, _ = getText(child.page[callOff:]); active {
		t.Fatal("Leave must clear the flag")
	}
	Enter(strings.Repeat("a", 3000), "")
	if _, s = getText(child.page[callOff:]); len(s) != maxText {
		t.Fatalf("long record kept %d bytes, want %d", len(s), maxText)
	}
	Panicked("x/objective.go:9:1")
	if ok, s := getText(child.page[panicOff:]); !ok || s != "x/objective.go:9:1" {
		t.Fatalf("panic record %v %q", ok, s)
	}
}

// BenchmarkEnterLeave is the bookkeeping an isolated child adds to each
// plugin call (compare with a training step: BenchmarkTrainStep in
// builtin/gpt).
//
//	go test -run '^$' -bench EnterLeave ./repl/isolate/
func BenchmarkEnterLeave(b *testing.B) {
	defer func(p []byte) { child.page, child.lastWhat, child.lastPos = p, "", "" }(child.page)
	child.page, child.lastWhat, child.lastPos = make([]byte, pageSize), "", ""
	what, pos := `plugin "neighbor-mlm": Loss`, "plugins/examples/neighbormlm/objective.go:48:1"
	for i := 0; i < b.N; i++ {
		Enter(what, pos)
		Leave()
	}
}
