package train

import (
	"fmt"
	"math"
	"strconv"

	"github.com/pretrain-go/pretrain/sdk/checkpoint"
	"github.com/pretrain-go/pretrain/sdk/data"
	"github.com/pretrain-go/pretrain/sdk/dist"
	"github.com/pretrain-go/pretrain/sdk/tensor"
)

// worldKey is the TrainerState.Extra key that records the world size of a
// distributed run's checkpoints (absent: one process).
const worldKey = "world_size"

// initDist sets the run's communicator and whether this rank writes files.
func (r *run) initDist() {
	r.comm = r.cfg.Comm
	if r.comm == nil {
		r.comm = dist.Local()
	}
	r.lead = r.comm.Rank() == 0
}

// startDist, in a world of more than one rank, broadcasts rank 0's
// parameters (so that all ranks start from the same weights, whatever
// their seeds) and sets up the bucketed gradient reducer.
func (r *run) startDist() error {
	if r.comm.Size() == 1 {
		return nil
	}
	for _, p := range r.params {
		if p.DType() != tensor.F32 {
			return fmt.Errorf("train: distributed training needs float32 parameters, got %s", p.DType())
		}
	}
	// Every rank must have resumed from the same step (each reads the
	// checkpoints in OutDir itself).
	b := []float32{float32(r.st.Step), float32(r.st.Batches)}
	if err := r.comm.BroadcastF32(b, 0); err != nil {
		return fmt.Errorf("train: rank %d: %w", r.comm.Rank(), err)
	}
	if int(b[0]) != r.st.Step || int64(b[1]) != r.st.Batches {
		return fmt.Errorf("train: rank %d is at step %d, rank 0 at step %d: every rank must see the same checkpoints in OutDir (a shared file system, or copies) to resume", r.comm.Rank(), r.st.Step, int(b[0]))
	}
	if err := dist.BroadcastParams(r.comm, r.params, 0); err != nil {
		return fmt.Errorf("train: broadcasting the parameters: %w", err)
	}
	r.red = dist.NewReducer(r.comm, r.params, r.cfg.BucketBytes)
	r.small = make([]float32, 3)
	return nil
}

func (r *run) stopDist() {
	if r.red != nil {
		r.red.Close()
		r.red = nil
	}
}

// shard gives each rank its share of the records: rank of world, keeping
// a shard's worker split when the caller set one. A config that already
// names a world is left alone.
func (r *run) shard(s data.ShardSpec) data.ShardSpec {
	if r.comm.Size() > 1 && s.World <= 1 {
		s.Rank, s.World = r.comm.Rank(), r.comm.Size()
	}
	return s
}

// agree tells every rank whether any rank's data has ended and whether any
// was cancelled.
func (r *run) agree(eof, cancel bool) (anyEOF, anyCancel bool, err error) {
	b := r.small[:2]
	b[0], b[1] = flag(eof), flag(cancel)
	if err := r.comm.AllreduceF32(b, dist.Sum); err != nil {
		return false, false, err
	}
	return b[0] > 0, b[1] > 0, nil
}

func flag(v bool) float32 {
	if v {
		return 1
	}
	return 0
}

// reduceStep turns this rank's loss sum and token count into the global
// ones: the loss averaged over the ranks (each rank's loss is already a
// mean over its batch, so this is the mean over the global batch when the
// ranks' batches weigh the same) and the tokens summed. A non-finite loss
// on any rank makes the global one non-finite, so that every rank's
// NaN/Inf guard takes the same decision.
func (r *run) reduceStep(lossSum float64, tokens int64) (float64, int64, error) {
	b := r.small[:2]
	// float32 carries the loss to 1e-7 relative; the tokens of one step
	// stay far below 2^24 per rank.
	b[0], b[1] = float32(lossSum), float32(tokens)
	if err := r.comm.AllreduceF32(b, dist.Sum); err != nil {
		return 0, 0, err
	}
	return float64(b[0]) / float64(r.comm.Size()), int64(math.Round(float64(b[1]))), nil
}

// reduceEval adds the ranks' evaluation loss sums and batch counts.
func (r *run) reduceEval(sum float64, n int) (float64, int, error) {
	b := r.small[:2]
	b[0], b[1] = float32(sum), float32(n)
	if err := r.comm.AllreduceF32(b, dist.Sum); err != nil {
		return 0, 0, err
	}
	return float64(b[0]), int(math.Round(float64(b[1]))), nil
}

// markWorld records the world size in a distributed run's checkpoint.
func (r *run) markWorld(st *checkpoint.TrainerState) {
	if r.comm.Size() == 1 {
		return
	}
	extra := make(map[string]string, len(st.Extra)+1)
	for k, v := range st.Extra {
		extra[k] = v
	}
	extra[worldKey] = strconv.Itoa(r.comm.Size())
	st.Extra = extra
}

// checkWorld refuses to resume a checkpoint written by a run of another
// world size: the data shards, and so the batches still to come, would
// not be those of the interrupted run.
func (r *run) checkWorld(dir string, st checkpoint.TrainerState) error {
	saved := 1
	if v, ok := st.Extra[worldKey]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("train: resume from %s: bad %s %q", dir, worldKey, v)
		}
		saved = n
	}
	if saved != r.comm.Size() {
		return fmt.Errorf("train: resume from %s: the checkpoint was written by a run of %d process(es), this run has %d; resume with the same world size (mpirun -np %d)", dir, saved, r.comm.Size(), saved)
	}
	return nil
}
