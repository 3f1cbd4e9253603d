package apicheck

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite sdk/api.txt from the current sources")

// TestAPIUnchanged fails when the exported API of sdk/ differs from
// sdk/api.txt. After a deliberate change, run
//
//	go test ./sdk/internal/apicheck -update
//
// and commit the new api.txt with the change.
func TestAPIUnchanged(t *testing.T) {
	lines, err := List("../..")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(lines, "\n") + "\n"
	const file = "../../api.txt"
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run: go test ./sdk/internal/apicheck -update)", err)
	}
	if got != string(want) {
		wl := map[string]bool{}
		for _, l := range strings.Split(string(want), "\n") {
			wl[l] = true
		}
		gl := map[string]bool{}
		for _, l := range lines {
			gl[l] = true
			if !wl[l] {
				t.Errorf("added or changed: %s", l)
			}
		}
		for l := range wl {
			if l != "" && !gl[l] {
				t.Errorf("removed or changed: %s", l)
			}
		}
		t.Log("if the change is deliberate: go test ./sdk/internal/apicheck -update")
	}
}

func TestListSeesExportedOnly(t *testing.T) {
	lines, err := List("../..")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(lines, "\n")
	for _, want := range []string{"tensor: func (*Tensor) MatMul(b *Tensor) *Tensor", "tensor: type ShapeError struct"} {
		if !strings.Contains(joined, want) {
			t.Errorf("listing lacks %q", want)
		}
	}
	if strings.Contains(joined, "gradSlot") || strings.Contains(joined, "internal/") {
		t.Error("listing contains unexported or internal names")
	}
}
