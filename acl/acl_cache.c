/*
 * The compiled policy cache (format: schema/cache.md).
 *
 * Writing: encode into memory, mkstemp in the target's folder, write,
 * fsync, fchmod 0644, rename over the target, fsync the folder; the
 * temporary file is unlinked on any error.
 *
 * Loading: open O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC, check the
 * descriptor (regular file, owner root or us, not group/other-writable,
 * bounded size), read it, check header and CRC, then decode with a reader
 * that bounds-checks every length and count, and rebuild the policy
 * through the same code the parsers use: regexes are recompiled from their
 * source (never pcre2_serialize), literal indexes rebuilt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "acl/acl_int.h"

#define HDR_SIZE	64
#define FORMAT_VERSION	1
#define STR_MAX		4096		/* any one string in the cache */

/* CRC-32 (IEEE 802.3, reflected 0xedb88320), one byte at a time. */
static const uint32_t crc_table[256] = {
	0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u,
	0x706af48fu, 0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u,
	0xe0d5e91eu, 0x97d2d988u, 0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u,
	0x90bf1d91u, 0x1db71064u, 0x6ab020f2u, 0xf3b97148u, 0x84be41deu,
	0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u, 0x136c9856u,
	0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
	0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u,
	0xa2677172u, 0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu,
	0x35b5a8fau, 0x42b2986cu, 0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u,
	0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u, 0x26d930acu, 0x51de003au,
	0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u, 0xcfba9599u,
	0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
	0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u,
	0x01db7106u, 0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu,
	0x9fbfe4a5u, 0xe8b8d433u, 0x7807c9a2u, 0x0f00f934u, 0x9609a88eu,
	0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du, 0x91646c97u, 0xe6635c01u,
	0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu, 0x6c0695edu,
	0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
	0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u,
	0xfbd44c65u, 0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u,
	0x4adfa541u, 0x3dd895d7u, 0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au,
	0x346ed9fcu, 0xad678846u, 0xda60b8d0u, 0x44042d73u, 0x33031de5u,
	0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau, 0xbe0b1010u,
	0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
	0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u,
	0x2eb40d81u, 0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u,
	0x03b6e20cu, 0x74b1d29au, 0xead54739u, 0x9dd277afu, 0x04db2615u,
	0x73dc1683u, 0xe3630b12u, 0x94643b84u, 0x0d6d6a3eu, 0x7a6a5aa8u,
	0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u, 0xf00f9344u,
	0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
	0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au,
	0x67dd4accu, 0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u,
	0xd6d6a3e8u, 0xa1d1937eu, 0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u,
	0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu, 0xd80d2bdau, 0xaf0a1b4cu,
	0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u, 0x316e8eefu,
	0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
	0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu,
	0xb2bd0b28u, 0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u,
	0x2cd99e8bu, 0x5bdeae1du, 0x9b64c2b0u, 0xec63f226u, 0x756aa39cu,
	0x026d930au, 0x9c0906a9u, 0xeb0e363fu, 0x72076785u, 0x05005713u,
	0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u, 0x92d28e9bu,
	0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
	0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u,
	0x18b74777u, 0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu,
	0x8f659effu, 0xf862ae69u, 0x616bffd3u, 0x166ccf45u, 0xa00ae278u,
	0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u, 0xa7672661u, 0xd06016f7u,
	0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu, 0x40df0b66u,
	0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
	0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u,
	0xcdd70693u, 0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u,
	0x5d681b02u, 0x2a6f2b94u, 0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu,
	0x2d02ef8du,
};

static uint32_t
crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* CRC over the header without its crc field, then the payload. */
static uint32_t
cache_crc(const unsigned char *buf, size_t len)
{
	uint32_t crc = crc32_update(0, buf, 24);

	crc = crc32_update(crc, buf + 28, HDR_SIZE - 28);
	return crc32_update(crc, buf + HDR_SIZE, len - HDR_SIZE);
}

/* ---- encoding --------------------------------------------------------------- */

struct enc {
	unsigned char *p;
	size_t n, cap;
	int oom;
	uint32_t nrules;
};

static void
put(struct enc *e, const void *s, size_t n)
{
	if (e->oom || n == 0)
		return;
	if (e->n + n > e->cap) {
		size_t cap = e->cap * 2 + n + 256;
		unsigned char *p = realloc(e->p, cap);

		if (p == NULL) {
			e->oom = 1;
			return;
		}
		e->p = p;
		e->cap = cap;
	}
	memcpy(e->p + e->n, s, n);
	e->n += n;
}

