#!/bin/bash
# talkd/dist/install.sh install|uninstall -- what `make install` and
# `make uninstall` do (README, "Installing").  The Makefile passes the
# paths in the environment: DESTDIR PREFIX SBINDIR BINDIR MANDIR SYSCONFDIR
# LOCALSTATEDIR UNITDIR SYSUSERSDIR TMPFILESDIR BASHCOMPDIR DOCDIR O MANPAGES.
#
# install records every file it put in place, with its SHA-256, and every
# folder, group and user it created, in $PREFIX/share/talkd/installed.
# A file that exists and is neither identical to the new one nor the one
# install put there before was edited by the admin: it is kept, and the
# new version goes to $DOCDIR/examples.  uninstall removes exactly what
# the record lists, but keeps edited files, folders that are not empty
# (the journal and the database stay: they are the admin's data), and the
# account while files of it remain.
set -euo pipefail
umask 022
: "${DESTDIR:=}" "${PREFIX:?}" "${SBINDIR:?}" "${BINDIR:?}" "${MANDIR:?}"
: "${SYSCONFDIR:?}" "${LOCALSTATEDIR:?}" "${UNITDIR:?}" "${SYSUSERSDIR:?}"
: "${TMPFILESDIR:?}" "${BASHCOMPDIR:?}" "${DOCDIR:?}" "${O:?}"
SRC=$(cd "$(dirname "$0")" && pwd)
REC=$PREFIX/share/talkd/installed
STATE=$LOCALSTATEDIR/lib/talkd
live=0				# installing into this system, as root
[ -z "$DESTDIR" ] && [ "$(id -u)" = 0 ] && live=1
say() { echo "install.sh: $*" >&2; }

sha() { sha256sum <"$1" | cut -d' ' -f1; }
# The recorded hash of a path, from the previous record.
was() { [ -f "$DESTDIR$REC" ] && awk -v p="$1" '$1 == "file" && $3 == p { print $2 }' "$DESTDIR$REC"; }

declare -a NEWREC=()
keep_rec() { NEWREC+=("$*"); }
# Carry over what the previous install created (folders, account), so that
# a second install does not forget it.
carry() {
	[ -f "$DESTDIR$REC" ] || return 0
	local kind rest
	while read -r kind rest; do
		case $kind in dir|user|group) keep_rec "$kind $rest" ;; esac
	done <"$DESTDIR$REC"
}

# subst FILE: @SBINDIR@ and @BINDIR@ to the install paths.
subst() { sed -e "s|@SBINDIR@|$SBINDIR|g" -e "s|@BINDIR@|$BINDIR|g" "$1"; }

# mkparents DIR: create DIR and its missing parents, recording each.
mkparents() {
	local d=$1 missing=()
	mkdir -p "$DESTDIR/"
	while [ "$d" != / ] && [ ! -d "$DESTDIR$d" ]; do
		missing=("$d" "${missing[@]}")
		d=$(dirname "$d")
	done
	for d in "${missing[@]}"; do
		mkdir "$DESTDIR$d"
		keep_rec "dir $d"
	done
}

# put MODE SRC DEST [config]: install a file (config: keep an edited one).
put() {
	local mode=$1 src=$2 dst=$3 cfg=${4:-} d=$DESTDIR$3 tmp new old
	tmp=$(mktemp)
	cp "$src" "$tmp"
	new=$(sha "$tmp")
	mkparents "$(dirname "$dst")"
	if [ -n "$cfg" ] && [ -e "$d" ] && [ "$(sha "$d")" != "$new" ]; then
		old=$(was "$dst")
		if [ "$old" != "$(sha "$d")" ]; then
			mkparents "$DOCDIR/examples"
			install -m 0644 "$tmp" "$DESTDIR$DOCDIR/examples/$(basename "$dst").new"
			keep_rec "file $(sha "$tmp") $DOCDIR/examples/$(basename "$dst").new"
			say "kept $dst (edited); the new version is $DOCDIR/examples/$(basename "$dst").new"
			rm -f "$tmp"
			return 0
		fi
	fi
	install -m "$mode" "$tmp" "$d"
	rm -f "$tmp"
	keep_rec "file $new $dst"
}

putsub() { local t; t=$(mktemp); subst "$2" >"$t"; put "$1" "$t" "$3" "${4:-}"; rm -f "$t"; }

