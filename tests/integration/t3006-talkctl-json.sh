#!/bin/bash
# --json output of talkctl (simulate, who-called, audit) is strict UTF-8
# JSON with no raw U+2028, U+2029 or bidi controls and no lone surrogates,
# whatever a hand-edited journal or the command line holds (talkctl(8)).
. "$(dirname "$0")/lib-db.sh"
plan 13
export TALKD_ACL_CACHE=$T/no.cache
: >"$T/passwd"

# check FILE...: prints what is wrong with each, nothing when all is well.
cat >"$T/check.py" <<'PY'
import json, sys
for f in sys.argv[1:]:
    try:
        s = open(f, 'rb').read().decode('utf-8')	# strict: no surrogates
    except UnicodeDecodeError as e:
        print(f, 'not UTF-8:', e)
        continue
    for c in '\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c':
        if c in s:
            print(f, 'raw U+%04X' % ord(c))
    def walk(v):
        if isinstance(v, str):
            if any(0xd800 <= ord(c) <= 0xdfff for c in v):
                print(f, 'lone surrogate in', ascii(v))
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    for line in s.splitlines():
        walk(json.loads(line))
PY
check() { python3 "$T/check.py" "$@" 2>&1; }
field() { python3 -c 'import json, sys; print(ascii([json.loads(l)[sys.argv[2]] for l in open(sys.argv[1])]))' "$@"; }

# simulate: the names come from the command line.
"$TALKCTL" simulate "$(printf 'u\342\200\250v\342\200\256w\355\240\200x\377y')" \
    127.0.0.1 --caller "$(printf '\342\200\256c\377')" --passwd "$T/passwd" \
    --json >"$T/sim.json" 2>/dev/null
is "simulate --json: exit 0 (allowed by the built-in default)" "$?" 0
is "simulate --json: strict UTF-8 JSON, nothing raw" "$(check "$T/sim.json")" ""
is "simulate --json: the callee, escaped" "$(field "$T/sim.json" callee)" \
    "['u\\u2028v\\u202ew\\ufffd\\ufffd\\ufffdx\\ufffdy']"
is "simulate --json: the caller, escaped" "$(field "$T/sim.json" caller)" \
    "['\\u202ec\\ufffd']"
like "simulate --json: U+202E written as \\u202e" "$(cat "$T/sim.json")" '"caller":"\\u202ec\\ufffd"'

# A hand-edited journal: escapes (a lone \ud800 too) and raw bytes.
J=$T/journal D=$T/d.db
printf '%s\n' '{"v":1,"run":"00000000000000f3","seq":1,"ts":"2026-11-23T06:39:00Z","event":"announce.refused","caller":"a\u2028b\u202ec\ud800d","callee":"sif","src":"127.0.0.1:1","answer":"NOT_HERE"}' >"$J"
printf '{"v":1,"run":"00000000000000f3","seq":2,"ts":"2026-11-23T06:39:01Z","event":"announce.refused","caller":"e\342\200\250f\342\200\256g\355\240\200h\377i","callee":"sif","src":"127.0.0.1:1","answer":"NOT_HERE"}\n' >>"$J"
"$TALKCTL" who-called sif --json --db "$D" --journal "$J" >"$T/who.json" 2>"$T/who.err"
is "who-called --json: exit 0" "$?" 0
# Ingest refuses the record with a lone surrogate, and says where.
like "the record with a lone \\ud800 is refused, with its line" "$(cat "$T/who.err")" 'journal:1: '

is "who-called --json: strict UTF-8 JSON, nothing raw" "$(check "$T/who.json")" ""
is "who-called --json: the caller, escaped" "$(field "$T/who.json" caller)" \
    "['e\\u2028f\\u202eg\\ufffd\\ufffd\\ufffdh\\ufffdi']"
"$TALKCTL" audit --json --db "$D" --journal "$J" >"$T/audit.json"
is "audit --json: exit 0" "$?" 0
is "audit --json: strict UTF-8 JSON, nothing raw" "$(check "$T/audit.json")" ""
# audit --json rebuilds records as the daemon writes them: a byte that is
# not UTF-8 as \u00XX of its value (so export and ingest --from round-trip).
is "audit --json: non-UTF-8 bytes as the journal writes them" "$(field "$T/audit.json" caller)" \
    "['e\\u2028f\\u202eg\\xed\\xa0\\x80h\\xffi']"
# ...and the human table shows the same bytes C-escaped.
like "who-called: the table escapes them as bytes" "$("$TALKCTL" who-called sif --db "$D" --journal "$J")" 'e\\xe2\\x80\\xa8f\\xe2\\x80\\xaeg\\xed\\xa0\\x80h\\xffi'
finish
