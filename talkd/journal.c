/*
 * The audit journal (schema/journal.md): one JSON line per event, at most
 * 1 KiB, on an O_APPEND descriptor.
 *
 * Batches.  Between journal_begin() and journal_commit() records are only
 * encoded (sequence number and time fixed then) into a batch; the commit
 * writes the whole batch with one write(2), so every record is whole and
 * in order.  Outside a batch each journal_write() commits at once.  A short
 * write (disk full) keeps the records that went out whole, cuts a torn one
 * off the file again (the daemon is the only writer), and keeps it and the
 * rest in the backlog.
 *
 * Rotation.  The journal's directory is watched with inotify (watch.c):
 * while nothing happens to the journal's name, checking costs no system
 * call.  When the name was renamed, removed or created, the path is opened
 * and compared with the open descriptor; only when a new file really opens
 * does the daemon switch to it.  Until then, records go on to the open
 * descriptor: a failed stat() or open() is not a rotation (a directory the
 * daemon cannot search or create files in loses nothing).  Without a watch
 * (no inotify, no directory yet) the path is stat()ed before every commit,
 * with the same rule.
 *
 * Records that cannot be written (disk full, unwritable path) wait in a
 * bounded backlog and are retried first; past that they are counted and a
 * journal.lost record says how many.  The daemon never stops answering
 * because of its journal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/hmac.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "talkd/talkd.h"

#define REC_MAX		1024
#define BACKLOG_MAX	256
#define BATCH_MAX	128	/* records in one write(2) */
#define RETRY_MS	1000	/* a rotation that could not open yet */
#define FIELD_CAP	160	/* escaped bytes kept of a field */
#define TEXT_CUT	40	/* of a free-text field when the record is long */
#define RUN_MAX		64
#define ENC_FIELDS	11	/* node event type caller callee tty answer
				   rule reason host msg */
#define ENC_MAX		(ENC_FIELDS * (16 + FIELD_CAP) + RUN_MAX + 288)

struct journal {
	char *path;
	const char *base;		/* the path's last component */
	int fd;
	dev_t dev;			/* identity of fd */
	ino_t ino;
	int wfd;			/* inotify on the directory, or -1 */
	sig_atomic_t seen;		/* watch_gen last looked at */
	int rotate;			/* the name changed; not followed yet */
	int64_t rotate_tried;
	char *batch;			/* BATCH_MAX records, back to back, and
					   ENC_MAX bytes for the next one */
	size_t rlen[BATCH_MAX], nrec, bsize;
	int batching;
	char run[17];
	char node[256];			/* gethostname at start */
	struct jprivacy priv;		/* priv.key NULL: kept in hmac */
	int keyed;			/* --record-names keyed */
	struct hmac_sha256_ctx hmac;	/* set with the key */
	unsigned long long seq;
	unsigned long lost;		/* dropped, not yet reported */
	char (*backlog)[REC_MAX];
	size_t blen[BACKLOG_MAX], bhead, bcount;
	int64_t last_complaint;
};

static int
open_path(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK, 0640);
}

