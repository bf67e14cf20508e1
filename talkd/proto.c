/*
 * The ntalk wire format: 84-byte CTL_MSG in, 24-byte CTL_RESPONSE out, all
 * integers big-endian, addresses as 4.3BSD osockaddr.  Fields are decoded by
 * offset, so no struct layout or padding is ever trusted.
 */
#include <string.h>

#include "talkd/talkd.h"

/* CTL_MSG offsets */
enum {
	M_VERS = 0, M_TYPE = 1, M_ANSWER = 2, M_PAD = 3, M_ID = 4, M_ADDR = 8,
	M_CTL = 24, M_PID = 40, M_LNAME = 44, M_RNAME = 56, M_RTTY = 68,
	M_END = 84
};
_Static_assert(M_END == CTL_MSG_SIZE, "CTL_MSG is 84 bytes");
_Static_assert(M_RTTY + TTY_SIZE == CTL_MSG_SIZE, "r_tty ends the message");

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
get_osa(const uint8_t *p, struct osa *a)
{
	a->family = get16(p);
	a->port = get16(p + 2);
	a->addr = get32(p + 4);
}

static void
put_osa(uint8_t *p, const struct osa *a)
{
	memset(p, 0, 16);
	put16(p, a->family);
	put16(p + 2, a->port);
	put32(p + 4, a->addr);
}

/*
 * Copy a fixed-size name field and bound it: the copy stops at the first
 * NUL or at the end of the field and is always terminated.  Returns 0 when
 * every byte up to the terminator is printable ASCII.
 */
static int
get_name(const uint8_t *p, size_t len, char *out)
{
	size_t i;
	int ok = 1;

	for (i = 0; i < len && p[i] != '\0'; i++) {
		out[i] = (char)p[i];
		if (p[i] < 0x20 || p[i] > 0x7e)
			ok = 0;
	}
	out[i] = '\0';
	return ok ? 0 : -1;
}

enum proto_status
proto_decode(const void *buf, size_t n, struct ctl_msg *m,
    enum ctl_answer *answer, const char **why)
{
	const uint8_t *p = buf;
	int names_ok;

	memset(m, 0, sizeof(*m));
	*answer = SUCCESS;
	*why = NULL;
	if (n != CTL_MSG_SIZE) {
		*why = n < CTL_MSG_SIZE ? "short packet" : "long packet";
		return PROTO_DROP;
	}
	m->vers = p[M_VERS];
	m->type = p[M_TYPE];
	m->answer = p[M_ANSWER];
	m->pad = p[M_PAD];
	m->id_num = get32(p + M_ID);
	get_osa(p + M_ADDR, &m->addr);
	get_osa(p + M_CTL, &m->ctl_addr);
	m->pid = (int32_t)get32(p + M_PID);
	names_ok = get_name(p + M_LNAME, NAME_SIZE, m->l_name) == 0;
	names_ok &= get_name(p + M_RNAME, NAME_SIZE, m->r_name) == 0;
	names_ok &= get_name(p + M_RTTY, TTY_SIZE, m->r_tty) == 0;

	if (m->vers != TALK_VERSION) {
		*answer = BADVERSION;
		*why = "bad version";
	} else if (m->type > ANNOUNCE) {
		*answer = UNKNOWN_REQUEST;
		*why = "unknown request type";
	} else if (m->ctl_addr.family != OSA_AF_INET) {
		*answer = BADCTLADDR;
		*why = "ctl_addr family not AF_INET";
	} else if (m->type != DELETE && m->addr.family != OSA_AF_INET) {
		*answer = BADADDR;
		*why = "addr family not AF_INET";
	} else if (!names_ok) {
		*answer = FAILED;
		*why = "name with a byte outside printable ASCII";
	} else
		return PROTO_OK;
	return PROTO_REPLY;
}

void
proto_encode(const struct ctl_msg *m, uint8_t out[CTL_MSG_SIZE])
{
	memset(out, 0, CTL_MSG_SIZE);
	out[M_VERS] = m->vers;
	out[M_TYPE] = m->type;
	out[M_ANSWER] = m->answer;
	out[M_PAD] = m->pad;
	put32(out + M_ID, m->id_num);
	put_osa(out + M_ADDR, &m->addr);
	put_osa(out + M_CTL, &m->ctl_addr);
	put32(out + M_PID, (uint32_t)m->pid);
	memcpy(out + M_LNAME, m->l_name, strnlen(m->l_name, NAME_SIZE));
	memcpy(out + M_RNAME, m->r_name, strnlen(m->r_name, NAME_SIZE));
	memcpy(out + M_RTTY, m->r_tty, strnlen(m->r_tty, TTY_SIZE));
}

void
proto_encode_resp(const struct ctl_resp *r, uint8_t out[CTL_RESP_SIZE])
{
	memset(out, 0, CTL_RESP_SIZE);
	out[0] = r->vers;
	out[1] = r->type;
	out[2] = r->answer;
	put32(out + 4, r->id_num);
	if (r->addr.family != 0)
		put_osa(out + 8, &r->addr);
}

int
proto_decode_resp(const void *buf, size_t n, struct ctl_resp *r)
{
	const uint8_t *p = buf;

	memset(r, 0, sizeof(*r));
	if (n != CTL_RESP_SIZE)
		return -1;
	r->vers = p[0];
	r->type = p[1];
	r->answer = p[2];
	r->id_num = get32(p + 4);
	get_osa(p + 8, &r->addr);
	return 0;
}

const char *
proto_type_str(unsigned type)
{
	static const char *const names[] = {
		"LEAVE_INVITE", "LOOK_UP", "DELETE", "ANNOUNCE"
	};

	return type < 4 ? names[type] : "UNKNOWN";
}

const char *
proto_answer_str(unsigned answer)
{
	static const char *const names[] = {
		"SUCCESS", "NOT_HERE", "FAILED", "MACHINE_UNKNOWN",
		"PERMISSION_DENIED", "UNKNOWN_REQUEST", "BADVERSION", "BADADDR",
		"BADCTLADDR"
	};

	return answer < 9 ? names[answer] : "UNKNOWN";
}
