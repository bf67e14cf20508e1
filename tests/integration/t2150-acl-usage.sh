#!/bin/bash
# usage() of talkctl acl and simulate matches talkctl(8) (style(9)).
. "$(dirname "$0")/lib-acl.sh"
plan 8

: "${TALKD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
man="$(mandoc -Tascii -O width=250 "$TALKD_SRCDIR/man/talkctl.8" | col -b |
    sed -n 's/^ *\(acl [a-z]* .*\|acl [a-z]*\|simulate .*\)$/\1/p')"

usage="$( { "$TC" acl --help; "$TC" simulate --help; } |
    sed -e 's/^usage: *//' -e 's/^ *//' -e 's/^talkctl //')"
n=0
while IFS= read -r line; do
	n=$((n + 1))
	printf '%s\n' "$man" | grep -qxF -- "$line"
	ok $? "talkctl(8) has: $line"
done <<<"$usage"
is "$n" 6 "six usage lines checked"

run talkctl acl frobnicate
is "$rc" 2 "an unknown acl command is a usage error"

done_testing
