// Package dist is the communication layer of data-parallel training: the
// rank and world size of the process, all-reduce (sum or mean) and broadcast
// of float32 buffers, and a barrier, behind the small Comm interface.
//
// Three implementations:
//
//   - Local, the default: a world of one process, every operation a no-op.
//     It is pure Go; `go test ./...` and ordinary builds need no MPI.
//   - MPI (Open MPI or MPICH from the OS packages) through a thin cgo layer,
//     compiled only with the build tag mpi (`go build -tags mpi`) and chosen
//     by Init when the process was started by mpirun. MPI does the transport
//     (shared memory on one machine, TCP or InfiniBand between machines);
//     this package adds a watchdog, so that a peer that died or hangs ends the
//     job with a *TimeoutError instead of blocking forever.
//   - NewLoopback, n ranks inside one process (goroutines), for tests of code
//     that uses a Comm and for experiments without MPI.
//
// Reducer all-reduces the gradients of a parameter list in buckets while
// the backward pass is still running: each parameter's gradient hook
// (tensor.SetGradHook) copies the finished gradient into its bucket, and a
// bucket is reduced on a background goroutine as soon as it is full, in a
// fixed bucket order that every rank follows. sdk/train uses it when
// train.Config.Comm has more than one rank.
//
// Launch a program built with the tag under mpirun:
//
//	go build -tags mpi -o pretrain ./cmd/pretrain
//	mpirun -np 2 ./pretrain train --objective clm --steps 200
package dist
