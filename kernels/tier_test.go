package kernels

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestTierGODEBUG re-runs this test binary under GODEBUG settings and checks
// that each selects the expected tier at start-up.
func TestTierGODEBUG(t *testing.T) {
	if os.Getenv("KERNELS_PRINT_TIER") != "" {
		t.Logf("tier=%s", Tier())
		return
	}
	avail := availableTiers()
	has := func(n string) bool {
		for _, a := range avail {
			if a == n {
				return true
			}
		}
		return false
	}
	if Tier() != avail[0] {
		t.Fatalf("Tier() = %s, want the best available %s", Tier(), avail[0])
	}
	cases := []struct{ godebug, want string }{
		{"cpu.amxbf16=off", "avx512+bf16"},
		{"cpu.avx512bf16=off", "avx512"},
		{"cpu.avx512f=off", "avx2"},
		{"cpu.avx2=off", "go"},
		{"cpu.fma=off", "go"},
	}
	for _, c := range cases {
		if !has(c.want) || !has("avx512+amx") {
			continue // the case needs a CPU with every tier
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestTierGODEBUG$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "KERNELS_PRINT_TIER=1", "GODEBUG="+c.godebug)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.godebug, err, out)
		}
		if !strings.Contains(string(out), "tier="+c.want+"\n") {
			t.Errorf("GODEBUG=%s: want tier %s, got\n%s", c.godebug, c.want, out)
		}
	}
}
