# TAP helpers for the talkctl acl/simulate tests (bash; sourced).
#
#   . "$(dirname "$0")/lib-acl.sh"
#   plan 3
#   run talkctl acl check "$W/p.acl"     # sets $rc, $out, $err
#   is "$rc" 0 "check accepts a good file"
#   like "$err" 'p.acl:2:1: ' "error names the place"
#
# $W is a private work folder removed on exit; $TC the talkctl under test.

set -u

: "${TALKD_BUILD:?run through make (TALKD_BUILD is not set)}"
TC="$TALKD_BUILD/talkctl"
W="$(mktemp -d "${TMPDIR:-/tmp}/talkctl-acl.XXXXXX")" || exit 1
trap 'rm -rf "$W"' EXIT
# Never touch the system cache by accident.
export TALKD_ACL_CACHE="$W/default.cache"

_tap_n=0
_tap_failed=0

plan() { echo "1..$1"; }

ok() {	# ok CONDITION-RESULT DESCRIPTION
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
}

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; diag "got:  $1" "want: $2"; fi
}

like() {	# like TEXT FIXED-STRING DESCRIPTION
	if printf '%s' "$1" | grep -qF -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"; diag "no \"$2\" in:" "$1"; fi
}

unlike() {	# unlike TEXT FIXED-STRING DESCRIPTION
	if printf '%s' "$1" | grep -qF -- "$2"; then
		ok 1 "$3"; diag "unexpected \"$2\" in:" "$1"; else ok 0 "$3"; fi
}

# run talkctl ARGS...: $rc, $out (stdout), $err (stderr)
run() {
	shift
	"$TC" "$@" >"$W/.out" 2>"$W/.err"
	rc=$?
	out="$(cat "$W/.out")"
	err="$(cat "$W/.err")"
}

# The line after the one containing FIXED in TEXT (the caret line).
line_after() {
	printf '%s\n' "$1" | awk -v k="$2" 'f { print; exit } index($0, k) { f = 1 }'
}

# json_get JSON PATH: a value with sqlite3's json_extract ('$.decision').
json_get() {
	sqlite3 :memory: "select json_extract(json('$(printf '%s' "$1" | sed "s/'/''/g")'), '$2');"
}

# json_len JSON PATH: the length of an array.
json_len() {
	sqlite3 :memory: "select json_array_length(json('$(printf '%s' "$1" | sed "s/'/''/g")'), '$2');"
}

# A home for USER owned by the current uid/gid, with a passwd line in
# $W/passwd (talkctl --passwd reads it instead of the real database).
make_user() {
	mkdir -p "$W/home/$1"
	printf '%s:x:%s:%s::%s:/bin/sh\n' "$1" "$(id -u)" "$(id -g)" \
	    "$W/home/$1" >>"$W/passwd"
}

# write_talkrc USER TEXT: ~USER/.talkrc, mode 0644, owned by us.
write_talkrc() {
	printf '%s' "$2" >"$W/home/$1/.talkrc"
	chmod 0644 "$W/home/$1/.talkrc"
}

# sample_policy FILE: the YAML policy of DESIGN.md, with one test.
sample_policy() {
	cat >"$1" <<'YAML'
version: 1
strict: false
networks:
  lan: [192.168.1.0/24, 127.0.0.0/8]
site:
  - { id: default-deny, action: deny }
  - { id: staff, action: allow, users: [thor, sif], from: [lan] }
  - { id: admins, action: allow, match: "^adm-", from: [any] }
users:
  sif:
    - { id: sif-thor, action: allow, users: [thor] }
tests:
  - { caller: thor, callee: sif, from: 192.168.1.20, expect: allow }
YAML
}

done_testing() {
	[ "$_tap_failed" -eq 0 ]
}
