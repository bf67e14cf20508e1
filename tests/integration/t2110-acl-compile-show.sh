#!/bin/bash
# talkctl acl compile and show: caches, --users, the show round trip.
. "$(dirname "$0")/lib-acl.sh"
plan 48

cd "$W" || exit 1

cat >site.acl <<'ACL'
deny	.*	any
allow	^sif$	192.168.1.0/24
ACL
sample_policy policy.yaml

# An empty policy, to the default cache ($TALKD_ACL_CACHE).
run talkctl acl compile
is "$rc" 0 "compile without a source"
like "$out" "wrote $TALKD_ACL_CACHE: empty policy" "one-line summary"
test -s "$TALKD_ACL_CACHE"; ok $? "the default cache is written"

run talkctl acl compile -o c1 site.acl
is "$rc" 0 "compile a legacy site file"
like "$out" "wrote c1: site.acl" "summary names cache and source"
run talkctl acl check c1
is "$rc" 0 "the cache checks"

# Damaged and foreign caches are rejected, not trusted.
head -c 40 c1 >trunc.cache
run talkctl acl check trunc.cache
is "$rc" 1 "a truncated cache is invalid"
like "$err" "talkctl: trunc.cache: " "and named"
cp c1 flip.cache
printf '\377' | dd of=flip.cache bs=1 seek=100 conv=notrunc 2>/dev/null
run talkctl acl check flip.cache
is "$rc" 1 "a cache with a changed byte is invalid"
printf '\177ELF\002\001\001\000\000\000' >foreign.cache
run talkctl acl check foreign.cache
is "$rc" 1 "a foreign binary file is invalid"
run talkctl simulate sif 10.0.0.1 --cache trunc.cache
is "$rc" 2 "simulate refuses a damaged cache"

# show: the cache as YAML that reads back to itself.
run talkctl acl show c1
is "$rc" 0 "show a cache"
printf '%s\n' "$out" >s1.yaml
like "$out" "version: 1" "show prints a YAML policy"
run talkctl acl check s1.yaml
is "$rc" 0 "show output checks"
# Rules carry the place they were read from in a trailing comment; that
# place is s1.yaml after the reparse, so compare without it, then check
# that the reparse is an exact fixed point.
nopos() { sed -E 's/  # [^ ]+:[0-9]+:[0-9]+$//'; }
run talkctl acl show s1.yaml
is "$rc" 0 "show a reparsed policy"
is "$(printf '%s\n' "$out" | nopos)" "$(nopos <s1.yaml)" \
    "show of the reparse equals the first show, rule positions aside"
printf '%s\n' "$out" >s1.yaml
run talkctl acl show s1.yaml
is "$out" "$(cat s1.yaml)" "and a second reparse is an exact fixed point"
"$TC" acl show c1 | "$TC" acl check -q /dev/stdin 2>/dev/null
ok $? "show | check /dev/stdin"

run talkctl acl compile -o c2 policy.yaml
is "$rc" 0 "compile a YAML policy"
run talkctl acl show c2
printf '%s\n' "$out" >y1.yaml
like "$out" "staff" "rule ids survive compilation"
run talkctl acl show y1.yaml
is "$(printf '%s\n' "$out" | nopos)" "$(nopos <y1.yaml)" \
    "YAML policy: show round trip"
# The cache decides as the source does.
run talkctl simulate sif 192.168.1.20 --caller thor --cache c2 --json
a="$(json_get "$out" '$.decision') $(json_get "$out" '$.reason')"
is "$a" "allow site-allow" "the cache allows thor to call sif on the LAN"
run talkctl simulate sif 192.168.1.20 --caller thor --policy policy.yaml --json
is "$a" "$(json_get "$out" '$.decision') $(json_get "$out" '$.reason')" \
    "simulate reaches the same decision from cache and source"

run talkctl acl show
is "$rc" 0 "show without an operand reads \$TALKD_ACL_CACHE"

"$TC" acl show c2 >/dev/full 2>/dev/null
rc=$?
[ "$rc" -ne 0 ]; ok $? "show > /dev/full fails (exit $rc)"

# A bad source leaves the cache alone.
cp c1 c1.before
printf 'deny .* any\nalow x\n' >bad.acl
run talkctl acl compile -o c1 bad.acl
is "$rc" 1 "a source that does not parse is rejected"
like "$err" "bad.acl:2:1: " "with its position"
cmp -s c1 c1.before; ok $? "the old cache is untouched"
run talkctl acl compile -o c1 c2
is "$rc" 2 "a cache is not a source"
run talkctl acl compile -o "$W/no/such/dir/c" site.acl
is "$rc" 1 "an unwritable cache path fails"

# --users over the real password database: accounts without a
# ~/.talkrc are skipped.
run talkctl acl compile -o real.cache --users site.acl
is "$rc" 0 "compile --users with the system's accounts"

# --users: every account's ~/.talkrc, from a passwd file.
for u in sif loki odin frigg baldr; do make_user "$u"; done
write_talkrc sif 'deny ^loki$
allow ^thor$
'
write_talkrc loki 'allow .*
'
chmod g+w home/loki/.talkrc
write_talkrc frigg 'allow ^thor$
alow ^odin$
'
ln -s ../sif/.talkrc home/odin/.talkrc
run talkctl acl compile -o c3 --users --passwd "$W/passwd" site.acl
is "$rc" 0 "compile --users"
like "$out" "4 ~/.talkrc files (3 deny-all, 0 unreadable)" \
    "sif, loki, odin, frigg compiled; three as deny-all; baldr has none"
like "$err" "$W/home/loki/.talkrc: warning: " "the insecure file is named"
like "$err" "$W/home/odin/.talkrc: warning: " "so is the symlink"
like "$err" "$W/home/frigg/.talkrc:2:1: warning: " "the bad line is named by file:line:col"
unlike "$err" "baldr" "a missing file is skipped quietly"

run talkctl acl show c3
like "$out" "$W/home/sif/.talkrc" "show lists the compiled .talkrc copies"
printf '%s\n' "$out" >u1.yaml
run talkctl acl check u1.yaml
is "$rc" 0 "and its output, with the copies, reads back"

run talkctl simulate sif 10.9.9.9 --caller thor --cache c3 --passwd "$W/passwd"
is "$rc" 0 "the compiled copy takes part"
like "$out" "talkrc:            $W/home/sif/.talkrc (compiled copy, current)" \
    "and is current"
sleep 0.01
printf 'deny .*\n' >>home/sif/.talkrc
run talkctl simulate sif 10.9.9.9 --caller thor --cache c3 --passwd "$W/passwd"
like "$out" "compiled copy is stale" "an edited file makes the copy stale"
is "$rc" 1 "and the file, not the copy, decides"
run talkctl simulate frigg 10.9.9.9 --caller thor --cache c3 --passwd "$W/passwd"
is "$rc" 1 "the bad file's deny-all copy denies"

# The same account twice: the first entry counts, as for getpwnam(3).
cp passwd passwd.dup
printf 'sif:x:%s:%s::%s:/bin/sh\n' "$(id -u)" "$(id -g)" "$W/home/loki" >>passwd.dup
run talkctl acl compile -o c5 --passwd "$W/passwd.dup" site.acl
is "$rc" 0 "a repeated account does not fail the compile"
like "$err" 'account "sif" is listed again' "it is warned about"

run talkctl acl compile --strict -o c4 site.acl
like "$out" ", strict" "--strict is reported"
run talkctl simulate sif 10.9.9.9 --caller thor --cache c4 --talkrc home/frigg/.talkrc
is "$rc" 2 "a draft that does not parse is still an error with a cache"

done_testing
