#!/bin/bash
# talkctl simulate: exit codes, matched-rule lines and reasons, --json.
. "$(dirname "$0")/lib-acl.sh"
plan 65

cd "$W" || exit 1

cat >site.acl <<'ACL'
deny	.*	any
allow	^sif$	192.168.1.0/24
allow	^thor$
ACL
: >empty.acl
for u in sif thor loki odin frigg; do make_user "$u"; done
write_talkrc sif 'deny ^loki$
allow ^thor$
'
write_talkrc loki 'allow .*
'
chmod g+w home/loki/.talkrc			# insecure: group-writable
write_talkrc frigg 'allow ^thor$
'
ln -s ../frigg/.talkrc home/odin/.talkrc	# insecure: a symlink
P=(--passwd "$W/passwd")
SIF="$W/home/sif/.talkrc"

# site allow: thor has no .talkrc; the third site rule admits him.
run talkctl simulate thor 10.0.0.1 --caller sif --policy site.acl "${P[@]}"
is "$rc" 0 "site allow: exit 0"
like "$out" "site rule matched: site.acl:1:1" "the first site rule matched"
like "$out" "site rule matched: site.acl:3:1" "and the third"
like "$out" "decision:          allow (site-allow by site.acl:3:1)" \
    "decision line names the reason and the rule"
like "$out" "callee:            thor" "aligned callee line"
like "$out" "address:           10.0.0.1" "aligned address line"
like "$out" "policy:            site.acl (source)" "the policy line"

# user deny: the site admits sif from the LAN, sif's own file refuses loki.
run talkctl simulate sif 192.168.1.5 --caller loki --policy site.acl "${P[@]}"
is "$rc" 1 "user deny: exit 1"
like "$out" "site rule matched: site.acl:2:1" "the LAN rule matched"
like "$out" "user rule matched: $SIF:1:1" "sif's deny rule matched"
like "$out" "talkrc:            $SIF" "the talkrc line names the file"
like "$out" "decision:          deny (user-deny by $SIF:1:1)" "reason user-deny"

# user override: the site denies from outside, sif allows thor.
run talkctl simulate sif 10.9.9.9 --caller thor --policy site.acl "${P[@]}"
is "$rc" 0 "user override: exit 0"
like "$out" "site decision:     deny (site.acl:1:1)" "the site said deny"
like "$out" "user rule matched: $SIF:2:1" "sif's allow rule matched"
like "$out" "decision:          allow (user-override by $SIF:2:1)" \
    "reason user-override"

# site deny: nobody sif knows, from outside.
run talkctl simulate sif 10.9.9.9 --caller baldr --policy site.acl "${P[@]}"
is "$rc" 1 "site deny: exit 1"
unlike "$out" "user rule matched:" "no user rule matched"
like "$out" "user decision:     allow (default)" "the user default is allow"
like "$out" "decision:          deny (site-deny by site.acl:1:1)" "reason site-deny"

# A user deny rule for someone else overrides nothing (GNU's code differs).
run talkctl simulate sif 10.9.9.9 --caller loki --policy site.acl "${P[@]}"
is "$rc" 1 "a matching user deny does not override a site deny"

# strict: the site deny is final even though sif allows thor.
run talkctl simulate sif 10.9.9.9 --caller thor --policy site.acl --strict "${P[@]}"
is "$rc" 1 "strict deny: exit 1"
like "$out" "decision:          deny (strict-deny by site.acl:1:1)" "reason strict-deny"

# Insecure files deny every caller.
run talkctl simulate loki 10.0.0.1 --caller thor --policy empty.acl "${P[@]}"
is "$rc" 1 "a group-writable .talkrc denies"
like "$out" "(insecure-talkrc" "reason insecure-talkrc"
like "$out" "every caller denied" "the talkrc line says why"

run talkctl simulate odin 10.0.0.1 --caller thor --policy empty.acl "${P[@]}"
is "$rc" 1 "a .talkrc that is a symlink denies"
like "$out" "(insecure-talkrc" "reason insecure-talkrc for the symlink"

# The same file through its real name is fine.
run talkctl simulate frigg 10.0.0.1 --caller thor --policy empty.acl "${P[@]}"
is "$rc" 0 "the symlink's target, read as itself, allows thor"

# A draft .talkrc is read without owner checks.
printf 'deny ^thor$\n' >draft
run talkctl simulate frigg 10.0.0.1 --caller thor --policy empty.acl --talkrc draft "${P[@]}"
is "$rc" 1 "--talkrc uses the draft"
like "$out" "talkrc:            draft (draft; owner and mode not checked)" \
    "and says so"
printf 'alow x\n' >baddraft
run talkctl simulate frigg 10.0.0.1 --talkrc baddraft --policy empty.acl "${P[@]}"
is "$rc" 2 "a draft that does not parse is an error"
like "$err" "baddraft:1:1: " "reported with its position"

