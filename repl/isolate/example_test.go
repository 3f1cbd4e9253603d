package isolate_test

import (
	"fmt"

	"github.com/pretrain-go/pretrain/repl/isolate"
)

// A host program calls isolate.Init first in main; the part that runs
// untrusted plugins goes through isolate.Run, which re-executes the binary
// as a limited child and reports a death like this:
func ExampleError() {
	fmt.Println(isolate.Limits{Memory: 512 << 20, Stack: 64 << 20})
	err := &isolate.Error{What: `plugin "bomb": Loss`, Pos: "bomb/objective.go:20:3",
		Kind: isolate.OutOfMemory, Limit: "512 MB", Detail: "cannot allocate a 34359738368-byte block"}
	fmt.Println(err)
	// Output:
	// Limits{memory=512 MB stack=64 MB cpu=none}
	// plugin "bomb": Loss at bomb/objective.go:20:3: out of memory (limit 512 MB): cannot allocate a 34359738368-byte block
}
