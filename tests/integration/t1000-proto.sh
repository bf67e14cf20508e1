#!/bin/bash
# Raw request bytes in, reply bytes out, for every request type and every
# error answer; replies go to the packet source even when ctl_addr lies.
. "$(dirname "$0")/lib.sh"
plan 21
start_daemon --user nobody || exit 1
Z32=00000000000000000000000000000000

r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 0 0 2 2 thor sif)" | field hex)
is "LEAVE_INVITE: SUCCESS, id 1, zeroed addr" "$r" "0100000000000001$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 0 0 2 2 thor sif)" | field hex)
is "LEAVE_INVITE again: the same id (idempotent)" "$r" "0100000000000001$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 1 0 2 2 sif thor)" | field hex)
is "LOOK_UP: SUCCESS with the stored addr unchanged" "$r" "0101000000000001"00020fa07f0000010000000000000000
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 1 0 2 2 thor sif)" | field hex)
is "LOOK_UP the other way round: NOT_HERE" "$r" "0101010000000000$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 3 0 2 2 thor nosuchuser)" | field hex)
is "ANNOUNCE to an unknown user: NOT_HERE" "$r" "0103010000000000$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 3 0 2 2 thor root)" | field hex)
is "ANNOUNCE to a user with no session: NOT_HERE" "$r" "0103010000000000$Z32"
r=$("$NTALK" -s 127.0.0.2 127.0.0.1:$PORT raw "$(pkt 1 2 1 2 2 x y)" | field hex)
is "DELETE from another address: NOT_HERE (cannot delete others' entries)" "$r" "0102010000000000$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 2 1 2 2 x y)" | field hex)
is "DELETE by the creator: SUCCESS" "$r" "0102000000000001$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 2 1 2 2 x y)" | field hex)
is "DELETE again: NOT_HERE" "$r" "0102010000000000$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 2 3 0 2 2 a b)" | field hex)
is "version 2: BADVERSION with the request type" "$r" "0103060000000000$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 9 0 2 2 a b)" | field hex)
is "type 9: UNKNOWN_REQUEST" "$r" "0109050000000000$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 3 0 2 10 a b)" | field hex)
is "ctl_addr family 10: BADCTLADDR" "$r" "0103080000000000$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 1 0 10 2 a b)" | field hex)
is "LOOK_UP addr family 10: BADADDR" "$r" "0101070000000000$Z32"
r=$("$NTALK" 127.0.0.1:$PORT raw "$(pkt 1 2 7 10 2 a b)" | field hex)
is "DELETE ignores the addr family" "$r" "0102010000000000$Z32"
r=$("$NTALK" 127.0.0.1:$PORT announce 'ev\x1b[2Jil' root | field answer)
is "control byte in l_name: FAILED" "$r" FAILED
r=$("$NTALK" 127.0.0.1:$PORT lookup '+AUTO' someone | field answer)
is "printable punctuation (+AUTO) accepted" "$r" NOT_HERE
r=$("$NTALK" -w 300 127.0.0.1:$PORT raw "$(pkt 1 1 0 2 2 a b)00")
is "85 bytes: dropped, no reply" "$r" timeout
r=$("$NTALK" -w 300 127.0.0.1:$PORT raw "$(pkt 1 1 0 2 2 a b | cut -c1-166)")
is "83 bytes: dropped, no reply" "$r" timeout
r=$("$NTALK" -s 127.0.0.3 127.0.0.1:$PORT invite thor sif | field answer)
is "LEAVE_INVITE from 127.0.0.3 (loopback is local): SUCCESS" "$r" SUCCESS

# A malformed flood, then a valid request that is still answered.
"$NTALK" -w 0 -n 2000 127.0.0.1:$PORT raw 0102030405
"$NTALK" -w 0 -n 2000 127.0.0.1:$PORT raw "$(pkt 7 1 0 2 2 a b)" >/dev/null
# The flood overflows the socket's queue, and on a busy machine the next
# datagram may meet a still-full queue and be dropped by the kernel (the
# old daemon too): retransmit as talk clients do.
for i in 1 2 3; do
	r=$("$NTALK" -w 2000 127.0.0.1:$PORT lookup sif thor | field answer)
	[ -n "$r" ] && break
done
is "valid request after a 4000-packet malformed flood is answered" "$r" SUCCESS
n=$(grep -c '"event":"packet.malformed"' "$T/journal")
like "the flood is journaled rate-limited ($n records for 4000 packets)" "$n" '^([2-9]|1[0-9])$'
finish
