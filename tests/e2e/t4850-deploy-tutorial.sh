#!/bin/bash
# The README's tutorial (seed 000's private chat on an installed system),
# its very commands: make install, then the blocks marked
# <!-- tutorial:root -->, <!-- tutorial:users -->, <!-- tutorial:root-after -->
# and <!-- tutorial:sif --> in README.md, in that order, with thor and sif
# played by two test users.  Only `service xinetd restart` becomes
# `xinetd -dontfork` (no init system here).  Users run their commands in
# login shells (su -) and in tmux panes with the real talk clients.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/deploy-lib.sh
. "$(dirname "$0")/deploy-lib.sh"
command -v xinetd >/dev/null || e2e_missing "no xinetd (make deps-test)"
deploy_enter "$@"

# block NAME: the lines of the fenced block after <!-- tutorial:NAME -->,
# with thor and sif replaced by the test users.
block() {
	awk -v m="<!-- tutorial:$1 -->" '
		$0 == m { f = 1; next }
		f == 1 && /^```/ { f = 2; next }
		f == 2 && /^```/ { exit }
		f == 2 { print }' "$DEPLOY_SRC/README.md" |
		sed -e "s/\\bthor\\b/$A/g" -e "s/\\bsif\\b/$B/g"
}
mapfile -t ROOT < <(block root)
mapfile -t USERS < <(block users)
mapfile -t AFTER < <(block root-after)
mapfile -t SIF < <(block sif)
[ ${#ROOT[@]} -gt 0 ] && [ ${#USERS[@]} = 2 ] && [ ${#SIF[@]} -gt 0 ] ||
	{ echo "Bail out! no tutorial blocks in README.md"; exit 1; }
e2e_plan $((1 + ${#ROOT[@]} + 5 + ${#AFTER[@]} + ${#SIF[@]} + 1))

# as_root LINE: one of the admin's lines.
as_root() {
	if [ "$1" = "service xinetd restart" ]; then
		deploy_bg xinetd -dontfork -f /etc/xinetd.conf
		e2e_wait 10 deploy_listening 518
	else
		bash -c "$1" 2>&1 | e2e_diag
		return "${PIPESTATUS[0]}"
	fi
}

e2e_case "the admin installs and sets up xinetd"
e2e_check "make install" deploy_make install
for l in "${ROOT[@]}"; do
	e2e_check "# $l" as_root "$l"
done

e2e_case "the users talk"
call=${USERS[0]#*\$ } answer=${USERS[1]#*\$ }
answer=${answer#"${answer%%[![:space:]]*}"}
e2e_check "$A and $B are logged in" e2e_sessions "$A" "$B"
e2e_check "$A\$ $call" e2e_type "$A" 0 "$call"
e2e_check "$B's terminal shows the banner" e2e_banner_for "$B" 0 "$A"
host=$(e2e_respond "$B" 0 "$A")
e2e_check "$B\$ ${answer/@HOST/@${host#*@}}" e2e_type "$B" 0 "${answer/@HOST/@${host#*@}}"
e2e_check "both show [Connection established]" \
	eval 'e2e_see "$A" 0 "[Connection established]" && e2e_see "$B" 0 "[Connection established]"'
e2e_keys "$A" 0 C-c
e2e_keys "$B" 0 C-c

e2e_case "root reads the journal"
for l in "${AFTER[@]}"; do
	e2e_check "# $l" as_root "$l"
done

e2e_case "$B's own commands, in a login shell"
out=
for l in "${SIF[@]}"; do
	e2e_check "$B\$ $l" eval 'out=$(deploy_su "$B" "$l"); rc=$?; e2e_diag <<<"$out"; [ $rc = 0 ]'
done
e2e_check "who-called shows $A's call" grep -q "$A" <<<"$out"
rm -f "$(getent passwd "$B" | cut -d: -f6)/.talkrc"	# homes are not overlaid
