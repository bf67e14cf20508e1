#!/bin/bash
# Only root can change the policy (SPEC.md 5): a daemon started as root
# and dropped to its account trusts a root-owned cache only.  Here the
# cache's folder is writable by that account (as the state directory was
# before 0.1.0), and a process of that account renames an allow-all cache
# into place: the daemon refuses it, says why, and keeps denying.
. "$(dirname "$0")/lib.sh"
need_root
plan 6
TC=$B/talkctl
ans() { echo "$1" | field answer; }

mkdir -p "$T/pol"
chown nobody "$T/pol"
cat >"$T/deny.yaml" <<YAML
version: 1
site:
  - { id: no-far, action: deny, users: [sif], from: [127.0.0.2/32] }
YAML
printf 'version: 1\nsite: []\n' >"$T/allow.yaml"
chmod 0644 "$T"/*.yaml
"$TC" acl compile -o "$T/pol/acl.cache" "$T/deny.yaml" >/dev/null
start_daemon --user nobody --acl-cache "$T/pol/acl.cache" || exit 1
is "the root-owned policy denies 127.0.0.2" "$(ans "$(send_from 127.0.0.2 lookup thor sif)")" FAILED

# The daemon's account (nobody) compiles an allow-all cache and renames it
# over the policy: it can, the folder is its own.
su -s /bin/sh nobody -c "'$TC' acl compile -o '$T/pol/evil.cache' '$T/allow.yaml' &&
    mv '$T/pol/evil.cache' '$T/pol/acl.cache'" >"$T/su.out" 2>&1
is "nobody replaced the cache" "$(stat -c %U "$T/pol/acl.cache")" nobody
for i in $(seq 1 50); do
	grep -q "refusing the cache" "$T/daemon.log" && break
	sleep 0.1
done
like "the daemon refuses a cache its own account owns" "$(cat "$T/daemon.log")" \
    "refusing the cache: not owned by root"
like "and keeps the last good policy" "$(cat "$T/daemon.log")" "keeping the last good"
is "127.0.0.2 is still denied" "$(ans "$(send_from 127.0.0.2 lookup thor sif)")" FAILED

# root puts a policy in place: that one counts.
"$TC" acl compile -o "$T/pol/good.cache" "$T/allow.yaml" >/dev/null
mv "$T/pol/good.cache" "$T/pol/acl.cache"
for i in $(seq 1 50); do
	[ "$(ans "$(send_from 127.0.0.2 lookup thor sif)")" = NOT_HERE ] && break
	sleep 0.1
done
is "a root-owned cache is loaded without a restart" "$(ans "$(send_from 127.0.0.2 lookup thor sif)")" NOT_HERE
finish
