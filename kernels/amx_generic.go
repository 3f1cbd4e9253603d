//go:build !amd64 || purego

package kernels

// gemmAMX is never reached without the AMX tier (gemmImpl.amx is false).
func gemmAMX(s *gemmSrc) { panic("kernels: no AMX in this build") }
