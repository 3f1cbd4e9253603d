package kernels

import (
	"strings"
	"testing"
)

// TestSoftmaxRowsLSEShortLSE checks the argument error; the values are
// checked in TestSoftmaxRows.
func TestSoftmaxRowsLSEShortLSE(t *testing.T) {
	defer func() {
		if e := recover(); e == nil || !strings.Contains(e.(error).Error(), "lse has 1 elements") {
			t.Fatalf("short lse: %v", e)
		}
	}()
	SoftmaxRowsLSE(make([]float32, 4), make([]float32, 1), make([]float32, 4), 2, 2)
}
