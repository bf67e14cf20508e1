#!/bin/bash
# On a machine where nothing made the state folder yet, talkctl acl compile
# says which folder is missing and who makes it, instead of a bare ENOENT.
. "$(dirname "$0")/lib.sh"
plan 2
printf 'allow .*\n' >"$T/site.acl"
out=$("$B/talkctl" acl compile -o "$T/none/acl.cache" "$T/site.acl" 2>&1)
_result $(( $? == 1 ? 0 : 1 )) "acl compile into a missing folder fails"
like "and says that make install or the package makes it" "$out" "no folder $T/none: make install or the talkd package creates /var/lib/talkd"
finish
