package kernels

// tierGo is the portable GEMM: blocking sized for a 32 KiB L1 and a 1 MiB L2.
var tierGo = gemmImpl{name: "go", mr: goMR, nr: goNR, kern: kernGo, kc: 256, mc: 128, nc: 4096}

// curGemm is the GEMM of the tier in use; curTier names it.
var (
	curGemm = &tierGo
	curTier = "go"
)

// tierEntry is one selectable tier: install points every kernel variable at
// the tier's implementation; ok reports whether this CPU (after GODEBUG)
// runs it. Entries are in order of preference.
type tierEntry struct {
	name    string
	ok      func() bool
	install func()
}

// smallAsm says that SgemmSmall, Transpose and the packing of full f32
// panels run the AVX2 code (set by the AVX2 and AVX-512 tiers).
var smallAsm bool

// tierTable starts with the portable tier; the assembly tiers add
// themselves in front of it (tier_amd64.go).
var tierTable = []tierEntry{{name: "go", ok: func() bool { return true }, install: installGo}}

func installGo() {
	curGemm = &tierGo
	dotK, axpyK, scaleK, addK, mulK = dotGo, axpyGo, scaleGo, addGo, mulGo
	sumK, maxK, expK, expSubK, sumSqDK = sumGo, maxGo, expGo, expSubGo, sumSqDevGo
	geluK, geluBK, geluTK, geluTBK = geluGo, geluBackwardGo, geluTanhGo, geluTanhBackwardGo
	adamK, toBF16K, fromBF16 = adamGo, toBF16Go, fromBF16Go
	normK, mulAddK, lnDxK = normRowGo, mulAddGo, lnDxGo
	lnRowsK = layerNormRowsGo
	lnBackRowsK = nil
	sumRowsK = sumRowsGo
	softmaxIPK, softmaxBK = nil, nil
	smallAsm = false
}

// selectTier installs the most preferred tier that this CPU runs.
func selectTier() {
	for _, e := range tierTable {
		if e.ok() {
			e.install()
			curTier = e.name
			return
		}
	}
}

// availableTiers lists the tiers this CPU runs, best first.
func availableTiers() []string {
	var s []string
	for _, e := range tierTable {
		if e.ok() {
			s = append(s, e.name)
		}
	}
	return s
}

// forceTier installs the named tier (tests and benchmarks compare tiers in
// one process) and returns a function that restores the previous one.
func forceTier(name string) (restore func()) {
	prev := curTier
	for _, e := range tierTable {
		if e.name == name && e.ok() {
			e.install()
			curTier = name
			return func() { forceTier(prev) }
		}
	}
	panic(&ArgError{Op: "forceTier", Detail: "tier " + name + " is not available"})
}

// Tier names the instruction-set tier the kernels run on: "avx512+amx",
// "avx512+bf16", "avx512", "avx2" or "go" (see the package documentation).
// It is fixed at start-up from the CPU, GODEBUG (cpu.amxbf16=off,
// cpu.avx512bf16=off, cpu.avx512f=off, cpu.avx2=off, cpu.fma=off) and the
// purego build tag.
func Tier() string { return curTier }
