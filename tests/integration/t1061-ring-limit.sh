#!/bin/bash
# Rings to one callee are rate-limited (SPEC.md 2): a burst of ANNOUNCEs
# from many "callers" rings the callee's real pty --ring-limit times; the
# rest are answered SUCCESS (a real client re-announces in 30 s) without a
# ring and journaled announce.limited.  Another callee still rings.
. "$(dirname "$0")/lib.sh"
need_root
plan 7
ensure_user talkit1 && ensure_user talkit2 || { echo "Bail out! cannot create test users"; exit 1; }
: >"$T/utmp"
hold_tty ONE talkit1
hold_tty TWO talkit2
start_daemon --user nobody --ring-limit 3 || exit 1

answers=""
for i in $(seq 1 20); do
	answers="$answers $(send announce "c$i" talkit1 pid=$((100 + i)) | field answer)"
done
is "20 ANNOUNCEs to one callee: all answered SUCCESS" \
    "$(echo $answers | tr ' ' '\n' | sort -u)" SUCCESS
ok "the first rings reach the tty" wait_count "$ONE_out" "connection requested" 3
sleep 0.3
is "only --ring-limit (3) rings reach the tty" \
    "$(grep -ao 'connection requested' "$ONE_out" | wc -l)" 3
ok "the others are journaled announce.limited" \
    wait_count "$T/journal" '"event":"announce.limited"' 17
is "with their own reason" \
    "$(grep '"event":"announce.limited"' "$T/journal" | grep -c '"reason":"ring rate"')" 17
r=$(send announce c1 talkit2 pid=500)
is "another callee still rings" "$(echo "$r" | field answer)" SUCCESS
ok "and its tty gets the banner" wait_for "$TWO_out" "connection requested by c1@"
finish
