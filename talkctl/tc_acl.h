/*
 * Helpers shared by talkctl acl ... and talkctl simulate: policy loading.
 * Rules are named by libacl (acl_rule_ref_str); output goes through
 * out.h, included here.
 */
#ifndef TALKCTL_TC_ACL_H
#define TALKCTL_TC_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acl/acl.h"
#include "talkctl/out.h"

#define TC_DEFAULT_CACHE "/var/lib/talkd/acl.cache"

/* Does the file look like a compiled cache (binary) rather than text? */
int tc_is_cache(const char *path);

/*
 * Load a site policy: a cache (by content) or YAML/legacy.  Returns 0, or
 * TC_FAIL (invalid: every error, up to the library's 20, printed with its
 * caret; *err holds the first) or TC_USAGE (cannot be read, said so).
 */
int tc_load_policy(const char *path, struct acl **out, struct acl_err *err);
/* The same for a given format (ACL_FMT_LEGACY: a .talkrc draft). */
int tc_load_fmt(const char *path, enum acl_fmt fmt, struct acl **out,
    struct acl_err *err);

/* The default cache: $TALKD_ACL_CACHE or TC_DEFAULT_CACHE. */
const char *tc_default_cache(void);

/* Dotted quad of a host-order address into buf (at least 16 bytes). */
const char *tc_ip4(uint32_t addr, char *buf, size_t n);


#endif
