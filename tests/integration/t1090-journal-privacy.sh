#!/bin/bash
# Recording less (talkd(8), PRIVACY), with the real daemon and its real
# journal: every record names its node; --record-address net and none;
# --record-names keyed (the plain names nowhere in the journal or the -d
# log, equal names equal, the same hash as HMAC-SHA256 computed by
# openssl, who-called k:HEX after ingest); the key file's checks;
# --record-success no (calls that went through left out, denials,
# refusals and malformed packets kept); talkd -T shows the settings.
. "$(dirname "$0")/lib-db.sh"
need_root
plan 28
: >"$T/utmp"
J=$T/journal
node=$(hostname)
# Names no other record of this test carries.
C=thorpriv E=sifpriv

# calls: a miss, an invitation, a refused announce, a hit, a delete and a
# malformed packet, from SRC.
calls() {
	local id
	send_from "$1" lookup $C $E >/dev/null
	id=$(send_from "$1" invite $C $E pid=7 | field id)
	send_from "$1" announce $C $E pid=7 >/dev/null
	send_from "$1" lookup $E $C >/dev/null
	send_from "$1" delete $C $E id="$id" >/dev/null
	"$NTALK" -s "$1" -w 200 127.0.0.1:$PORT raw 0102 >/dev/null 2>&1
	wait_for "$J" '"packet.malformed"'
	# A LOOK_UP whose ctl_addr (127.0.0.9) is not its source: -d says so.
	"$NTALK" -s "$1" -w 200 127.0.0.1:$PORT raw "$(pkt 1 1 0 2 2 $C $E)" >/dev/null 2>&1
}
run_daemon() {	# run_daemon OPTIONS...: a fresh journal and log
	rm -f "$J" "$T/daemon.log"
	start_daemon --user nobody --state-dir "$T" -d "$@" || exit 1
}

# --- node, and the full address by default
run_daemon
calls 127.0.0.5
stop_daemon
is "every record names its node right after ts" \
    "$(grep -vc "^{\"v\":1,\"run\":\"[0-9a-f]*\",\"seq\":[0-9]*,\"ts\":\"[^\"]*\",\"node\":\"$node\",\"event\":" "$J")" 0
ok "by default src is the address and port" grep -q '"src":"127.0.0.5:[0-9]*"' "$J"
ok "and -d says where ctl_addr and the source differ" grep -q 'ctl_addr 127.0.0.9:9 differs from source 127.0.0.5' "$T/daemon.log"

# --- --record-address net
run_daemon --record-address net
calls 127.0.0.5
stop_daemon
ok "net: src is the /24" grep -q '"event":"invite.left".*"src":"127.0.0.0/24"' "$J"
is "net: no record has an address or a port" "$(grep -c '"src":"[0-9.]*:' "$J")" 0
not_ok "net: the address is nowhere in the journal" grep -q '127\.0\.0\.5' "$J"
not_ok "net: nor in the -d log" grep -qE '127\.0\.0\.[59]' "$T/daemon.log"

# --- --record-address none
run_daemon --record-address none
calls 127.0.0.5
stop_daemon
is "none: no record has a src" "$(grep -c '"src"' "$J")" 0
ok "none: the records are still there" grep -q '"event":"invite.deleted"' "$J"
not_ok "none: the addresses are not in the -d log" grep -qE '127\.0\.0\.[59]' "$T/daemon.log"

# --- the key file
K=$T/name.key
head -c 32 /dev/urandom >"$K"
chmod 0640 "$K"
out=$("$B/talkd" --foreground --listen 127.0.0.1:1 --journal "$T/jk" --state-dir "$T" --user nobody \
    --record-names keyed --name-key "$K" 2>&1); s=$?
like "a group-readable key: refuses to start, says why" "$s $out" "^1 .*name-key $K: mode 0640 lets group or others at the key"
chmod 0600 "$K"
ln -sf "$K" "$T/link.key"
out=$("$B/talkd" --keyed-name x --name-key "$T/link.key" 2>&1); s=$?
like "a key through a symbolic link: refused" "$s $out" "^1 .*name-key $T/link.key"
head -c 8 /dev/urandom >"$T/short.key"; chmod 0600 "$T/short.key"
out=$("$B/talkd" --keyed-name x --name-key "$T/short.key" 2>&1); s=$?
like "a key of 8 bytes: refused" "$s $out" "^1 .*8 bytes; a key is 16 to"
out=$("$B/talkd" --record-names keyed 2>&1); s=$?
like "keyed without a key: a usage error" "$s $out" "^2 .*need --name-key"

