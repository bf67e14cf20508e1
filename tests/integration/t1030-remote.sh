#!/bin/bash
# A remote host, for real: two private network namespaces joined by a veth
# pair (10.218.0.1 runs talkd, 10.218.0.2 is the remote caller).
# LEAVE_INVITE is refused from a non-local sender (invitation planting),
# while ANNOUNCE and LOOK_UP from it are served, and the reply comes from
# the daemon address the request was sent to.
. "$(dirname "$0")/lib.sh"
need_root
command -v ip >/dev/null || skip_all "no ip(8)"
NS1=talkd-it-a-$$ NS2=talkd-it-b-$$
ip netns add $NS1 2>/dev/null && ip netns add $NS2 2>/dev/null || skip_all "cannot create network namespaces"
_ns_cleanup() { ip netns pids $NS1 2>/dev/null | xargs -r kill 2>/dev/null; sleep 0.1; ip netns del $NS1 2>/dev/null; ip netns del $NS2 2>/dev/null; }
trap '_ns_cleanup; _cleanup' EXIT
plan 6
ip link add veth-$$a type veth peer name veth-$$b
ip link set veth-$$a netns $NS1
ip link set veth-$$b netns $NS2
ip -n $NS1 addr add 10.218.0.1/24 dev veth-$$a
ip -n $NS2 addr add 10.218.0.2/24 dev veth-$$b
for n in $NS1 $NS2; do ip -n $n link set lo up; done
ip -n $NS1 link set veth-$$a up
ip -n $NS2 link set veth-$$b up

ip netns exec $NS1 "$B/talkd" --foreground --listen 0.0.0.0:518 --journal "$T/journal" \
    --utmp "$T/utmp" --user nobody --no-dns 2>"$T/daemon.log" &
for i in $(seq 1 50); do
	ip netns exec $NS2 "$NTALK" -w 100 10.218.0.1:518 lookup p p >/dev/null 2>&1 && break
done
r=$(ip netns exec $NS2 "$NTALK" 10.218.0.1:518 invite mallory sif addr=10.218.0.2:4444)
is "LEAVE_INVITE from a remote host: FAILED" "$(echo "$r" | field answer)" FAILED
r=$(ip netns exec $NS1 "$NTALK" 127.0.0.1:518 lookup mallory sif)
is "and nothing was stored" "$(echo "$r" | field answer)" NOT_HERE
r=$(ip netns exec $NS1 "$NTALK" -s 10.218.0.1 10.218.0.1:518 invite sif thor addr=10.218.0.1:5555)
is "LEAVE_INVITE from the host's own interface address: SUCCESS" "$(echo "$r" | field answer)" SUCCESS
r=$(ip netns exec $NS2 "$NTALK" 10.218.0.1:518 lookup thor sif)
is "LOOK_UP from the remote host finds it, with its addr" "$(echo "$r" | field addr)" 2:10.218.0.1:5555
r=$(ip netns exec $NS2 "$NTALK" 10.218.0.1:518 announce thor nosuchuser)
is "ANNOUNCE from the remote host is served" "$(echo "$r" | field answer)" NOT_HERE
grep -q '"event":"invite.refused".*"src":"10.218.0.2:.*"reason":"not a local sender"' "$T/journal"
_result $? "the refusal is journaled with the source"
finish
