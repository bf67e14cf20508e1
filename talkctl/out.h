/*
 * talkctl's output module: everything that prints bytes talkctl did not
 * write itself.  Terminal escaping, JSON strings, and file:line:col
 * messages with the source line and a caret.  Every command prints
 * untrusted text through these functions only (talkctl(8), ESCAPING).
 */
#ifndef TALKCTL_OUT_H
#define TALKCTL_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "acl/acl.h"

/*
 * For a terminal: printable ASCII as is; the backslash as \\; newline,
 * carriage return and tab as \n \r \t; every other byte as \xNN.
 * NULL prints "(null)".
 */
void tc_fput_esc(FILE *f, const char *s);
void tc_fput_esc_n(FILE *f, const char *s, size_t n);
/* The number of columns tc_fput_esc prints for s. */
size_t tc_esc_width(const char *s);

/*
 * A JSON string literal, quotes included, from bytes; NULL prints null.
 * Well-formed UTF-8 is kept, except that these are written as \uXXXX:
 * U+0000..U+001F (\n \r \t short), U+007F..U+009F, U+061C, U+200E,
 * U+200F, U+2028..U+202E and U+2066..U+2069.  A byte that does not start
 * well-formed UTF-8 (a stray byte, an overlong form, an encoded surrogate,
 * past U+10FFFF) is written as \ufffd, one per byte.
 */
void tc_fput_json(FILE *f, const char *s);

/*
 * Copy one line of JSON made elsewhere (SQLite, the journal): the same
 * rules inside its strings, plus a \u escape of a lone surrogate written
 * as \ufffd; escapes already there are kept.  Outside strings, a byte
 * that is not printable ASCII is written as a space.  Then a newline.
 * Returns 0, or -1 on a write error.
 */
int tc_fput_json_text(FILE *f, const char *json);

/*
 * The source line (len bytes, no line end) with tabs expanded to 8 and
 * other bytes escaped as tc_fput_esc does, then a line with a caret under
 * the 1-based column col, counted GNU style: a tab advances to the next
 * multiple of 8, any other byte counts 1 (col 0: no caret line).
 */
void tc_render_caret(FILE *f, const char *line, size_t len, unsigned col);

/*
 * "talkctl: FILE:LINE:COL: message", then the source line and the caret:
 * from src (srclen bytes) when it is not NULL, else from the file when it
 * is a regular text file.  file is used when err->file is empty.
 */
void tc_print_err_src(FILE *f, const struct acl_err *err, const char *file,
    const char *src, size_t srclen);
void tc_print_err(FILE *f, const struct acl_err *err, const char *file);
/* "FILE:LINE:COL: warning: message" (lint and --users warnings). */
void tc_print_warn(FILE *f, const struct acl_err *w, const char *suffix);

/*
 * On stderr: "talkctl: WHAT: [FILE[:LINE[:COL]]: ]MSG[: ARG]", every part
 * but WHAT escaped; file, line, col and arg may be NULL or 0.
 */
void tc_errx_at(const char *what, const char *file, unsigned long line,
    unsigned col, const char *msg, const char *arg);
void tc_errx(const char *what, const char *msg, const char *arg);

#endif
