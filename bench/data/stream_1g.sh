#!/bin/sh
# Acceptance 4 of issue 5: stream a generated corpus end to end through the
# data pipeline (documents, shuffle buffer, toy tokenizer, MLM collator,
# prefetch) and report peak RSS for a small and a 1 GB corpus; flat memory
# means the two peaks are close. Needs /usr/bin/time and about 1 GB of
# free space in $TMPDIR. Takes about a minute on 2 cores.
set -eu
cd "$(dirname "$0")/../.."
bin=$(mktemp -d)/data.test
go test -c -o "$bin" ./sdk/data
for size in ${SIZES:-1e7 1e9}; do
	echo "== PRETRAIN_STREAM_BYTES=$size"
	PRETRAIN_STREAM_BYTES=$size /usr/bin/time -v "$bin" -test.run '^TestStreamLargeCorpus$' -test.v 2>&1 |
		grep -E 'streamed|^--- |Maximum resident|Elapsed'
done
rm -f "$bin"