# --- --record-names keyed
kc=$("$B/talkd" --keyed-name $C --name-key "$K")
ke=$("$B/talkd" --keyed-name $E --name-key "$K")
want=k:$(printf %s $C | openssl dgst -sha256 -mac HMAC -macopt hexkey:"$(od -An -v -tx1 "$K" | tr -d ' \n')" | sed 's/.*= *//')
is "--keyed-name is HMAC-SHA256(key, name) in hex" "$kc" "$want"
run_daemon --record-names keyed --name-key "$K"
calls 127.0.0.5
stop_daemon
not_ok "keyed: the plain names are nowhere in the journal" grep -qE "$C|$E" "$J"
not_ok "keyed: nor in the -d log" grep -qE "$C|$E" "$T/daemon.log"
ok "keyed: the -d log shows the keyed names" grep -q "$kc" "$T/daemon.log"
is "keyed: caller and callee as k:HEX, equal names equal" \
    "$(grep '"event":"invite.left"' "$J" | sed 's/.*"caller":"\([^"]*\)","callee":"\([^"]*\)".*/\1 \2/')" "$kc $ke"
is "keyed: the LOOK_UP by the callee names the same two" \
    "$(grep '"event":"lookup.hit"' "$J" | sed 's/.*"caller":"\([^"]*\)","callee":"\([^"]*\)".*/\1 \2/')" "$ke $kc"
"$TALKCTL" ingest --journal "$J" --db "$T/k.db" >/dev/null 2>&1
out=$("$TALKCTL" who-called "$ke" --json --db "$T/k.db" --journal "$T/none" 2>&1)
like "keyed: ingest and who-called k:HEX find the call" "$out" "\"caller\":\"$kc\""

# --- --record-success no, with a denial
cat >"$T/policy.yaml" <<YAML
version: 1
site:
  - { id: blocked, action: deny, users: [$E], from: [127.0.0.9/32] }
YAML
"$TALKCTL" acl compile -o "$T/acl.cache" "$T/policy.yaml" >/dev/null
run_daemon --record-success no --acl-cache "$T/acl.cache"
calls 127.0.0.5
send_from 127.0.0.9 announce $C $E >/dev/null
wait_for "$J" '"request.denied"'
stop_daemon
ev() { grep -c "\"event\":\"$1\"" "$J"; }
is "success no: calls that went through are left out" \
    "$(ev invite.left) $(ev lookup.hit) $(ev lookup.miss) $(ev invite.deleted)" "0 0 0 0"
is "success no: the refused announce, the denial, the malformed packet stay" \
    "$(ev announce.refused) $(ev request.denied) $(ev packet.malformed)" "1 1 1"
is "success no: the daemon's own records stay" "$(ev daemon.start) $(ev daemon.stop)" "1 1"
not_ok "success no: the -d log has no 'talks to' line" grep -q "talks to" "$T/daemon.log"
"$TALKCTL" ingest --journal "$J" --db "$T/s.db" >/dev/null 2>&1
out=$("$TALKCTL" who-called $E --db "$T/s.db" --journal "$T/none" 2>&1)
like "success no: who-called still shows the refusals" "$out" "denied"

# --- talkd -T
out=$("$B/talkd" -T --state-dir "$T" --record-address net --record-names keyed --name-key "$K" \
    --record-success no --journal-syslog 2>/dev/null)
like "-T shows the settings" "$(echo "$out" | grep -E '^(record-|name-key|journal-syslog)' | paste -sd' ')" \
    "^record-address net record-names keyed name-key $K record-success no journal-syslog yes$"
out=$("$B/talkd" -T --state-dir "$T" 2>/dev/null)
like "-T defaults" "$(echo "$out" | grep -E '^(record-|name-key|journal-syslog)' | paste -sd' ')" \
    "^record-address full record-names plain name-key none record-success yes journal-syslog no$"
finish
