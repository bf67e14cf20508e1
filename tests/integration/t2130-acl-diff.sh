#!/bin/bash
# talkctl acl diff: the requests whose decision changes, exit codes.
. "$(dirname "$0")/lib-acl.sh"
plan 16

cd "$W" || exit 1

printf 'deny\t.*\tany\nallow\t^sif$\t192.168.1.0/24\n' >old.acl
printf 'deny\t.*\tany\nallow\t^sif$\t192.168.0.0/16\n' >new.acl

run talkctl acl diff old.acl old.acl
is "$rc" 0 "no change: exit 0"
like "$out" "0 of " "no request changes"

run talkctl acl diff old.acl new.acl
is "$rc" 1 "a change: exit 1"
like "$out" "sif nobody-else 192.168.0.0: deny -> allow (site-deny by old.acl:1:1 / site-allow by new.acl:2:1)" \
    "the new network's first address"
like "$out" "sif nobody-else 192.168.255.255: deny -> allow" "its last address"
like "$out" "sif nobody-else 192.168.2.0: deny -> allow" \
    "the address just past the old network"
unlike "$out" "192.168.1.0:" "inside both: no change"
unlike "$out" "192.169.0.0:" "past both: no change"
unlike "$out" "nobody-else nobody-else" "a callee no rule names: no change"
is "$(printf '%s\n' "$out" | grep -c ' -> ')" 3 "three requests change"

run talkctl acl diff new.acl old.acl
like "$out" "sif nobody-else 192.168.0.0: allow -> deny" "reversed"

# A user's compiled .talkrc takes part.
make_user sif
write_talkrc sif 'allow ^thor$
'
run talkctl acl compile -o with.cache --users --passwd "$W/passwd" old.acl
run talkctl acl compile -o without.cache old.acl
run talkctl acl diff with.cache without.cache
like "$out" "sif thor 192.0.2.1: allow -> deny (user-override by $W/home/sif/.talkrc:1:1 / site-deny by old.acl:1:1)" \
    "losing sif's .talkrc loses thor's override"

# A callee name longer than a request can carry is left out of the grid.
printf 'allow ^abcdefghijklmnop$\n' >long.acl
run talkctl acl diff long.acl old.acl
unlike "$out" "abcdefghijklmnop" "names over 11 bytes are not requests"

run talkctl acl diff old.acl
is "$rc" 2 "one operand is a usage error"
printf 'alow x\n' >bad.acl
run talkctl acl diff old.acl bad.acl
is "$rc" 2 "an invalid policy is an error, not a change"
like "$err" "bad.acl:1:1: " "and is reported with its position"

done_testing
