#!/bin/bash
# The policies in talkd.acl(5)'s EXAMPLES check, and their tests pass.
. "$(dirname "$0")/lib-acl.sh"
plan 7

: "${TALKD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$W" || exit 1

# Literal blocks of the page, one file each: block.1, block.2, ...
awk '/^\.Bd -literal/ { n++; f = "block." n; next }
     /^\.Ed/ { f = ""; next }
     f != "" { print > f }' "$TALKD_SRCDIR/man/talkd.acl.5"
legacy="$(grep -l '^# /etc/talkd/acl' block.* | head -1)"
yaml="$(grep -l '^version: 1' block.* | head -1)"
[ -n "$legacy" ] && [ -n "$yaml" ]
ok $? "the page has a legacy and a YAML example"

run talkctl acl check "$legacy"
is "$rc" 0 "the legacy example checks"
run talkctl acl check "$yaml"
is "$rc" 0 "the YAML example checks"
run talkctl acl test "$yaml"
is "$rc" 0 "the YAML example's tests pass"
like "$out" "3 passed, 0 failed" "all three of them"

# talkrc(5): every example that is a rule file.
mkdir rc && cd rc || exit 1
awk '/^\.Bd -literal/ { n++; f = "block." n; next }
     /^\.Ed/ { f = ""; next }
     f != "" { print > f }' "$TALKD_SRCDIR/man/talkrc.5"
files="$(grep -lE '^(allow|deny)[[:space:]]' block.* | tr '\n' ' ')"
is "$(echo $files | wc -w)" 2 "talkrc(5) has two example files"
run talkctl acl check $files
is "$rc" 0 "they check"

done_testing