static void
put_u32(struct enc *e, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	put(e, b, 4);
}

static void
put_u64(struct enc *e, uint64_t v)
{
	put_u32(e, (uint32_t)v);
	put_u32(e, (uint32_t)(v >> 32));
}

static void
put_u8(struct enc *e, unsigned v)
{
	unsigned char b = (unsigned char)v;

	put(e, &b, 1);
}

static void
put_str(struct enc *e, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > STR_MAX)
		e->oom = 1;		/* cannot happen: parsers bound them */
	put_u32(e, (uint32_t)n);
	put(e, s, n);
}

static void
put_strv(struct enc *e, char *const *v, size_t n)
{
	size_t i;

	put_u32(e, (uint32_t)n);
	for (i = 0; i < n; i++)
		put_str(e, v[i]);
}

static void
put_nets(struct enc *e, const struct acl_net *nets, size_t n)
{
	size_t i;

	put_u32(e, (uint32_t)n);
	for (i = 0; i < n; i++) {
		put_u32(e, nets[i].addr);
		put_u32(e, nets[i].mask);
	}
}

static void
put_set(struct enc *e, const struct acl_set *s)
{
	const struct acl_rule *r;
	size_t i;

	put_str(e, s->file);
	put_u32(e, (uint32_t)s->n);
	for (i = 0; i < s->n; i++) {
		r = &s->rules[i];
		put_u8(e, r->ref.action);
		put_u8(e, r->kind);
		put_u32(e, r->ref.line);
		put_u32(e, r->ref.col);
		put_u8(e, r->id != NULL);
		put_str(e, r->id);
		put_str(e, r->pat);
		put_strv(e, r->names, r->nnames);
		put_strv(e, r->from, r->nfrom);
		put_nets(e, r->nets, r->nnets);
		e->nrules++;
	}
}

static void
put_policy(struct enc *e, const struct acl *a)
{
	size_t i;

	put_u32(e, (uint32_t)a->strict);
	put_u32(e, (uint32_t)(a->forced + 1));
	put_str(e, a->file);
	put_u32(e, (uint32_t)a->nnets);
	for (i = 0; i < a->nnets; i++) {
		put_str(e, a->nets[i].name);
		put_nets(e, a->nets[i].nets, a->nets[i].n);
	}
	put_set(e, &a->site);
	put_u32(e, (uint32_t)a->nusers);
	for (i = 0; i < a->nusers; i++) {
		put_str(e, a->users[i].user);
		put_set(e, &a->users[i].set);
	}
	put_u32(e, (uint32_t)a->ntrcs);
	for (i = 0; i < a->ntrcs; i++) {
		const struct acl_stamp *st = &a->trcs[i].stamp;

		put_str(e, a->trcs[i].user);
		put_u64(e, st->dev);
		put_u64(e, st->ino);
		put_u64(e, st->size);
		put_u64(e, (uint64_t)st->mtime_ns);
		put_u64(e, (uint64_t)st->ctime_ns);
		put_u32(e, (uint32_t)(a->trcs[i].rc->forced + 1));
		put_str(e, a->trcs[i].rc->file);
		put_set(e, &a->trcs[i].rc->site);
	}
	put_u32(e, (uint32_t)a->ntests);
	for (i = 0; i < a->ntests; i++) {
		const struct acl_test *t = &a->tests[i].t;

		put_str(e, t->caller);
		put_str(e, t->callee);
		put_u32(e, t->addr);
		put_u8(e, t->expect_allow != 0);
		put_u32(e, t->line);
		put_u32(e, t->col);
	}
}

/* Fill in the header's payload size and CRC of a whole image. */
void
acl_cache_seal(unsigned char *img, size_t len)
{
	uint64_t plen = len - HDR_SIZE;
	uint32_t crc;
	int i;

	for (i = 0; i < 8; i++)
		img[16 + i] = (unsigned char)(plen >> (8 * i));
	crc = cache_crc(img, len);
	for (i = 0; i < 4; i++)
		img[24 + i] = (unsigned char)(crc >> (8 * i));
}

