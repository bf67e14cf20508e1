#!/bin/bash
# talkctl acl check: exit codes, file:line:col, caret lines, lint warnings.
. "$(dirname "$0")/lib-acl.sh"
plan 43

cd "$W" || exit 1

printf '# site rules\n\ndeny .* any\nallow ^sif$ 192.168.1.0/24 127.0.0.1\n' >good.acl
run talkctl acl check good.acl
is "$rc" 0 "a good legacy file is valid"
is "$out" "good.acl: OK" "and is reported OK on stdout"

run talkctl acl check -q good.acl
is "$rc$out" 0 "-q prints nothing for a valid file"

printf 'deny .* any\nalow ^sif$\n' >action.acl
run talkctl acl check action.acl
is "$rc" 1 "an unknown action makes the file invalid"
like "$err" "talkctl: action.acl:2:1: " "the error names file:line:col"
like "$err" "alow" "and quotes the bad word"
is "$(line_after "$err" 'alow ^sif$')" "^" "a caret under column 1"
is "$out" "" "nothing on stdout for an invalid file"

printf 'allow ^thor$ 1.2.3.4/99\n' >net.acl
run talkctl acl check net.acl
is "$rc" 1 "a prefix length of 99 is invalid"
like "$err" "net.acl:1:22: " "the column is the prefix length's"
is "$(line_after "$err" 'allow ^thor$ 1.2.3.4/99')" "                     ^" \
    "the caret sits under the prefix length"

printf 'deny\t.*\t10.0.0.0/40\n' >tab.acl
run talkctl acl check tab.acl
is "$rc" 1 "a bad network after tabs is invalid"
like "$err" "tab.acl:1:26: " "columns count tabs to 8"
like "$err" "$(printf 'deny    .*      10.0.0.0/40')" "the line is shown with tabs expanded"
is "$(line_after "$err" 'deny    .*      10.0.0.0/40')" "                         ^" \
    "the caret is under the expanded column"

printf 'allow \\(thor\n' >re.acl
run talkctl acl check re.acl
is "$rc" 1 "a regular expression that does not compile is invalid"
like "$err" "re.acl:1:" "and is reported with its position"

printf 'allow x\033[2Jy\n' >esc.acl
run talkctl acl check esc.acl
unlike "$out$err" "$(printf '\033')" "control bytes from a file are escaped"

printf 'allow ^thor$\n  deny \\(a*\\)\\{1,30\\}\\1bc\n' >slow.acl
run talkctl acl check slow.acl
is "$rc" 0 "a super-linear pattern is valid"
like "$out$err" "slow.acl:2:8: warning: pattern" \
    "but warned about at file:line:col"
like "$out$err" "nested repetition" "as super-linear"

mkdir -p rc && yes 'deny x' | head -1001 >rc/.talkrc
run talkctl acl check rc/.talkrc
like "$err" "rc/.talkrc:1001:1: more than 1000 rules" \
    "a .talkrc over the rule limit is an error at file:line:col"

printf 'alow x\nallow y 1.2.3.4/40\n\nallow z 1.1.1.1/x\n' >many.acl
run talkctl acl check many.acl
is "$(printf '%s\n' "$err" | grep -c '^talkctl: many.acl:[0-9]*:[0-9]*: ')" 3 \
    "every bad line is reported, not just the first"
like "$err" "many.acl:4:17: " "including the last"
"$TC" acl check /dev/stdin <many.acl 2>&1 | grep -qxF "                ^"
ok $? "carets also for a file read from a pipe"

run talkctl acl check good.acl action.acl
is "$rc" 1 "one invalid file among several: exit 1"
like "$out" "good.acl: OK" "the valid one is still reported"

run talkctl acl check good.acl missing.acl
is "$rc" 2 "an unreadable file: exit 2"
like "$err" "missing.acl: No such file or directory" "with the reason"

run talkctl acl check
is "$rc" 2 "no operand is a usage error"

sample_policy good.yaml
run talkctl acl check good.yaml
is "$rc" 0 "a good YAML policy is valid"

cat >bad.yaml <<'YAML'
version: 1
site:
  - { id: staff, acton: allow }
YAML
run talkctl acl check bad.yaml
is "$rc" 1 "an unknown YAML key is invalid"
like "$err" "talkctl: bad.yaml:3:" "the YAML error names its line"
like "$err" "  - { id: staff, acton: allow }" "and shows the line"

# Lint: valid, but the first rule can never decide (a later rule matches
# every name from everywhere).
printf 'allow ^sif$ any\ndeny .* any\n' >shadow.acl
run talkctl acl check shadow.acl
is "$rc" 0 "lint warnings do not make a file invalid"
like "$err" "shadow.acl:1:1: warning: " "a shadowed rule is reported as file:line:col: warning:"

printf 'allow ^abcdefghijklmnop$\n' >long.acl
run talkctl acl check long.acl
is "$rc" 0 "a pattern longer than a name can be is only a warning"
like "$err" "long.acl:1:1: warning: " "about the 11 bytes the protocol carries"

# A file named .talkrc is also opened the way talkd opens it.
mkdir -p h/sif h/odin
printf 'allow ^thor$\n' >h/sif/.talkrc
chmod 0664 h/sif/.talkrc
run talkctl acl check h/sif/.talkrc
is "$rc" 1 "a group-writable .talkrc fails the check"
like "$err" "h/sif/.talkrc: insecure" "and says it is insecure"
chmod 0644 h/sif/.talkrc
run talkctl acl check h/sif/.talkrc
is "$rc" 0 "once fixed, it passes"
ln -s ../sif/.talkrc h/odin/.talkrc
run talkctl acl check h/odin/.talkrc
is "$rc" 1 "a .talkrc that is a symlink fails the check"

run talkctl acl check /dev/stdin <good.acl
is "$rc" 0 "a file can be checked from a pipe"

done_testing