# mkdir_own DIR MODE OWNER GROUP: create (and record) a missing folder.
mkdir_own() {
	local d=$DESTDIR$1
	mkparents "$1"
	if [ $live = 1 ]; then chown "$3:$4" "$d"; fi
	# Five digits: GNU chmod keeps a folder's setgid bit (inherited from a
	# setgid parent) unless the mode has a leading zero more.
	chmod "0$2" "$d"
}

account() {
	[ $live = 1 ] || return 0
	if ! getent group talkd >/dev/null; then
		groupadd --system talkd
		keep_rec "group talkd"
	fi
	if ! getent passwd talkd >/dev/null; then
		useradd --system --gid talkd --home-dir "$STATE" --no-create-home \
			--shell /usr/sbin/nologin --comment "talk daemon" talkd
		keep_rec "user talkd"
	fi
}

do_install() {
	local m s
	carry
	account
	put 0755 "$O/talkd" "$SBINDIR/talkd"
	put 0755 "$O/talkctl" "$BINDIR/talkctl"
	if [ $live = 1 ]; then
		# setgid talkd: users read their own calls from the database.
		chgrp talkd "$DESTDIR$BINDIR/talkctl" && chmod 2755 "$DESTDIR$BINDIR/talkctl"
	fi
	for m in $MANPAGES; do
		s=${m##*.}
		put 0644 "$m" "$MANDIR/man$s/$(basename "$m")"
	done
	for u in talkd.socket talkd.service talkd-ingest.service talkd-ingest.timer \
		talkd-prune.service talkd-prune.timer; do
		putsub 0644 "$SRC/$u" "$UNITDIR/$u" config
	done
	put 0644 "$SRC/talkd.sysusers" "$SYSUSERSDIR/talkd.conf" config
	put 0644 "$SRC/talkd.tmpfiles" "$TMPFILESDIR/talkd.conf" config
	put 0644 "$SRC/talkctl.bash-completion" "$BASHCOMPDIR/talkctl" config
	put 0644 "$SRC/talkd.logrotate" "$SYSCONFDIR/logrotate.d/talkd" config
	putsub 0644 "$SRC/xinetd.ntalk" "$DOCDIR/examples/xinetd.ntalk"
	putsub 0644 "$SRC/inetd.conf" "$DOCDIR/examples/inetd.conf"
	putsub 0644 "$SRC/talkd.cron" "$DOCDIR/examples/talkd.cron"
	if [ $live = 1 ]; then
		mkdir_own "$SYSCONFDIR/talkd" 0755 root root
		mkdir_own "$STATE" 2755 root talkd
		mkdir_own "$STATE/journal" 1771 talkd tty
	fi
	mkparents "$(dirname "$REC")"
	printf '%s\n' "${NEWREC[@]}" >"$DESTDIR$REC"
}

do_uninstall() {
	local kind a b p dirs=() users=() groups=()
	if [ ! -f "$DESTDIR$REC" ]; then
		say "nothing to do: no $REC"
		return 0
	fi
	while read -r kind a b; do
		case $kind in
		file)
			p=$DESTDIR$b
			[ -e "$p" ] || continue
			if [ "$(sha "$p")" = "$a" ]; then
				rm -f "$p"
			else
				say "kept $b: it was edited"
			fi
			;;
		dir) dirs=("$a" "${dirs[@]}") ;;
		user) users+=("$a") ;;
		group) groups+=("$a") ;;
		esac
	done <"$DESTDIR$REC"
	rm -f "$DESTDIR$REC"
	# Deepest first (they were recorded parents first).
	for p in "${dirs[@]}"; do
		[ -d "$DESTDIR$p" ] || continue
		rmdir "$DESTDIR$p" 2>/dev/null || say "kept $p: not empty"
	done
	[ $live = 1 ] || return 0
	for a in "${users[@]}"; do
		if [ -d "$STATE" ] && [ -n "$(find "$STATE" -user "$a" -print -quit)" ]; then
			say "kept the user $a: files of it remain in $STATE"
		else
			userdel "$a"
		fi
	done
	for a in "${groups[@]}"; do
		getent passwd "$a" >/dev/null || ! getent group "$a" >/dev/null || groupdel "$a"
	done
}

case ${1:-} in
install) do_install ;;
uninstall) do_uninstall ;;
*) echo "usage: $0 install|uninstall" >&2; exit 2 ;;
esac
