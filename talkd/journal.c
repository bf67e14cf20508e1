/*
 * The audit journal (schema/journal.md): one JSON line per event, at most
 * 1 KiB, written with one write(2) on an O_APPEND descriptor so records
 * never interleave.  Before every write the path is compared with the open
 * descriptor, so a rotated-away journal is reopened.  Records that cannot
 * be written (disk full, unwritable path) wait in a bounded backlog and are
 * retried first; past that they are counted and a journal.lost record says
 * how many.  The daemon never stops answering because of its journal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "talkd/talkd.h"

#define REC_MAX		1024
#define BACKLOG_MAX	256
#define FIELD_CAP	160	/* escaped bytes kept of a free-text field */

struct journal {
	char *path;
	int fd;
	char run[17];
	unsigned long long seq;
	unsigned long lost;		/* dropped, not yet reported */
	char (*backlog)[REC_MAX];
	size_t blen[BACKLOG_MAX], bhead, bcount;
	int64_t last_complaint;
};

static int
journal_openfd(struct journal *j)
{
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK, 0640);
	return j->fd;
}

struct journal *
journal_open(const char *path)
{
	struct journal *j;
	unsigned char rnd[8];
	size_t i;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->fd = -1;
	if (path && ((j->path = strdup(path)) == NULL ||
	    (j->backlog = calloc(BACKLOG_MAX, REC_MAX)) == NULL)) {
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
	if (j->path && journal_openfd(j) < 0)
		log_warn("journal %s", j->path);
	return j;
}

/* Append s as a JSON string body, escaped; stop before cap output bytes. */
static size_t
json_str(char *out, size_t room, const char *s, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (cap > room)
		cap = room;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[6];
		size_t k;

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			k = 2;
		} else if (c >= 0x20 && c < 0x7f) {
			tmp[0] = (char)c;
			k = 1;
		} else {
			memcpy(tmp, "\\u00", 4);
			tmp[4] = hex[c >> 4];
			tmp[5] = hex[c & 15];
			k = 6;
		}
		if (o + k > cap)
			break;
		memcpy(out + o, tmp, k);
		o += k;
	}
	return o;
}

struct buf {
	char *p;
	size_t len, o;
	int full;
};

static void
put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->o, b->len - b->o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->o)
		b->full = 1;
	else
		b->o += (size_t)n;
}

static void
put_str(struct buf *b, const char *key, const char *val, size_t cap)
{
	if (!val)
		return;
	put(b, ",\"%s\":\"", key);
	if (b->full)
		return;
	b->o += json_str(b->p + b->o, b->len - b->o, val, cap);
	put(b, "\"");
}

