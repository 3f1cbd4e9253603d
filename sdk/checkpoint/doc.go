// Package checkpoint reads and writes model weights in the safetensors format
// and saves resumable training state.
//
// A safetensors file is an 8-byte little-endian header length N, a JSON header
// of N bytes (padded with spaces to a multiple of 8, as the reference
// implementation does) mapping each tensor name to its dtype, shape and byte
// range, an optional "__metadata__" string map, and the raw little-endian
// tensor bytes. Tensors are laid out by descending element size, then by name,
// so that every tensor is aligned to its element size. F32 and BF16 are
// written and read; F16 and F64 files are read and widened or narrowed to F32.
//
// Reading is streaming: Open parses only the header, and Tensor reads one
// tensor's bytes with ReadAt, so a large file is never held in memory twice.
//
// Every file this package writes goes through WriteFileAtomic: the bytes go
// to a temporary file in the destination directory, which is synced and then
// renamed over the destination, and the directory is synced. A crash or a
// write error at any point leaves either the old file or the new one, never a
// partial file. A training checkpoint (SaveState) is a directory built the
// same way under a temporary name and renamed into place whole.
package checkpoint
