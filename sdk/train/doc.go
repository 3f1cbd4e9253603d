// Package train runs the pretraining loop: it feeds an objective's batches
// through its loss, accumulates gradients, clips them, steps the optimizer on
// a learning-rate schedule, evaluates on a held-out split, logs metrics, draws
// the loss curve and writes resumable checkpoints.
//
// A Trainer is configured with a task.Objective (the model and its loss), an
// optim.Optimizer, a data.LoaderConfig for the training split (and optionally
// one for evaluation) and a Config. Run trains until Config.Steps optimizer
// steps or Config.Epochs passes over the data, whichever is set.
//
// # Determinism and resume
//
// For a seed and a thread count a run is deterministic: batches come from a
// data.Loader whose randomness is derived from (seed, epoch, batch), the
// kernels are deterministic for a thread count, and any other generator the
// objective uses (dropout) is registered in Config.RNGs so that checkpoints
// save its state. A checkpoint holds the model, the optimizer state and the
// loop state (step, data position, generator states); resuming from it
// replays the data stream up to the saved position, so that a resumed run
// writes the same checkpoint bytes as one that was never interrupted.
//
// # Output directory
//
// With Config.OutDir set, a run writes:
//
//	OUT/
//	  checkpoints/
//	    step-00000500/
//	      model.safetensors      model parameters, Hugging Face names
//	      optimizer.safetensors  optimizer state ("<param>.exp_avg", ...)
//	      trainer_state.json     step, epoch, data position, RNG states, LR
//	      config.json            model configuration (Hugging Face names)
//	    step-00001000/ ...       the Config.KeepLast newest are kept
//	  model.safetensors          final model (written at the end)
//	  config.json                its configuration
//	  metrics.jsonl              one JSON object per logged step or evaluation
//	  loss.svg                   training and evaluation loss curves
//
// Checkpoint files, the final model and the curve are written atomically
// (checkpoint.WriteFileAtomic) and each checkpoint directory appears whole or
// not at all, so an interrupted run never leaves a partial checkpoint where a
// resume would read it. metrics.jsonl is appended to; on resume, records
// past the resumed step (written after the last checkpoint of the
// interrupted run) are dropped.
//
// # Data-parallel training
//
// With Config.Comm set to a communicator of more than one rank (dist.Init
// under mpirun, or dist.NewLoopback in one process), Run trains
// data-parallel: every rank holds the whole model, reads its own shard of
// the data (LoaderConfig.Shard is set to the rank and world unless the
// caller named a world), and computes the gradient of its batch; the
// gradients are averaged over the ranks by a dist.Reducer in buckets of
// Config.BucketBytes, reduced while the backward pass is still running, so
// that every rank applies the same update. The global batch is the
// per-rank batch times the world size; the loss and tokens logged are the
// global ones. Rank 0's parameters are broadcast at the start; only rank 0
// writes metrics, checkpoints and the final model (atomically, as always);
// checkpoints record the world size, and a resume with another world size
// is refused (the shards, hence the batches to come, would differ). Every
// rank reads the checkpoints in OutDir on resume, so OutDir must be on a
// shared file system or copied to every machine. The ranks agree at each
// step on whether the data has ended and whether any rank was cancelled,
// so that all stop at the same step. A collective that a dead or hung peer
// never completes ends the run with a *dist.TimeoutError. Evaluation is
// sharded too, and its loss is the mean over every rank's batches.
//
// With one record per row and no shuffling, a run of n ranks with batch b
// takes exactly the batches of one process with batch n·b and gives the
// same loss curve up to float rounding (the tests check 1e-5); with
// packing or a shuffle buffer each rank packs and shuffles its own shard,
// which is statistically, not bitwise, the same.
//
// # Failures
//
// A step whose loss or gradient norm is NaN or infinite is skipped (no
// optimizer update) and counted; Config.MaxBadSteps such steps in a row stop
// the run with an error. A panic with an error value inside a step (the
// SDK's typed misuse errors) is recovered and returned as an error naming
// the step. Cancelling the context finishes the current step, writes a
// checkpoint and returns the context's error.
package train
