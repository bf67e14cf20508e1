#!/bin/bash
# The usage of every talkctl command, from its command table, heads that
# command's entry in talkctl(8) (style(9)); t2170 checks the SYNOPSIS.
. "$(dirname "$0")/lib-acl.sh"
plan 16

: "${TALKD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
man="$(mandoc -Tascii -O width=250 "$TALKD_SRCDIR/man/talkctl.8" | col -b |
    sed -n 's/^ *\(\(acl [a-z]*\|simulate\|ingest\|who-called\|history\|audit\|prune\|export\|status\)\( .*\)\?\)$/\1/p')"

usage="$("$TC" --help | sed -e 's/^usage: *//' -e 's/^ *//' -e 's/^talkctl //' |
    grep -v -e '^help ' -e '^--version$')"
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s\n' "$man" | grep -qxF -- "$line"
	ok $? "talkctl(8) has: $line"
done <<<"$usage"
is "$n" 13 "thirteen usage lines checked"

run talkctl acl frobnicate
is "$rc" 2 "an unknown acl command is a usage error"

run talkctl acl check --no-such-option
is "$rc" 2 "an unknown option is a usage error"

done_testing
