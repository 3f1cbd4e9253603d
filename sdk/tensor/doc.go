// Package tensor provides n-dimensional float32 and bfloat16 tensors with
// reverse-mode automatic differentiation.
//
// Tensors are row-major and contiguous. Operations are methods and functions
// on *Tensor; when any input requires a gradient, each operation records how
// to propagate gradients on a define-by-run tape, and Backward on a scalar
// result fills Grad() of every leaf tensor that requires one.
//
// # Scopes
//
// The package has no process-wide modes. Whether operations record
// gradients, where their buffers come from (an Arena, so that a
// steady-state training loop does not churn the Go heap) and the precision
// of matrix products (bf16 autocast) are carried by an explicit *Scope. A
// tensor remembers its scope and an operation's result takes the scope of
// its first input that has one; data enters a scope through
// Scope.Embedding or Scope.Use. A training step, an evaluation and an
// inference request each run under their own scope, so they can run in
// different goroutines at once.
//
// # Goroutines
//
// Safe to share between goroutines: a *Scope (immutable), a tensor that no
// goroutine is writing, such as a parameter no optimizer is updating (any
// number of goroutines may compute from it at once, with or without
// recording gradients), and the kernels underneath. The kernels' thread
// count (kernels.SetThreads, train.Config.Threads) is the one process-wide
// setting: it changes speed, never results. Not safe to share: an
// Arena and every tensor computed under it (one goroutine owns it), a graph
// while Backward runs on it, a parameter while an optimizer updates it or
// Backward accumulates into its gradient (two trainers must not share
// parameters; a server that predicts while a trainer trains reads a copy
// of the weights, see examples/serve-finetune), and an RNG.
//
// # Errors
//
// Misuse (mismatched shapes, a bad axis, a wrong dtype) panics with a typed
// error (*ShapeError, *AxisError, *DTypeError, *IndexError, *ValueError) that
// names the operation and the shapes involved; the REPL, the script runner
// and the Trainer recover these and report them as ordinary errors.
//
// Heavy operations (matrix products, attention) run on the kernels package.
package tensor
