#!/bin/bash
# ANNOUNCE against real ptys registered in a real utmp file: the banner
# reaches the most recently used group-writable tty, escaped; mesg n gives
# PERMISSION_DENIED; r_tty must be the user's; duplicates do not re-ring;
# a stopped tty does not stall anyone else.
. "$(dirname "$0")/lib.sh"
need_root
plan 21
ensure_user talkit1 && ensure_user talkit2 || { echo "Bail out! cannot create test users"; exit 1; }
: >"$T/utmp"
hold_tty OLD talkit1 -a 600
hold_tty NEW talkit1
hold_tty NOMESG talkit2 -m 600
# --ring-limit: the stopped-tty check below rings one callee 60 times.
start_daemon --user nobody --ring-limit 100 || exit 1

r=$(send announce thor talkit1 pid=100 id=0xffffffff)
is "ANNOUNCE to a logged-in user: SUCCESS" "$(echo "$r" | field answer)" SUCCESS
id1=$(echo "$r" | field id)
ok "the banner reaches the most recently used tty ($NEW)" wait_for "$NEW_out" "connection requested by thor@"
not_ok "the older tty ($OLD) is not rung" wait_for "$OLD_out" "thor" 1
banner=$(cat "$NEW_out")
like "banner starts with BEL CR LF" "$(head -c 3 "$NEW_out" | od -An -tx1 | tr -d ' ')" '^070d0a$'
like "banner names this daemon" "$banner" "Message from Talk_Daemon@$(hostname) at [0-9]+:[0-9][0-9] \.\.\."
like "banner says how to respond" "$banner" "talk: respond with:  talk thor@(localhost|127\.0\.0\.1)"
widths=$(tr -d '\a' <"$NEW_out" | awk -v RS='\r\n' 'NF || length { print length }' | sort -u | wc -l)
is "banner lines padded to one width" "$widths" 1

r=$(send announce thor talkit1 pid=100 id=0)
is "retransmitted ANNOUNCE (id not greater): SUCCESS, same id" "$(echo "$r" | field id)" "$id1"
sleep 0.3
is "retransmission does not ring again" "$(grep -c 'connection requested' "$NEW_out")" 1
r=$(send announce thor talkit1 pid=100 id=$((id1 + 1)))
id2=$(echo "$r" | field id)
ok "re-announce (id+1) rings again" wait_count "$NEW_out" "connection requested" 2
sleep 0.3
is "exactly two rings on the tty" "$(grep -ao 'connection requested' "$NEW_out" | wc -l)" 2
[ "$id2" -gt "$id1" ]; _result $? "re-announce gets a new, larger id ($id1 -> $id2)"

r=$(send announce thor talkit2)
is "all sessions mesg n: PERMISSION_DENIED" "$(echo "$r" | field answer)" PERMISSION_DENIED
r=$(send announce thor talkit1 tty="$OLD" pid=200)
is "explicit r_tty that is the user's: SUCCESS" "$(echo "$r" | field answer)" SUCCESS
ok "and the banner goes to that tty" wait_for "$OLD_out" "connection requested by thor@"
r=$(send announce thor talkit1 tty="$NOMESG" pid=201)
is "explicit r_tty of another user: NOT_HERE" "$(echo "$r" | field answer)" NOT_HERE
r=$(send announce thor talkit1 tty=../../etc/passwd pid=202)
is "path tricks in r_tty: NOT_HERE" "$(echo "$r" | field answer)" NOT_HERE

# A stopped tty (Ctrl-S): ring it until its buffer is full, then another
# user's ring must still be immediate.
hold_tty STOPPED talkit2 -s
hold_tty FREE talkit1
failed=0
for i in $(seq 1 60); do
	a=$(send announce "c$i" talkit2 tty="$STOPPED" pid=$((300 + i)) | field answer)
	[ "$a" = FAILED ] && failed=$((failed + 1))
done
[ $failed -gt 0 ]; _result $? "the stopped tty fills up: later rings to it fail instead of blocking ($failed of 60)"
start=$(date +%s%N)
r=$(send announce other talkit1 tty="$FREE" pid=999)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "ring to a free tty while a stopped tty is full: SUCCESS" "$(echo "$r" | field answer)" SUCCESS
[ $ms -lt 1500 ]; _result $? "answered without waiting for the stopped tty (${ms} ms)"
grep -q '"event":"announce.rung".*"tty":"'"$NEW"'"' "$T/journal"; _result $? "journal has announce.rung with the tty"
finish
