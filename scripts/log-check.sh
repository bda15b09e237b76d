#!/usr/bin/env bash
# Print every line of the given kernel logs that is a kernel bug report;
# exit 1 if there is any. Missing files are skipped.
pat='BUG:|WARNING:|Oops|KASAN|general protection fault|Kernel panic|kernel BUG|'
pat+='possible (circular|recursive) locking|inconsistent lock state|'
pat+='suspected memory leak|unreferenced object|scheduling while atomic|'
pat+='UBSAN|refcount_t:|list_(add|del) corruption|ODEBUG|INFO: task .* blocked|'
pat+='rcu: INFO|self-detected stall|Call Trace:'
found=0
for f in "$@"; do
	[ -f "$f" ] || continue
	if grep -aE "$pat" "$f" | grep -av '^rust_tcp-guest:' ; then found=1; fi
done
exit $found
