package kernels

// Tier names the instruction-set tier the kernels run on: "avx512+bf16",
// "avx512", "avx2" or "go".
func Tier() string { return "go" }
