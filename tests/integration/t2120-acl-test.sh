#!/bin/bash
# talkctl acl test: PASS/FAIL lines, counts, exit codes.
. "$(dirname "$0")/lib-acl.sh"
plan 16

cd "$W" || exit 1

cat >pol.yaml <<'YAML'
version: 1
networks:
  lan: [192.168.1.0/24]
site:
  - { id: default-deny, action: deny }
  - { id: staff, action: allow, users: [thor, sif], from: [lan] }
users:
  sif:
    - { id: sif-loki, action: deny, users: [loki] }
tests:
  - { caller: thor, callee: sif, from: 192.168.1.20, expect: allow }
  - { caller: loki, callee: sif, from: 192.168.1.20, expect: deny }
  - { caller: thor, callee: sif, from: 1.2.3.4, expect: allow }
  - { caller: thor, callee: odin, from: 192.168.1.20, expect: deny }
YAML

run talkctl acl test pol.yaml
is "$rc" 1 "a failing case: exit 1"
is "$(printf '%s\n' "$out" | tail -1)" "3 passed, 1 failed" "the counts"
is "$(printf '%s\n' "$out" | grep -c '^PASS ')" 3 "three PASS lines"
like "$out" "PASS tests[0] pol.yaml:11: caller thor -> callee sif from 192.168.1.20: allow (site-allow" \
    "a PASS line"
like "$out" "PASS tests[1] pol.yaml:12: caller loki -> callee sif from 192.168.1.20: deny (user-deny by pol.yaml:9:" \
    "a user deny names the user rule"
like "$out" "FAIL tests[2] pol.yaml:13: caller thor -> callee sif from 1.2.3.4: expected allow, got deny (site-deny by pol.yaml:5:" \
    "the FAIL line: expected, got, reason and rule"
like "$out" "[default-deny])" "the FAIL line names the rule id"

# Fix the expectation: everything passes.
sed -i 's/from: 1.2.3.4, expect: allow/from: 1.2.3.4, expect: deny/' pol.yaml
run talkctl acl test pol.yaml
is "$rc" 0 "all cases pass: exit 0"
is "$(printf '%s\n' "$out" | tail -1)" "4 passed, 0 failed" "the counts again"

# From the compiled cache (the default operand).
run talkctl acl compile pol.yaml
run talkctl acl test
is "$rc" 0 "the tests travel in the cache"
is "$(printf '%s\n' "$out" | tail -1)" "4 passed, 0 failed" "all four"

printf 'version: 1\nsite: [\n' >broken.yaml
run talkctl acl test broken.yaml
is "$rc" 2 "a policy that does not parse is an error"
run talkctl acl test missing.yaml
is "$rc" 2 "a missing policy is an error"
run talkctl acl test pol.yaml extra
is "$rc" 2 "too many operands"

# A policy without tests, named with a terminal escape: escaped.
esc_name="$(printf 'p\033]0;x\007.acl')"
printf 'allow .* any\n' >"$esc_name"
run talkctl acl test "$esc_name"
is "$(printf '%s\n' "$out" | head -1)" 'no tests in p\x1b]0;x\x07.acl' \
    "no tests: the file name is escaped"
unlike "$out" "$(printf '\033')" "no raw escape byte reaches the terminal"

done_testing
