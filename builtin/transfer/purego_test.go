//go:build purego

package transfer

// pureGo is set under the purego tag, whose scalar kernels make the
// pretraining in TestPretrainedWinsCISize take minutes.
const pureGo = true
