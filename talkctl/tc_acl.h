/*
 * Helpers shared by talkctl acl ... and talkctl simulate: escaping for the
 * terminal and for JSON, file:line:col diagnostics with a caret line,
 * policy loading.  Rules are named by libacl (acl_rule_ref_str).  Pure
 * except where a FILE is passed.
 */
#ifndef TALKCTL_TC_ACL_H
#define TALKCTL_TC_ACL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acl/acl.h"

#define TC_DEFAULT_CACHE "/var/lib/talkd/acl.cache"

/* Bytes outside printable ASCII and the backslash, escaped C style. */
void tc_fput_esc(FILE *f, const char *s);
void tc_fput_esc_n(FILE *f, const char *s, size_t n);
/* A JSON string literal, quotes included; NULL prints null. */
void tc_fput_json(FILE *f, const char *s);

/*
 * The source line (len bytes, no line end) with tabs expanded to 8 and
 * other bytes escaped as tc_fput_esc does, then a line with a caret under
 * the 1-based column col, counted GNU style: a tab advances to the next
 * multiple of 8, any other byte counts 1 (col 0: no caret line).
 */
void tc_render_caret(FILE *f, const char *line, size_t len, unsigned col);

/*
 * "talkctl: FILE:LINE:COL: message", then the source line and the caret
 * when the file can be read.  file is used when err->file is empty.
 */
void tc_print_err(FILE *f, const struct acl_err *err, const char *file);
/* "FILE:LINE:COL: warning: message" (lint and --users warnings). */
void tc_print_warn(FILE *f, const struct acl_err *w, const char *suffix);

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

/*
 * getopt_long, permuting (options may follow operands), with messages
 * "talkctl: WHAT: unknown option ..."; shortopts must start with ':'.
 * Returns -1 at the end and '?' after reporting an error.
 */
struct option;
int tc_next_opt(int argc, char **argv, const char *what,
    const char *shortopts, const struct option *longopts);

#endif
