// Package tensor provides n-dimensional float32 and bfloat16 tensors with
// reverse-mode automatic differentiation.
//
// Tensors are row-major and contiguous. Operations are methods and functions
// on *Tensor; when any input requires a gradient, each operation records how
// to propagate gradients on a define-by-run tape, and Backward on a scalar
// result fills Grad() of every leaf tensor that requires one. NoGrad turns
// recording off for a block of code.
//
// Misuse (mismatched shapes, a bad axis, a wrong dtype) panics with a typed
// error (*ShapeError, *AxisError, *DTypeError, *IndexError, *ValueError) that
// names the operation and the shapes involved; the REPL, the script runner
// and the Trainer recover these and report them as ordinary errors.
//
// Heavy operations (matrix products, attention) run on the kernels package.
// Intermediate buffers of a training step can come from an Arena, so that a
// steady-state training loop does not churn the Go heap.
package tensor
