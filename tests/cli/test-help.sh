#!/bin/sh
# relabel --help lists every subcommand of the contract; --version prints a version;
# an unknown command is a usage error (exit 2).
set -u
out=$("$RELABEL_BIN" --help) || { echo "FAIL: --help exited $?"; exit 1; }
for c in import predict eval train study finetune paint fill wand superpixel cleanup undo redo export models suspects; do
  echo "$out" | grep -qE "^  $c " || { echo "FAIL: --help does not list $c"; exit 1; }
done
"$RELABEL_BIN" --version | grep -qE '^relabel [0-9]+\.[0-9]+' || { echo "FAIL: --version"; exit 1; }
"$RELABEL_BIN" no-such-command 2>/dev/null; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: unknown command exited $rc, want 2"; exit 1; }
echo "ok: help, version, unknown command"