size_t
journal_encode(char *out, size_t len, const char *run, unsigned long long seq,
    const struct timespec *ts, const struct jrec *r)
{
	struct buf b = { out, len, 0, 0 };
	char when[32], src[32], addr[INET_ADDRSTRLEN];
	struct tm tm;

	if (!gmtime_r(&ts->tv_sec, &tm) ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return 0;
	put(&b, "{\"v\":1,\"run\":\"%s\",\"seq\":%llu,\"ts\":\"%s.%06ldZ\"",
	    run, seq, when, ts->tv_nsec / 1000);
	put_str(&b, "event", r->event, FIELD_CAP);
	put_str(&b, "type", r->type, FIELD_CAP);
	put_str(&b, "caller", r->caller, FIELD_CAP);
	put_str(&b, "callee", r->callee, FIELD_CAP);
	if (r->src) {
		inet_ntop(AF_INET, &r->src->sin_addr, addr, sizeof(addr));
		snprintf(src, sizeof(src), "%s:%u", addr,
		    ntohs(r->src->sin_port));
		put_str(&b, "src", src, FIELD_CAP);
	}
	put_str(&b, "tty", r->tty, FIELD_CAP);
	if (r->has_id)
		put(&b, ",\"id\":%" PRIu32, r->id);
	if (r->is_new >= 0 && r->event && strcmp(r->event, "invite.left") == 0)
		put(&b, ",\"new\":%s", r->is_new ? "true" : "false");
	put_str(&b, "answer", r->answer, FIELD_CAP);
	put_str(&b, "rule", r->rule, FIELD_CAP);
	put_str(&b, "reason", r->reason, FIELD_CAP);
	put_str(&b, "host", r->host, FIELD_CAP);
	put_str(&b, "msg", r->msg, FIELD_CAP);
	if (r->count)
		put(&b, ",\"count\":%lu", r->count);
	put(&b, "}\n");
	return b.full ? 0 : b.o;
}

/* Reopen when the path no longer names the open file (rotation). */
static void
check_rotation(struct journal *j)
{
	struct stat ps, fs;

	if (j->fd >= 0 && stat(j->path, &ps) == 0 && fstat(j->fd, &fs) == 0 &&
	    ps.st_dev == fs.st_dev && ps.st_ino == fs.st_ino)
		return;
	journal_reopen(j);
}

void
journal_reopen(struct journal *j)
{
	if (!j || !j->path)
		return;
	if (j->fd >= 0)
		close(j->fd);
	if (journal_openfd(j) < 0) {
		int64_t now = now_ms();
		if (now - j->last_complaint > 60000 || j->last_complaint == 0) {
			log_warn("journal %s", j->path);
			j->last_complaint = now;
		}
	}
}

static int
write_one(struct journal *j, const char *rec, size_t len)
{
	ssize_t n;
	off_t end;

	if (j->fd < 0)
		return -1;
	n = write(j->fd, rec, len);
	if (n == (ssize_t)len)
		return 0;
	if (n > 0 && (end = lseek(j->fd, 0, SEEK_END)) >= n) {
		/*
		 * A short write (disk full) left part of a record: cut it off,
		 * so the record can be written whole later and the next one
		 * does not start mid-line.  The daemon is the only writer.
		 */
		if (ftruncate(j->fd, end - n) < 0)
			(void)!write(j->fd, "\n", 1);
	}
	return -1;
}

static void
complain(struct journal *j)
{
	int64_t now = now_ms();

	if (j->last_complaint == 0 || now - j->last_complaint > 60000) {
		log_warn("journal %s: write failed, keeping records in memory",
		    j->path);
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

static size_t
encode_now(struct journal *j, char *rec, const struct jrec *r)
{
	struct timespec ts;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &ts);
	len = journal_encode(rec, REC_MAX, j->run, j->seq + 1, &ts, r);
	if (len == 0) {
		/* Cannot happen with bounded fields; keep the event anyway. */
		struct jrec min = { .event = r->event, .is_new = -1,
		    .msg = "record truncated" };
		len = journal_encode(rec, REC_MAX, j->run, j->seq + 1, &ts,
		    &min);
	}
	if (len)
		j->seq++;
	return len;
}

void
journal_write(struct journal *j, const struct jrec *r)
{
	char rec[REC_MAX];
	size_t len;

	if (!j || !j->path)
		return;
	check_rotation(j);
	if (backlog_flush(j) == 0 && j->lost > 0) {
		struct jrec lost = { .event = "journal.lost", .is_new = -1,
		    .count = j->lost };
		if ((len = encode_now(j, rec, &lost)) && write_one(j, rec,
		    len) == 0)
			j->lost = 0;
	}
	if ((len = encode_now(j, rec, r)) == 0)
		return;
	if (j->bcount > 0 || write_one(j, rec, len) < 0) {
		complain(j);
		backlog_push(j, rec, len);
	}
}

void
journal_chown(struct journal *j, uid_t uid)
{
	struct stat st;

	/*
	 * The owner only: the group stays what the state directory gives
	 * (talkd, for readers of the journal, talkctl(8)).
	 */
	if (j && j->fd >= 0 && fstat(j->fd, &st) == 0 && st.st_uid == 0 &&
	    fchown(j->fd, uid, (gid_t)-1) < 0)
		log_warn("journal %s: chown", j->path);
}

void
journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->path) {
		check_rotation(j);
		backlog_flush(j);
	}
	if (j->fd >= 0)
		close(j->fd);
	free(j->backlog);
	free(j->path);
	free(j);
}
