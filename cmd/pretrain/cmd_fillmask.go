package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pretrain-go/pretrain/builtin/lm"
)

func init() {
	register(&command{
		Name:    "fillmask",
		Summary: "predict the [MASK] tokens of a text with a trained mlm, electra or contrastive encoder",
		Run:     runFillMask,
	})
}

const fillMaskSynopsis = `[flags] CHECKPOINT TEXT

Prints the most likely tokens for each [MASK] in TEXT, then TEXT with every
mask replaced by its best guess. CHECKPOINT is a directory written by
` + "`pretrain train --objective mlm`" + ` (or electra: its discriminator) or a
model.safetensors.`

func runFillMask(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("fillmask", fillMaskSynopsis, stderr)
	k := fs.Int("k", 5, "candidates per mask")
	tokPath := fs.String("tokenizer", "", "tokenizer file, or bytes (default: the one the checkpoint names, relative to it, else its tokenizer.json; none is an error)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 2 || *k < 1 {
		fs.Usage()
		return errUsage
	}
	ck, err := lm.ReadCheckpoint(fs.Arg(0))
	if err != nil {
		return err
	}
	m, err := ck.BERT()
	if err != nil {
		return err
	}
	cd, err := newCodec(ck, *tokPath)
	if err != nil {
		return err
	}
	if cd.maskID < 0 {
		return errors.New("the checkpoint names no mask token (mask_token_id in config.json)")
	}
	ids := cd.encode(fs.Arg(1))
	if len(ids) > m.Config.ContextLen {
		return fmt.Errorf("the text has %d tokens; the model reads at most %d", len(ids), m.Config.ContextLen)
	}
	cands := lm.FillMask(m, ids, cd.maskID, *k)
	if len(cands) == 0 {
		return errors.New("the text has no [MASK]")
	}
	filled := append([]int(nil), ids...)
	j := 0
	for i, id := range ids {
		if id != cd.maskID {
			continue
		}
		fmt.Fprintf(stdout, "mask %d (position %d):", j+1, i)
		for _, c := range cands[j] {
			fmt.Fprintf(stdout, " %q %.3f", cd.decode([]int{c.ID}), c.Prob)
		}
		fmt.Fprintln(stdout)
		filled[i] = cands[j][0].ID
		j++
	}
	fmt.Fprintln(stdout, cd.decode(filled))
	return ctx.Err()
}
