#!/bin/bash
# Records that leave their host with existing tools: two "hosts" (each a
# network, mount and UTS namespace: its own host name, its own /dev/log)
# run a talkd --journal-syslog and their own Debian rsyslogd, which
# forwards over TCP (omfwd) to a collector namespace's rsyslogd (imtcp)
# writing one file; talkctl ingest --from reads that file; who-called
# shows both hosts' calls under their node names, and the collector holds
# exactly the two journals' records.  Addresses only inside the test's
# namespaces; every wait is bounded; the namespaces go on exit.
. "$(dirname "$0")/lib-db.sh"
need_root
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || skip_all "rsyslogd not installed (apt-get install rsyslog)"
command -v ip >/dev/null || skip_all "ip not installed (iproute2)"
command -v unshare >/dev/null || skip_all "unshare not installed (util-linux)"
NA=tpa$$ NB=tpb$$ NC=tpc$$
ip netns add $NC 2>/dev/null || skip_all "cannot create network namespaces"
ip netns add $NA && ip netns add $NB || { ip netns del $NC; echo "Bail out! ip netns add"; exit 1; }
_netns_cleanup() {
	_cleanup_pids
	ip netns del $NA 2>/dev/null; ip netns del $NB 2>/dev/null; ip netns del $NC 2>/dev/null
	rm -rf "$T"
}
_cleanup_pids() {
	local p
	for p in $_pids $(cat "$T"/*/*.pid 2>/dev/null); do kill "$p" 2>/dev/null; done
	for p in $_pids; do wait "$p" 2>/dev/null; done
}
trap _netns_cleanup EXIT
plan 10

# One veth pair from each host to the collector; 10.231.1.0/24 and
# 10.231.2.0/24 exist only in these namespaces.
ip link add ta$$ netns $NA type veth peer name tca$$ netns $NC &&
ip link add tb$$ netns $NB type veth peer name tcb$$ netns $NC &&
ip -n $NA addr add 10.231.1.1/24 dev ta$$ && ip -n $NC addr add 10.231.1.2/24 dev tca$$ &&
ip -n $NB addr add 10.231.2.1/24 dev tb$$ && ip -n $NC addr add 10.231.2.2/24 dev tcb$$ &&
for n in $NA $NB $NC; do ip -n $n link set lo up || exit 1; done &&
ip -n $NA link set ta$$ up && ip -n $NB link set tb$$ up &&
ip -n $NC link set tca$$ up && ip -n $NC link set tcb$$ up
ok "three namespaces linked" test $? -eq 0

# The collector: rsyslogd receiving TCP, one file for talkd's messages.
C=$T/coll
mkdir -p "$C/rs"
cat >"$C/rsyslog.conf" <<CONF
global(workDirectory="$C/rs")
module(load="imtcp")
input(type="imtcp" port="10514")
# talkd's own messages go to syslog too: only the records to the file.
if \$programname == 'talkd' and \$msg contains '@cee:' then {
	action(type="omfile" file="$C/talkd.log" template="RSYSLOG_FileFormat")
}
if \$programname == 'talkd' and not (\$msg contains '@cee:') then {
	action(type="omfile" file="$C/messages" template="RSYSLOG_FileFormat")
}
CONF
ip netns exec $NC "$RSYSLOGD" -n -f "$C/rsyslog.conf" -i "$C/rs/pid" >"$C/out" 2>&1 &
_pids="$_pids $!"
for i in $(seq 1 50); do
	ip netns exec $NC ss -Hltn 'sport = :10514' 2>/dev/null | grep -q . && break
	sleep 0.1
done
ok "the collector listens on TCP 10514" eval "ip netns exec $NC ss -Hltn 'sport = :10514' | grep -q ."

# A host: its own name, a private /dev with its rsyslogd's /dev/log
# (syslog(3) writes there), forwarding to the collector; then talkd.
cat >"$T/host.sh" <<'HOST'
name=$1 D=$2 coll=$3 port=$4 RSYSLOGD=$5 TALKD=$6
set -e
hostname "$name"
mkdir -p "$D/olddev" "$D/rs"
mount --rbind /dev "$D/olddev"
mount -t tmpfs -o mode=0755 tmpfs /dev
for e in null zero full random urandom; do
	: >"/dev/$e"; mount --bind "$D/olddev/$e" "/dev/$e"
done
ln -s /proc/self/fd /dev/fd
cat >"$D/rsyslog.conf" <<CONF
global(workDirectory="$D/rs")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="/dev/log")
if \$programname == 'talkd' then {
	action(type="omfwd" target="$coll" port="10514" protocol="tcp"
	    queue.type="LinkedList" action.resumeRetryCount="-1"
	    action.resumeInterval="1")
}
CONF
"$RSYSLOGD" -n -f "$D/rsyslog.conf" -i "$D/rs/pid" >"$D/rsyslog.out" 2>&1 &
echo $! >"$D/rsyslogd.pid"
for i in $(seq 1 50); do [ -S /dev/log ] && break; sleep 0.1; done
: >"$D/utmp"
# Not --foreground: its messages go to syslog as well, beside the records.
"$TALKD" --listen 127.0.0.1:$port --journal "$D/journal" -l \
    --utmp "$D/utmp" --state-dir "$D" --user nobody --journal-syslog \
    >"$D/daemon.log" 2>&1 &
echo $! >"$D/talkd.pid"
wait
HOST
PORT=5518
host() {	# host NETNS NAME DIR COLLECTOR
	mkdir -p "$3"
	ip netns exec $1 unshare -m -u bash "$T/host.sh" $2 "$3" $4 $PORT "$RSYSLOGD" "$B/talkd" >"$3/host.out" 2>&1 &
	_pids="$_pids $!"
}
up() {		# up NETNS: until its talkd answers (5 s)
	local i
	for i in $(seq 1 50); do
		ip netns exec $1 "$NTALK" -w 100 127.0.0.1:$PORT lookup probe probe >/dev/null 2>&1 && return 0
	done
	return 1
}
host $NA alpha "$T/a" 10.231.1.2
host $NB beta "$T/b" 10.231.2.2
ok "talkd answers on both hosts" eval "up $NA && up $NB"

# A call on each host to sif: thor on alpha, odin on beta.
on() { local n=$1; shift; ip netns exec $n "$NTALK" 127.0.0.1:$PORT "$@" >/dev/null; }
on $NA lookup thor sif; on $NA invite thor sif pid=1; on $NA announce thor sif pid=1
on $NB lookup odin sif; on $NB invite odin sif pid=2; on $NB announce odin sif pid=2
kill "$(cat "$T/a/talkd.pid")" "$(cat "$T/b/talkd.pid")"
ok "both daemons stopped" eval 'wait_for "$T/a/journal" daemon.stop && wait_for "$T/b/journal" daemon.stop'
n=$(cat "$T/a/journal" "$T/b/journal" | wc -l)
wait_count "$C/talkd.log" '@cee: ' "$n" 15
is "the collector received every record of both hosts" "$(grep -c '@cee: ' "$C/talkd.log")" "$n"
sed -n 1p "$C/talkd.log" | diag
ok "the daemons' own messages came too, to their own file" grep -q ' alpha talkd\[[0-9]*\]: started' "$C/messages"

out=$("$TALKCTL" ingest --from "$C/talkd.log" --db "$T/coll.db" 2>&1)
like "ingest --from: every record, none rejected" "$out" "^ingest: $n new records, 0 already stored, 0 rejected"
"$TALKCTL" who-called sif --json --db "$T/coll.db" --journal "$T/none" >"$T/who.json"
is "who-called: both hosts' calls, each under its node" \
    "$(python3 -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
print(sorted((r["host"], r["caller"], r["outcome"]) for r in rows))' "$T/who.json")" \
    "[('alpha', 'thor', 'refused'), ('beta', 'odin', 'refused')]"
is "the collector holds exactly the two journals' records" \
    "$("$TALKCTL" audit --json --db "$T/coll.db" --journal "$T/none" | sort)" \
    "$(cat "$T/a/journal" "$T/b/journal" | sort)"
na=$(wc -l <"$T/a/journal")
out=$("$TALKCTL" ingest --journal "$T/a/journal" --db "$T/coll.db" 2>&1)
like "alpha's journal read directly too: stored once, on (node, run, seq)" "$out" "^ingest: 0 new records, $na already stored"
finish
