//go:build purego

package gpt_test

// pureGo is set under the purego build tag, where every kernel runs its
// portable Go form and a training step costs several times more.
const pureGo = true