/* The whole file image: header, then payload. */
int
acl_cache_image(const struct acl *a, unsigned char **out, size_t *len)
{
	struct enc e = { NULL, 0, 0, 0, 0 };
	unsigned char hdr[HDR_SIZE];
	char ver[32];
	int i;

	memset(hdr, 0, sizeof hdr);
	put(&e, hdr, sizeof hdr);
	put_policy(&e, a);
	if (e.oom) {
		free(e.p);
		return -1;
	}
	memcpy(e.p, ACL_CACHE_MAGIC, 8);
	for (i = 0; i < 4; i++) {
		e.p[8 + i] = (unsigned char)(FORMAT_VERSION >> (8 * i));
		e.p[12 + i] = (unsigned char)(HDR_SIZE >> (8 * i));
		e.p[28 + i] = (unsigned char)(e.nrules >> (8 * i));
	}
	memset(ver, 0, sizeof ver);
	if (pcre2_config(PCRE2_CONFIG_VERSION, ver) < 0 ||
	    memchr(ver, '\0', sizeof ver) == NULL)
		memset(ver, 0, sizeof ver);
	memcpy(e.p + 32, ver, sizeof ver);
	acl_cache_seal(e.p, e.n);
	*out = e.p;
	*len = e.n;
	return 0;
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
acl_cache_write(const struct acl *policy, const char *path,
    struct acl_err *err)
{
	unsigned char *img = NULL;
	char tmp[4096], dir[4096];
	const char *slash;
	size_t len;
	int fd = -1, n, e;

	if (acl_cache_image(policy, &img, &len) < 0) {
		acl_err_set(err, path, 0, 0, "cannot encode the policy (out "
		    "of memory, or a string longer than %d bytes)", STR_MAX);
		return -1;
	}
	n = snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		acl_err_set(err, path, 0, 0, "path too long");
		free(img);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		acl_err_set(err, path, 0, 0, "cannot create a temporary file "
		    "next to it: %s", strerror(errno));
		free(img);
		return -1;
	}
	if (write_all(fd, img, len) < 0 || fsync(fd) < 0 ||
	    fchmod(fd, 0644) < 0) {
		e = errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		e = errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		e = errno;
		goto fail;
	}
	free(img);
	/* make the rename durable; a failure here loses nothing written */
	slash = strrchr(path, '/');
	n = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash - path + 1),
	    path) : snprintf(dir, sizeof dir, ".");
	if (n > 0 && (size_t)n < sizeof dir &&
	    (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(img);
	acl_err_set(err, path, 0, 0, "cannot write: %s", strerror(e));
	return -1;
}

/* ---- decoding ---------------------------------------------------------------- */

struct dec {
	const unsigned char *p;
	size_t n, off;
	int bad;
	const char *what;		/* first problem */
	size_t at;
	uint32_t nrules;
};

static int
fail(struct dec *d, const char *what)
{
	if (!d->bad) {
		d->bad = 1;
		d->what = what;
		d->at = d->off;
	}
	return -1;
}

static int
get(struct dec *d, void *out, size_t n)
{
	if (d->bad || d->n - d->off < n) {
		if (out != NULL)
			memset(out, 0, n);
		return fail(d, "truncated record");
	}
	if (out != NULL)
		memcpy(out, d->p + d->off, n);
	d->off += n;
	return 0;
}

static uint32_t
get_u32(struct dec *d)
{
	unsigned char b[4];

	if (get(d, b, 4) < 0)
		return 0;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static uint64_t
get_u64(struct dec *d)
{
	uint64_t lo = get_u32(d);

	return lo | (uint64_t)get_u32(d) << 32;
}

static unsigned
get_u8(struct dec *d)
{
	unsigned char b = 0;

	get(d, &b, 1);
	return b;
}

/* A count of elements of at least min bytes each that must still fit. */
static size_t
get_count(struct dec *d, size_t min)
{
	uint32_t c = get_u32(d);

	if (d->bad)
		return 0;
	if (c > (d->n - d->off) / min) {
		fail(d, "count larger than the rest of the file");
		return 0;
	}
	return c;
}

static char *
get_str(struct dec *d, size_t max)
{
	size_t n = get_u32(d);
	char *s;

	if (d->bad)
		return NULL;
	if (n > max || n > d->n - d->off) {
		fail(d, "string length out of bounds");
		return NULL;
	}
	if (memchr(d->p + d->off, '\0', n) != NULL) {
		fail(d, "NUL byte in a string");
		return NULL;
	}
	if ((s = acl_strndup((const char *)d->p + d->off, n)) == NULL) {
		fail(d, "out of memory");
		return NULL;
	}
	d->off += n;
	return s;
}

static int
get_strv(struct dec *d, char ***v, size_t *n, size_t max)
{
	size_t c = get_count(d, 4), i;

	*v = NULL;
	*n = 0;
	if (d->bad || c == 0)
		return d->bad ? -1 : 0;
	if ((*v = calloc(c, sizeof **v)) == NULL)
		return fail(d, "out of memory");
	for (i = 0; i < c; i++) {
		(*v)[i] = get_str(d, max);
		if ((*v)[i] == NULL)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
get_nets(struct dec *d, struct acl_net **nets, size_t *n)
{
	size_t c = get_count(d, 8), i;
	uint32_t inv;

	*nets = NULL;
	*n = 0;
	if (d->bad || c == 0)
		return d->bad ? -1 : 0;
	if ((*nets = calloc(c, sizeof **nets)) == NULL)
		return fail(d, "out of memory");
	for (i = 0; i < c; i++) {
		(*nets)[i].addr = get_u32(d);
		(*nets)[i].mask = get_u32(d);
		inv = ~(*nets)[i].mask;
		if ((inv & (inv + 1)) != 0 || ((*nets)[i].addr & inv) != 0)
			return fail(d, "invalid network");
		(*n)++;
	}
	return d->bad ? -1 : 0;
}

/*
 * The from tokens must resolve, through the policy's networks, to exactly
 * the stored networks: what talkctl acl show prints is what decides.
 */
static int
check_from(struct dec *d, const struct acl *a, const struct acl_rule *r)
{
	const struct acl_netdef *nd;
	struct acl_net net;
	size_t i, j, k = 0, off;
	char msg[200];

	for (i = 0; i < r->nfrom; i++) {
		for (j = 0, nd = NULL; j < a->nnets && nd == NULL; j++)
			if (strcmp(a->nets[j].name, r->from[i]) == 0)
				nd = &a->nets[j];
		if (nd != NULL) {
			for (j = 0; j < nd->n; j++, k++)
				if (k >= r->nnets ||
				    r->nets[k].addr != nd->nets[j].addr ||
				    r->nets[k].mask != nd->nets[j].mask)
					return fail(d, "networks do not match "
					    "the rule's from list");
			continue;
		}
		if (acl_net_parse(r->from[i], &net, &off, msg, sizeof msg) < 0)
			return fail(d, "unknown network in a from list");
		if (k >= r->nnets || r->nets[k].addr != net.addr ||
		    r->nets[k].mask != net.mask)
			return fail(d, "networks do not match the rule's from "
			    "list");
		k++;
	}
	if (k != r->nnets)
		return fail(d, "networks do not match the rule's from list");
	return 0;
}

static int
get_set(struct dec *d, const struct acl *a, struct acl_set *s, char *msg,
    size_t msgsz)
{
	struct acl_rule *r;
	size_t c, i, off, has_id;

	free(s->file);
	if ((s->file = get_str(d, STR_MAX)) == NULL)
		return -1;
	c = get_count(d, 26);
	for (i = 0; i < c && !d->bad; i++) {
		if ((r = acl_set_add(s)) == NULL)
			return fail(d, "out of memory");
		r->ref.action = get_u8(d) ? ACL_ALLOW : ACL_DENY;
		r->kind = (enum acl_kind)get_u8(d);
		r->ref.line = get_u32(d);
		r->ref.col = get_u32(d);
		has_id = get_u8(d);
		r->id = get_str(d, ACL_NAME_MAX);
		r->pat = get_str(d, ACL_PAT_MAX);
		get_strv(d, &r->names, &r->nnames, ACL_NAME_MAX);
		get_strv(d, &r->from, &r->nfrom, ACL_NAME_MAX);
		get_nets(d, &r->nets, &r->nnets);
		if (d->bad)
			return -1;
		d->nrules++;
		if (r->kind > ACL_K_PCRE || has_id > 1 ||
		    (has_id == 0 && r->id[0] != '\0') ||
		    (has_id == 1 && r->id[0] == '\0'))
			return fail(d, "invalid rule");
		if (!has_id) {
			free(r->id);
			r->id = NULL;
		}
		if ((r->kind == ACL_K_LIT) != (r->nnames > 0) ||
		    ((r->kind == ACL_K_BRE || r->kind == ACL_K_PCRE) ?
		    0 : r->pat[0] != '\0') || (r->nnets == 0 && r->nfrom != 0))
			return fail(d, "inconsistent rule");
		if (r->kind == ACL_K_LIT) {
			size_t n = r->nnames;

			acl_names_sort(r->names, &r->nnames);
			if (n != r->nnames)
				return fail(d, "duplicate user name in a rule");
		}
		if (check_from(d, a, r) < 0)
			return -1;
		if (acl_rule_compile(r, msg, msgsz, &off) < 0)
			return fail(d, "a pattern does not compile");
		if (acl_rule_render(r) < 0)
			return fail(d, "out of memory");
	}
	if (d->bad || acl_set_index(s) < 0)
		return fail(d, "out of memory");
	return 0;
}

static int
get_forced(struct dec *d, int *forced)
{
	uint32_t v = get_u32(d);

	if (v == 0)
		*forced = -1;
	else if (v == ACL_R_INSECURE_TALKRC + 1 || v == ACL_R_BAD_TALKRC + 1)
		*forced = (int)v - 1;
	else
		return fail(d, "invalid talkrc status");
	return 0;
}

static int
get_policy(struct dec *d, struct acl *a, char *msg, size_t msgsz)
{
	size_t c, i;
	uint32_t strict = get_u32(d);

	if (strict > 1)
		return fail(d, "invalid flags");
	a->strict = (int)strict;
	if (get_forced(d, &a->forced) < 0)
		return -1;
	free(a->file);
	if ((a->file = get_str(d, STR_MAX)) == NULL)
		return -1;
	c = get_count(d, 8);
	if (c > 0 && (a->nets = calloc(c, sizeof *a->nets)) == NULL)
		return fail(d, "out of memory");
	for (i = 0; i < c && !d->bad; i++) {
		const char *nm;

		a->nets[i].name = get_str(d, ACL_NAME_MAX);
		a->nnets++;
		get_nets(d, &a->nets[i].nets, &a->nets[i].n);
		if (d->bad)
			return -1;
		nm = a->nets[i].name;
		if (!acl_net_name_ok(nm) || a->nets[i].n == 0)
			return fail(d, "invalid network definition");
	}
	if (get_set(d, a, &a->site, msg, msgsz) < 0)
		return -1;
	c = get_count(d, 12);
	if (c > 0 && (a->users = calloc(c, sizeof *a->users)) == NULL)
		return fail(d, "out of memory");
	for (i = 0; i < c && !d->bad; i++) {
		a->users[i].user = get_str(d, ACL_NAME_MAX);
		a->nusers++;
		if (get_set(d, a, &a->users[i].set, msg, msgsz) < 0)
			return -1;
	}
	c = get_count(d, 56);
	if (c > 0 && (a->trcs = calloc(c, sizeof *a->trcs)) == NULL)
		return fail(d, "out of memory");
	for (i = 0; i < c && !d->bad; i++) {
		struct acl_trc *t = &a->trcs[i];

		t->user = get_str(d, ACL_NAME_MAX);
		a->ntrcs++;
		t->stamp.dev = get_u64(d);
		t->stamp.ino = get_u64(d);
		t->stamp.size = get_u64(d);
		t->stamp.mtime_ns = (int64_t)get_u64(d);
		t->stamp.ctime_ns = (int64_t)get_u64(d);
		if ((t->rc = acl_new("")) == NULL)
			return fail(d, "out of memory");
		if (get_forced(d, &t->rc->forced) < 0)
			return -1;
		free(t->rc->file);
		if ((t->rc->file = get_str(d, STR_MAX)) == NULL)
			return -1;
		if (get_set(d, a, &t->rc->site, msg, msgsz) < 0)
			return -1;
		if (t->rc->forced >= 0 && (t->rc->site.n != 1 ||
		    t->rc->site.rules[0].kind != ACL_K_ANY ||
		    t->rc->site.rules[0].ref.action != ACL_DENY ||
		    t->rc->site.rules[0].nfrom != 0))
			return fail(d, "a deny-all ~/.talkrc copy with other "
			    "rules");
	}
	c = get_count(d, 21);
	if (c > 0 && (a->tests = calloc(c, sizeof *a->tests)) == NULL)
		return fail(d, "out of memory");
	for (i = 0; i < c && !d->bad; i++) {
		struct acl_tcase *t = &a->tests[i];

		t->caller = get_str(d, ACL_NAME_MAX);
		t->callee = get_str(d, ACL_NAME_MAX);
		a->ntests++;
		t->t.caller = t->caller;
		t->t.callee = t->callee;
		t->t.addr = get_u32(d);
		t->t.expect_allow = get_u8(d);
		t->t.line = get_u32(d);
		t->t.col = get_u32(d);
		t->t.file = a->file;
		if (t->t.expect_allow > 1)
			return fail(d, "invalid test case");
	}
	return d->bad ? -1 : 0;
}

int
acl_cache_parse(const char *name, const unsigned char *buf, size_t len,
    struct acl **out, struct acl_err *err)
{
	struct dec d;
	struct acl *a = NULL;
	uint64_t plen;
	uint32_t v, crc, nrules;
	char msg[200], ver[32];

	*out = NULL;
	if (len < HDR_SIZE || memcmp(buf, ACL_CACHE_MAGIC, 8) != 0) {
		acl_err_set(err, name, 0, 0, "not a talkd ACL cache (%s)",
		    len < HDR_SIZE ? "too short for a header" : "bad magic");
		return -1;
	}
	v = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 |
	    (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
	if (v != FORMAT_VERSION) {
		acl_err_set(err, name, 0, 0, "cache format version %lu, this "
		    "program reads version %d (run talkctl acl compile)",
		    (unsigned long)v, FORMAT_VERSION);
		return -1;
	}
	d.p = buf;
	d.n = len;
	d.off = 12;
	d.bad = 0;
	v = get_u32(&d);
	plen = get_u64(&d);
	crc = get_u32(&d);
	nrules = get_u32(&d);
	get(&d, ver, sizeof ver);
	if (v != HDR_SIZE || memchr(ver, '\0', sizeof ver) == NULL) {
		acl_err_set(err, name, 0, 0, "corrupted cache: bad header");
		return -1;
	}
	if (plen != len - HDR_SIZE) {
		acl_err_set(err, name, 0, 0, "corrupted cache: %s (header "
		    "says %llu payload bytes, file has %zu)",
		    plen > len - HDR_SIZE ? "truncated" : "trailing bytes",
		    (unsigned long long)plen, len - HDR_SIZE);
		return -1;
	}
	if (cache_crc(buf, len) != crc) {
		acl_err_set(err, name, 0, 0, "corrupted cache: checksum "
		    "mismatch");
		return -1;
	}
	d.off = HDR_SIZE;
	d.nrules = 0;
	msg[0] = '\0';
	if ((a = acl_new(name)) == NULL) {
		acl_err_set(err, name, 0, 0, "out of memory");
		return -1;
	}
	if (get_policy(&d, a, msg, sizeof msg) == 0) {
		if (d.off != d.n)
			fail(&d, "trailing bytes after the last record");
		else if (d.nrules != nrules)
			fail(&d, "rule count does not match the header");
		else if (acl_policy_finish(a, msg, sizeof msg) < 0)
			fail(&d, "invalid policy");
	}
	if (d.bad) {
		if (msg[0] != '\0')
			acl_err_set(err, name, 0, 0, "corrupted cache: %s at "
			    "byte %zu: %s", d.what, d.at, msg);
		else
			acl_err_set(err, name, 0, 0, "corrupted cache: %s at "
			    "byte %zu", d.what, d.at);
		acl_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int
acl_cache_open(const char *path, struct acl **out, struct acl_err *err)
{
	return acl_cache_open_as(path, geteuid(), out, err);
}

int
acl_cache_open_as(const char *path, uid_t trusted, struct acl **out,
    struct acl_err *err)
{
	struct acl_err dummy;
	struct stat st;
	char *buf;
	size_t len;
	int fd, rc;

	*out = NULL;
	if (err == NULL)
		err = &dummy;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0) {
		acl_err_set(err, path, 0, 0, "cannot open: %s%s",
		    strerror(errno), errno == ELOOP ?
		    " (symbolic links are refused)" : "");
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		acl_err_set(err, path, 0, 0, "cannot stat: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 &&
	    (trusted == (uid_t)-1 || st.st_uid != trusted)) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		acl_err_set(err, path, 0, 0, "refusing the cache: %s",
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    (st.st_mode & (S_IWGRP | S_IWOTH)) ?
		    "writable by group or others" : trusted == (uid_t)-1 ?
		    "not owned by root (only root may change the policy)" :
		    "owned by someone other than root or this user");
		close(fd);
		return -1;
	}
	rc = acl_read_fd(fd, path, ACL_FILE_MAX, &buf, &len, err);
	close(fd);
	if (rc < 0)
		return -1;
	rc = acl_cache_parse(path, (const unsigned char *)buf, len, out, err);
	free(buf);
	return rc;
}
