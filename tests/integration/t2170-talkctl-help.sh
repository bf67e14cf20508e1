#!/bin/bash
# --help on every talkctl command (git style: the usage on stdout, nothing
# on stderr, exit 0), usage errors (the same usage on stderr, exit 2), and
# the usage lines equal to the SYNOPSIS of talkctl(8).
. "$(dirname "$0")/lib-acl.sh"

: "${TALKD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
cmds=("acl compile" "acl check" "acl show" "acl test" "acl diff" simulate
    ingest who-called history audit prune help)
plan $((${#cmds[@]} * 11 - 3 + 14))

# The SYNOPSIS of talkctl(8), one line per command, "talkctl " cut off.
synopsis="$(mandoc -Tascii -O width=250 "$TALKD_SRCDIR/man/talkctl.8" |
    col -b | sed -n '/^SYNOPSIS/,/^DESCRIPTION/s/^ *talkctl //p')"

for c in "${cmds[@]}"; do
	# shellcheck disable=SC2086	# "acl check" is two words
	run talkctl $c --help
	is "$rc" 0 "talkctl $c --help exits 0"
	like "$(printf '%s\n' "$out" | head -1)" "usage: talkctl $c " \
	    "talkctl $c --help: the usage, full name, on stdout"
	is "$err" "" "talkctl $c --help: nothing on stderr"
	is "$(printf '%s\n' "$out" | wc -l)" 1 "talkctl $c --help: one line"
	help=$out
	printf '%s\n' "$synopsis" | grep -qxF -- "${help#usage: talkctl }"
	ok $? "talkctl $c: the usage is a SYNOPSIS line of talkctl(8)"

	# shellcheck disable=SC2086
	run talkctl $c -h
	is "$rc:$out:$err" "0:$help:" "talkctl $c -h: the same"
	# shellcheck disable=SC2086
	run talkctl help $c
	is "$rc:$out:$err" "0:$help:" "talkctl help $c: the same"
	case $c in acl\ *)
		run talkctl acl help "${c#acl }"
		is "$rc:$out:$err" "0:$help:" "talkctl acl help ${c#acl }: the same"
		;;
	*)	ok 0 "(no acl help form for $c)" ;;
	esac

	[ "$c" = help ] && continue	# help's arguments are command names
	# shellcheck disable=SC2086
	run talkctl $c --no-such-option
	is "$rc" 2 "talkctl $c --no-such-option exits 2"
	is "$out" "" "talkctl $c --no-such-option: nothing on stdout"
	like "$err" "$help" "talkctl $c --no-such-option: the usage on stderr"
done

# The whole list: talkctl --help, -h and help print the SYNOPSIS.
run talkctl --help
all=$out
is "$rc:$err" "0:" "talkctl --help exits 0, nothing on stderr"
is "$(printf '%s\n' "$all" | sed -e 's/^usage: //' -e 's/^ *//' \
    -e 's/^talkctl //')" "$synopsis" "talkctl --help is the SYNOPSIS"
run talkctl -h
is "$rc:$out:$err" "0:$all:" "talkctl -h: the same"
run talkctl help
is "$rc:$out:$err" "0:$all:" "talkctl help: the same"
run talkctl
is "$rc:$out:$err" "2::$all" "talkctl alone: the usage on stderr, exit 2"

run talkctl acl --help
acl=$out
is "$rc:$err" "0:" "talkctl acl --help exits 0"
is "$(printf '%s\n' "$acl" | sed -e 's/^usage: //' -e 's/^ *//' \
    -e 's/^talkctl //')" "$(printf '%s\n' "$synopsis" | grep '^acl ')" \
    "talkctl acl --help: every acl command of the SYNOPSIS"
run talkctl help acl
is "$rc:$out:$err" "0:$acl:" "talkctl help acl: the same"
run talkctl acl
is "$rc:$out:$err" "2::$acl" "talkctl acl alone: the acl usage on stderr"

run talkctl frobnicate
is "$rc:$out" "2:" "an unknown command exits 2"
like "$err" "talkctl: unknown command: frobnicate" "... and says so"
run talkctl help frobnicate
is "$rc:$out" "2:" "help for an unknown command exits 2"

# --help after operands counts too (options are permuted).
run talkctl acl check no-such-file --help
is "$rc:$out" "0:$("$TC" acl check --help)" \
    "talkctl acl check FILE --help prints the usage, reads nothing"
run talkctl simulate sif 127.0.0.1 --help
is "$rc:$err" "0:" "talkctl simulate USER HOST --help exits 0"

done_testing
