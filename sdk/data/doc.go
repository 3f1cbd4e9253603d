// Package data is the input pipeline of pretrain: it streams corpora of any
// size from files, folders, globs and gzip files as lines or blank-line
// separated documents, shards them by rank and worker, shuffles them with a
// seeded buffer, repeats them for epochs, packs token streams into
// fixed-length sequences, and turns token sequences into a *Batch with the
// collator of a pretraining objective (masked LM, T5 span corruption,
// denoising, skip-gram and CBOW windows with negative sampling, contrastive
// pairs). Labeled readers load JSONL, CSV and TSV files for fine-tuning.
//
// Everything here works on token ids: the tokenizer is supplied by the
// caller as an EncodeFunc and the special ids a collator needs are fields of
// its config, so the package depends on no tokenizer.
//
// Nothing reads a whole file: readers wrap bufio over the (possibly
// gunzipped) stream and bound the size of a line and of a document. Errors
// from input name the file and the line and byte position (*InputError).
//
// Randomness comes from RNG, a seeded xoshiro256** generator owned by this
// package, so results are identical on every platform and Go release. A
// Loader derives one RNG per (seed, epoch, batch), which makes the masks of
// a batch independent of prefetching and worker count, and different in
// every epoch.
//
// A Loader ties it together: Corpus (or labeled Examples) → Shard →
// ShuffleBuffer → Encode (on Workers goroutines, handed back in order) →
// Packer (optional) → Collator → *Batch, prepared Prefetch batches ahead
// by a background goroutine that Close stops and waits for.
package data