/* Watch the journal's directory for its name coming and going. */
static void
watch_dir(struct journal *j)
{
	char dir[PATH_MAX];
	size_t dlen = (size_t)(j->base - j->path);

	if (j->wfd >= 0)
		return;
	if (dlen == 0)
		memcpy(dir, ".", 2);
	else if (dlen >= sizeof(dir))
		return;
	else {
		memcpy(dir, j->path, dlen);
		dir[dlen] = '\0';
	}
	if ((j->wfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return;
	if (inotify_add_watch(j->wfd, dir, IN_CREATE | IN_DELETE |
	    IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
	    IN_ONLYDIR) < 0 || watch_async(j->wfd) < 0) {
		close(j->wfd);
		j->wfd = -1;
	}
}

static void
unwatch(struct journal *j)
{
	if (j->wfd >= 0)
		close(j->wfd);
	j->wfd = -1;
}

/* Take fd as the journal; closes the one it replaces. */
static void
adopt(struct journal *j, int fd, const struct stat *st)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = fd;
	j->dev = st->st_dev;
	j->ino = st->st_ino;
	j->rotate = 0;
	watch_dir(j);
}

static void
complain_open(struct journal *j)
{
	int64_t now = now_ms();

	if (j->last_complaint == 0 || now - j->last_complaint > 60000) {
		log_warn("journal %s", j->path);
		j->last_complaint = now;
	}
}

/*
 * Open the path; switch to it only when it is another file than the open
 * one.  A failure keeps the open descriptor (and the rotation pending).
 */
static void
follow(struct journal *j)
{
	struct stat st;
	int fd;

	j->rotate_tried = now_ms();
	if ((fd = open_path(j->path)) < 0) {
		complain_open(j);
		return;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return;
	}
	if (j->fd >= 0 && st.st_dev == j->dev && st.st_ino == j->ino) {
		close(fd);		/* still the same file */
		j->rotate = 0;
		return;
	}
	adopt(j, fd, &st);
}

/* Read the queued events; 1 when one may have moved the journal's name. */
static int
drain(struct journal *j)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct
	    inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;
	int hit = 0, gone = 0;

	while ((n = read(j->wfd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			if (ev->mask & (IN_Q_OVERFLOW | IN_DELETE_SELF |
			    IN_MOVE_SELF | IN_IGNORED))
				hit = 1;
			if (ev->mask & IN_IGNORED)
				gone = 1;
			if (ev->len && strcmp(ev->name, j->base) == 0)
				hit = 1;
		}
	}
	if (gone)
		unwatch(j);		/* the directory went: stat from now on */
	return hit;
}

/* Follow a rotation if there may have been one; no system call if not. */
static void
check_rotation(struct journal *j)
{
	struct stat st;

	if (j->fd < 0) {
		follow(j);
		return;
	}
	if (j->wfd >= 0) {
		int hit = watch_moved(&j->seen) && drain(j);

		if (hit)
			j->rotate = 1;
		/* Not followed yet (could not open): retry once a second. */
		if (j->rotate && (hit || now_ms() - j->rotate_tried >=
		    RETRY_MS))
			follow(j);
		return;
	}
	/* No watch: stat.  Only "no such file" or another file is a rotation. */
	if (stat(j->path, &st) == 0 ? st.st_dev != j->dev ||
	    st.st_ino != j->ino : errno == ENOENT)
		follow(j);
}

struct journal *
journal_open(const char *path)
{
	struct journal *j;
	unsigned char rnd[8];
	const char *slash;
	size_t i;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->fd = -1;
	j->wfd = -1;
	j->priv.success = 1;		/* record everything until told */
	if (path && ((j->path = strdup(path)) == NULL ||
	    (j->backlog = calloc(BACKLOG_MAX, REC_MAX)) == NULL ||
	    (j->batch = malloc(BATCH_MAX * REC_MAX + ENC_MAX)) == NULL)) {
		free(j->backlog);
		free(j->path);
		free(j);
		return NULL;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)((ts.tv_nsec >> (i * 3)) ^
			    getpid() >> i);
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(j->run + 2 * i, 3, "%02x", rnd[i]);
	if (gethostname(j->node, sizeof(j->node) - 1) < 0 ||
	    j->node[0] == '\0')
		memcpy(j->node, "localhost", sizeof("localhost"));
	if (j->path) {
		slash = strrchr(j->path, '/');
		j->base = slash ? slash + 1 : j->path;
		follow(j);
		watch_dir(j);
		j->seen = watch_gen;
	}
	return j;
}

void
journal_set_privacy(struct journal *j, const struct jprivacy *p)
{
	j->priv = *p;
	if ((j->keyed = p->key != NULL))
		hmac_sha256_set_key(&j->hmac, p->keylen, p->key);
	j->priv.key = NULL;		/* not kept: the context holds it */
	j->priv.keylen = 0;
	if (p->syslog)			/* also in the foreground (-d) */
		openlog("talkd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/*
 * --record-success no leaves out the records of calls that went as they
 * should (talkd(8), PRIVACY); denials, refusals, limits, evictions,
 * malformed packets, floods and the daemon's own events stay.
 */
int
journal_wants(const struct journal *j, const char *event)
{
	static const char *const success[] = { "invite.left", "lookup.hit",
	    "lookup.miss", "invite.deleted", "invite.expired",
	    "announce.rung", "announce.rerung", "announce.duplicate" };
	size_t i;

	if (j == NULL || j->priv.success || event == NULL)
		return 1;
	for (i = 0; i < sizeof(success) / sizeof(success[0]); i++)
		if (strcmp(event, success[i]) == 0)
			return 0;
	return 1;
}

static void
keyed_hex(struct hmac_sha256_ctx *ctx, const char *name, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[SHA256_DIGEST_SIZE];
	size_t i;

	hmac_sha256_update(ctx, strlen(name), (const uint8_t *)name);
	hmac_sha256_digest(ctx, sizeof(d), d);	/* and ready for the next */
	memcpy(out, "k:", 2);
	for (i = 0; i < sizeof(d); i++) {
		out[2 + 2 * i] = hex[d[i] >> 4];
		out[3 + 2 * i] = hex[d[i] & 15];
	}
	out[2 + 2 * sizeof(d)] = '\0';
}

void
name_keyed(const unsigned char *key, size_t keylen, const char *name,
    char *out)
{
	struct hmac_sha256_ctx ctx;

	hmac_sha256_set_key(&ctx, keylen, key);
	keyed_hex(&ctx, name, out);
	explicit_bzero(&ctx, sizeof(ctx));
}

const char *
journal_name(const struct journal *j, const char *name, char *out,
    size_t len)
{
	if (name == NULL || j == NULL || !j->keyed || len < JNAME_MAX)
		return name;
	/* The context is reset after each digest: a copy keeps it const. */
	{
		struct hmac_sha256_ctx ctx = j->hmac;
		keyed_hex(&ctx, name, out);
	}
	return out;
}

void
journal_addr(const struct journal *j, uint32_t addr, char *out, size_t len)
{
	struct in_addr in = { htonl(addr) };
	int mode = j ? j->priv.addr : REC_ADDR_FULL;

	if (mode == REC_ADDR_NONE) {
		snprintf(out, len, "-");
		return;
	}
	if (mode == REC_ADDR_NET)
		in.s_addr = htonl(addr & 0xffffff00u);
	if (inet_ntop(AF_INET, &in, out, (socklen_t)len) == NULL)
		snprintf(out, len, "?");
	else if (mode == REC_ADDR_NET && strlen(out) + 4 <= len)
		memcpy(out + strlen(out), "/24", 4);
}

/* Bytes that go into a JSON string as they are: printable ASCII but " \\. */
static const unsigned char plain_byte[256] = {
	[0x20 ... 0x21] = 1,		/* ' ' '!' */
	[0x23 ... 0x5b] = 1,		/* '#' to '[', not '"' (0x22) */
	[0x5d ... 0x7e] = 1		/* ']' to '~', not '\\' (0x5c) */
};

/*
 * The encoder runs for every request, so it formats by hand, into a
 * buffer that the longest possible record fits (ENC_MAX), with no bound
 * check per piece.  Literal pieces have lengths the compiler knows,
 * numbers come from a two-digit table, the date text is kept for the
 * second.  The journal's batch keeps ENC_MAX bytes free past its last
 * record, so a record is encoded where it is written; journal_encode()
 * uses a scratch buffer and copies the record out.  ENC_MAX (defined
 * above): each of the ENC_FIELDS strings takes at most its key (11 bytes
 * with its quotes, comma and colon), FIELD_CAP bytes and a quote; the run
 * name at most RUN_MAX; the rest (the other literals, a 31-byte date, seq,
 * usec, src, id, new, count) at most 178 bytes.
 */

#define PUT_LIT(p, s)	(memcpy((p), (s), sizeof(s) - 1), (p) += sizeof(s) - 1)

static const char digits2[200] =
    "000102030405060708091011121314151617181920212223242526272829"
    "303132333435363738394041424344454647484950515253545556575859"
    "606162636465666768697071727374757677787980818283848586878889"
    "90919293949596979899";

/* v in decimal at p; returns the end. */
static char *
put_num(char *p, unsigned long long v)
{
	unsigned long long t;
	char *q;
	int n = 1;

	for (t = v; t >= 10; t /= 10)
		n++;
	q = p + n;
	while (v >= 100) {
		q -= 2;
		memcpy(q, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(q - 2, digits2 + 2 * v, 2);
	else
		q[-1] = (char)('0' + v);
	return p + n;
}

/* v < 256 in decimal, as inet_ntop writes an octet. */
static char *
put_octet(char *p, unsigned v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		v %= 100;
	} else if (v < 10) {
		*p++ = (char)('0' + v);
		return p;
	}
	memcpy(p, digits2 + 2 * v, 2);
	return p + 2;
}

/*
 * s as a JSON string body at p: " and \ escaped with a backslash, every
 * other byte outside printable ASCII as \u00XX; cut at max output bytes,
 * never inside an escape.  Returns the end.
 */
static char *
put_json(char *p, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	char *cap = p + max;
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (plain_byte[c]) {
			if (p == cap)
				break;
			*p++ = (char)c;
		} else if (c == '"' || c == '\\') {
			if (cap - p < 2)
				break;
			p[0] = '\\';
			p[1] = (char)c;
			p += 2;
		} else {
			if (cap - p < 6)
				break;
			memcpy(p, "\\u00", 4);
			p[4] = hex[c >> 4];
			p[5] = hex[c & 15];
			p += 6;
		}
	}
	return p;
}

/* ,"key":"value" with value escaped and cut at max bytes, when there is
 * a value; the key is a literal. */
#define PUT_STR(p, key, val, max) do {					\
	if ((val) != NULL) {						\
		PUT_LIT(p, ",\"" key "\":\"");				\
		(p) = put_json((p), (val), (max));			\
		*(p)++ = '"';						\
	}								\
} while (0)

/* "2026-11-23T06:40:00" for sec (*len bytes, at most 31); gmtime and
 * strftime once a second. */
static const char *
utc_second(time_t sec, size_t *len)
{
	static time_t cached = (time_t)-1;
	static char text[32];
	static size_t n;
	struct tm tm;

	if (sec != cached) {
		if (!gmtime_r(&sec, &tm) || (n = strftime(text, sizeof(text),
		    "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
			return NULL;
		cached = sec;
	}
	*len = n;
	return text;
}

/*
 * The record into buf (ENC_MAX bytes); free-text fields (node, tty, rule,
 * reason, host, msg) cut at text bytes, the others at FIELD_CAP.  Returns
 * its length, 0 when the run name is too long or the time has no date.
 */
static size_t
encode_into(char *buf, const char *run, unsigned long long seq,
    const struct timespec *ts, const struct jrec *r, size_t text)
{
	char *p = buf;
	const char *when;
	size_t rlen = strlen(run), wlen;
	unsigned long usec = (unsigned long)ts->tv_nsec / 1000 % 1000000;

	if (rlen > RUN_MAX || (when = utc_second(ts->tv_sec, &wlen)) == NULL)
		return 0;
	PUT_LIT(p, "{\"v\":1,\"run\":\"");
	memcpy(p, run, rlen);
	p += rlen;
	PUT_LIT(p, "\",\"seq\":");
	p = put_num(p, seq);
	PUT_LIT(p, ",\"ts\":\"");
	memcpy(p, when, wlen);
	p += wlen;
	*p++ = '.';
	memcpy(p, digits2 + 2 * (usec / 10000), 2);
	memcpy(p + 2, digits2 + 2 * (usec / 100 % 100), 2);
	memcpy(p + 4, digits2 + 2 * (usec % 100), 2);
	p += 6;
	PUT_LIT(p, "Z\"");
	PUT_STR(p, "node", r->node, text);
	PUT_STR(p, "event", r->event, FIELD_CAP);
	PUT_STR(p, "type", r->type, FIELD_CAP);
	PUT_STR(p, "caller", r->caller, FIELD_CAP);
	PUT_STR(p, "callee", r->callee, FIELD_CAP);
	if (r->src && r->src_mode != REC_ADDR_NONE) {
		uint32_t a = ntohl(r->src->sin_addr.s_addr);

		PUT_LIT(p, ",\"src\":\"");	/* dotted quad, as inet_ntop */
		p = put_octet(p, a >> 24);
		*p++ = '.';
		p = put_octet(p, a >> 16 & 0xff);
		*p++ = '.';
		p = put_octet(p, a >> 8 & 0xff);
		if (r->src_mode == REC_ADDR_NET)
			PUT_LIT(p, ".0/24\"");
		else {
			*p++ = '.';
			p = put_octet(p, a & 0xff);
			*p++ = ':';
			p = put_num(p, ntohs(r->src->sin_port));
			*p++ = '"';
		}
	}
	PUT_STR(p, "tty", r->tty, text);
	if (r->has_id) {
		PUT_LIT(p, ",\"id\":");
		p = put_num(p, r->id);
	}
	if (r->is_new >= 0 && r->event && strcmp(r->event, "invite.left") == 0) {
		if (r->is_new)
			PUT_LIT(p, ",\"new\":true");
		else
			PUT_LIT(p, ",\"new\":false");
	}
	PUT_STR(p, "answer", r->answer, FIELD_CAP);
	PUT_STR(p, "rule", r->rule, text);
	PUT_STR(p, "reason", r->reason, text);
	/* The caller's host name tells its address: only with the address. */
	if (r->src_mode == REC_ADDR_FULL)
		PUT_STR(p, "host", r->host, text);
	PUT_STR(p, "msg", r->msg, text);
	if (r->count) {
		PUT_LIT(p, ",\"count\":");
		p = put_num(p, r->count);
	}
	PUT_LIT(p, "}\n");
	return (size_t)(p - buf);
}

/*
 * The record into buf (ENC_MAX bytes) if it fits len: one that does not
 * (REC_MAX for the journal: ingest takes no longer line) is encoded again
 * with its free-text fields cut to TEXT_CUT bytes, which with names of the
 * 12 bytes talk carries always fits; one that still does not gives 0.
 */
static size_t
encode_fit(char *buf, size_t len, const char *run, unsigned long long seq,
    const struct timespec *ts, const struct jrec *r)
{
	size_t n;

	if ((n = encode_into(buf, run, seq, ts, r, FIELD_CAP)) >= len)
		n = encode_into(buf, run, seq, ts, r, TEXT_CUT);
	return n < len ? n : 0;
}

/* encode_fit() into out (len bytes), terminated; nothing when it gives 0. */
size_t
journal_encode(char *out, size_t len, const char *run, unsigned long long seq,
    const struct timespec *ts, const struct jrec *r)
{
	char buf[ENC_MAX];
	size_t n;

	if ((n = encode_fit(buf, len, run, seq, ts, r)) == 0)
		return 0;
	memcpy(out, buf, n);
	out[n] = '\0';
	return n;
}

void
journal_reopen(struct journal *j)
{
	if (!j || !j->path)
		return;
	follow(j);
}

/* Cut a torn tail of part bytes off the file; the daemon is the only writer. */
static void
untear(struct journal *j, size_t part)
{
	off_t end;

	if (part == 0)
		return;
	if ((end = lseek(j->fd, 0, SEEK_END)) < (off_t)part ||
	    ftruncate(j->fd, end - (off_t)part) < 0)
		(void)!write(j->fd, "\n", 1);	/* end the fragment at least */
}

static int
write_one(struct journal *j, const char *rec, size_t len)
{
	ssize_t n;

	if (j->fd < 0)
		return -1;
	n = write(j->fd, rec, len);
	if (n == (ssize_t)len)
		return 0;
	if (n > 0)
		untear(j, (size_t)n);
	return -1;
}

static void
complain(struct journal *j)
{
	int64_t now = now_ms();

	if (j->last_complaint == 0 || now - j->last_complaint > 60000) {
		if (errno == 0)		/* a short write sets none */
			log_warnx("journal %s: write failed, keeping records "
			    "in memory: short write", j->path);
		else
			log_warn("journal %s: write failed, keeping records "
			    "in memory", j->path);
		j->last_complaint = now;
	}
}

static void
backlog_push(struct journal *j, const char *rec, size_t len)
{
	size_t slot;

	if (j->bcount == BACKLOG_MAX) {
		j->lost++;
		return;
	}
	slot = (j->bhead + j->bcount) % BACKLOG_MAX;
	memcpy(j->backlog[slot], rec, len);
	j->blen[slot] = len;
	j->bcount++;
}

static int
backlog_flush(struct journal *j)
{
	while (j->bcount > 0) {
		if (write_one(j, j->backlog[j->bhead], j->blen[j->bhead]) < 0)
			return -1;
		j->bhead = (j->bhead + 1) % BACKLOG_MAX;
		j->bcount--;
	}
	return 0;
}

/*
 * A rule in a callee's ~/.talkrc names the home directory, and so the
 * callee: with keyed names it is written as ~/.talkrc.
 */
static const char *
rule_keyed(const char *rule, char *out, size_t len)
{
	const char *t;

	if (rule == NULL || rule[0] != '/' ||
	    (t = strstr(rule, "/.talkrc")) == NULL)
		return rule;
	snprintf(out, len, "~%s", t);
	return out;
}

void
journal_rule(const struct journal *j, const char *rule, char *out,
    size_t len)
{
	const char *r = j && j->keyed ? rule_keyed(rule, out, len) : rule;

	if (r != out)
		snprintf(out, len, "%s", r);
}

int
journal_shows_host(const struct journal *j)
{
	return j == NULL || j->priv.addr == REC_ADDR_FULL;
}

/* The record as the settings have it written, into rec (ENC_MAX bytes). */
static size_t
encode_now(struct journal *j, char *rec, const struct jrec *in)
{
	struct timespec ts;
	struct jrec k = *in, *r = &k;
	char caller[JNAME_MAX], callee[JNAME_MAX], rule[200];
	size_t len;

	k.node = j->node;
	k.src_mode = j->priv.addr;
	if (j->keyed) {
		k.caller = journal_name(j, in->caller, caller, sizeof(caller));
		k.callee = journal_name(j, in->callee, callee, sizeof(callee));
		k.rule = rule_keyed(in->rule, rule, sizeof(rule));
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	len = encode_fit(rec, REC_MAX, j->run, j->seq + 1, &ts, r);
	if (len == 0) {
		/* Not with the names talk carries (journal_encode cuts the free
		 * text first); keep the event anyway. */
		struct jrec min = { .event = r->event, .is_new = -1,
		    .msg = "record truncated", .node = j->node };
		len = encode_fit(rec, REC_MAX, j->run, j->seq + 1, &ts, &min);
	}
	if (len)
		j->seq++;
	return len;
}

static void
batch_add(struct journal *j, const struct jrec *r)
{
	size_t len;

	if ((len = encode_now(j, j->batch + j->bsize, r)) == 0)
		return;
	if (j->priv.syslog)		/* the record without its newline */
		syslog(LOG_INFO, "@cee: %.*s", (int)len - 1,
		    j->batch + j->bsize);
	j->rlen[j->nrec++] = len;
	j->bsize += len;
}

void
journal_begin(struct journal *j)
{
	if (j && j->path)
		j->batching = 1;
}

/*
 * Write the batch with one write(2).  What a short write left out goes to
 * the backlog whole; a torn record is cut off the file first.
 */
static void
batch_write(struct journal *j)
{
	size_t i, off = 0;
	ssize_t n;

	errno = 0;
	if (j->bcount > 0 || j->fd < 0)
		n = -1;			/* older records first: keep order */
	else
		n = write(j->fd, j->batch, j->bsize);
	if (n == (ssize_t)j->bsize)
		return;
	for (i = 0; i < j->nrec && n > 0 &&
	    off + j->rlen[i] <= (size_t)n; i++)
		off += j->rlen[i];
	if (n > 0)
		untear(j, (size_t)n - off);
	complain(j);
	for (; i < j->nrec; i++) {
		backlog_push(j, j->batch + off, j->rlen[i]);
		off += j->rlen[i];
	}
}

void
journal_commit(struct journal *j)
{
	if (!j || !j->path)
		return;
	j->batching = 0;
	if (j->nrec == 0)
		return;
	check_rotation(j);
	batch_write(j);
	j->nrec = 0;
	j->bsize = 0;
}

void
journal_write(struct journal *j, const struct jrec *r)
{
	if (!j || !j->path || !journal_wants(j, r->event))
		return;
	if (j->nrec == BATCH_MAX) {
		int b = j->batching;
		journal_commit(j);
		j->batching = b;
	}
	if (j->nrec == 0 && (j->bcount > 0 || j->lost > 0)) {
		/* Behind: the backlog first, then what was lost, in order. */
		check_rotation(j);
		if (backlog_flush(j) == 0 && j->lost > 0) {
			struct jrec lost = { .event = "journal.lost",
			    .is_new = -1, .count = j->lost };
			batch_add(j, &lost);
			j->lost = 0;
		}
	}
	batch_add(j, r);
	if (!j->batching)
		journal_commit(j);
}

void
journal_chown(struct journal *j, uid_t uid)
{
	struct stat st;

	/*
	 * The owner only: the group stays what the state directory gives
	 * (talkd, for readers of the journal, talkctl(8)).  A regular file
	 * only: --journal /dev/null must not give the device away.
	 */
	if (j && j->fd >= 0 && fstat(j->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == 0 && fchown(j->fd, uid, (gid_t)-1) < 0)
		log_warn("journal %s: chown", j->path);
}

void
journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->path) {
		journal_commit(j);
		check_rotation(j);
		backlog_flush(j);
	}
	if (j->fd >= 0)
		close(j->fd);
	unwatch(j);
	explicit_bzero(&j->hmac, sizeof(j->hmac));
	free(j->batch);
	free(j->backlog);
	free(j->path);
	free(j);
}