# --json
run talkctl simulate sif 10.9.9.9 --caller thor --policy site.acl --json "${P[@]}"
is "$rc" 0 "--json: exit status still tells the decision"
is "$(printf '%s\n' "$out" | wc -l)" 1 "one line of JSON"
is "$(json_get "$out" '$.schema_version')" 1 "schema_version"
is "$(json_get "$out" '$.decision')" allow "decision"
is "$(json_get "$out" '$.reason')" user-override "reason"
is "$(json_get "$out" '$.callee')|$(json_get "$out" '$.caller')|$(json_get "$out" '$.address')" \
    "sif|thor|10.9.9.9" "callee, caller, address"
is "$(json_get "$out" '$.site_rule.line')" 1 "site_rule.line"
is "$(json_get "$out" '$.user_rule.file'):$(json_get "$out" '$.user_rule.line')" \
    "$SIF:2" "user_rule file and line"
is "$(json_get "$out" '$.matched[#-1].set')" user "matched[] ends with the user rule"
is "$(json_len "$out" '$.matched')" 2 "two rules matched"

# -q: the exit status alone.
run talkctl simulate sif 10.9.9.9 --caller baldr --policy site.acl -q "${P[@]}"
is "$rc|$out|$err" "1||" "-q: deny by exit status, nothing printed"
run talkctl simulate sif 10.9.9.9 --caller thor --policy site.acl --quiet "${P[@]}"
is "$rc|$out|$err" "0||" "--quiet: allow by exit status, no warning either"

# --json errors are objects too.
run talkctl simulate thor 10.0.0.1 --policy bad-draft-missing --json "${P[@]}"
is "$rc" 2 "--json: an error still exits 2"
is "$(json_get "$out" '$.error.code')" policy "and prints an error object"
run talkctl simulate thor no-such-host.invalid --json
is "$(json_get "$out" '$.error.code')" host "code host for a bad host name"

# Host names are resolved; the default caller is "unknown".
run talkctl simulate thor localhost --policy site.acl "${P[@]}"
is "$rc" 0 "a host name works"
like "$out" "address:           127.0.0.1 (localhost)" "and is resolved"
like "$out" "caller:            unknown" "the default caller name"

# Names longer than the protocol carries.
run talkctl simulate thor 10.0.0.1 --caller abcdefghijklmnop --policy site.acl "${P[@]}"
like "$err" "warning: the caller name" "a long caller name is warned about"
like "$out" "caller:            abcdefghijk" "and cut to 11 bytes"

# Names from the command line are escaped, in text and in JSON.
run talkctl simulate thor 10.0.0.1 --caller "$(printf 'a\033[2Jb')" --policy site.acl "${P[@]}"
unlike "$out$err" "$(printf '\033')" "no raw escape byte reaches the terminal"
like "$out" 'caller:            a\x1b[2Jb' "the caller is shown escaped"
run talkctl simulate thor 10.0.0.1 --caller "$(printf 'a\033b')" --policy site.acl --json "${P[@]}"
like "$out" '"caller":"a\u001bb"' "JSON escapes it as \\u001b"

# A draft whose patterns backtrack without end: a denial at the rule where
# the decision's budget ran out, in text and in JSON.
yes 'allow \(a*\)\{1,30\}\1bc' | head -1000 >hostile
run talkctl simulate frigg 10.0.0.1 --caller aaaaaaaaaac --policy empty.acl --talkrc hostile "${P[@]}"
is "$rc" 1 "an undecidable draft denies"
like "$out" "decision:          deny (budget-exceeded by hostile:1000:1)" \
    "naming the reason and the rule where the budget ran out"
run talkctl simulate frigg 10.0.0.1 --caller aaaaaaaaaac --policy empty.acl --talkrc hostile --json "${P[@]}"
is "$(json_get "$out" '$.reason'):$(json_get "$out" '$.stop_rule.line')" \
    "budget-exceeded:1000" "--json: reason and stop_rule"

# No policy and no cache: the built-in default allows.
run talkctl simulate thor 10.0.0.1 "${P[@]}"
is "$rc" 0 "no cache: built-in default allows"
like "$out" "built-in default" "and says so"

# Usage errors.
run talkctl simulate thor
is "$rc" 2 "a missing host is a usage error"
run talkctl simulate thor 10.0.0.1 --policy site.acl --cache x
is "$rc" 2 "--policy with --cache is a usage error"
run talkctl simulate thor 10.0.0.1 --passwd "$W/no-such-passwd"
is "$rc" 2 "a missing --passwd file is an error"
run talkctl simulate thor no-such-host.invalid --policy site.acl
is "$rc" 2 "an unknown host is an error"

done_testing
