//go:build !mpi

package dist

import (
	"errors"
	"time"
)

const mpiBuilt = false

func openMPI(time.Duration) (Comm, error) {
	return nil, errors.New("dist: built without MPI (build with -tags mpi)")
}
