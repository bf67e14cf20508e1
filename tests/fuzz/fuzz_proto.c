/*
 * libFuzzer target for proto_decode: any bytes, any length.  A message
 * that decodes must survive encode + decode unchanged, and everything the
 * decoder hands out must be bounded and NUL-terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "talkd/talkd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *s, size_t max)
{
	size_t i, n = strnlen(s, max + 1);

	if (n > max)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
}

static int
same(const struct ctl_msg *a, const struct ctl_msg *b)
{
	return a->vers == b->vers && a->type == b->type &&
	    a->answer == b->answer && a->pad == b->pad &&
	    a->id_num == b->id_num &&
	    a->addr.family == b->addr.family && a->addr.port == b->addr.port &&
	    a->addr.addr == b->addr.addr &&
	    a->ctl_addr.family == b->ctl_addr.family &&
	    a->ctl_addr.port == b->ctl_addr.port &&
	    a->ctl_addr.addr == b->ctl_addr.addr && a->pid == b->pid &&
	    strcmp(a->l_name, b->l_name) == 0 &&
	    strcmp(a->r_name, b->r_name) == 0 &&
	    strcmp(a->r_tty, b->r_tty) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_msg m, m2;
	struct ctl_resp r, r2;
	enum ctl_answer a, a2;
	const char *why, *why2;
	uint8_t out[CTL_MSG_SIZE], resp[CTL_RESP_SIZE];
	enum proto_status st;

	st = proto_decode(data, size, &m, &a, &why);
	switch (st) {
	case PROTO_DROP:
		if (size == CTL_MSG_SIZE || why == NULL)
			abort();
		return 0;
	case PROTO_REPLY:
		if (size != CTL_MSG_SIZE || why == NULL || a == SUCCESS ||
		    a > BADCTLADDR)
			abort();
		/* The reply it gets carries nothing but vers/type/answer. */
		memset(&r, 0, sizeof(r));
		r.vers = TALK_VERSION;
		r.type = m.type;
		r.answer = (uint8_t)a;
		proto_encode_resp(&r, resp);
		if (proto_decode_resp(resp, sizeof(resp), &r2) != 0 ||
		    r2.type != data[1] || r2.answer != a || r2.id_num != 0 ||
		    r2.addr.family != 0 || r2.addr.addr != 0)
			abort();
		return 0;
	case PROTO_OK:
		break;
	default:
		abort();
	}
	if (size != CTL_MSG_SIZE || why != NULL || a != SUCCESS ||
	    m.vers != TALK_VERSION || m.type > ANNOUNCE ||
	    m.ctl_addr.family != OSA_AF_INET ||
	    (m.type != DELETE && m.addr.family != OSA_AF_INET))
		abort();
	check_name(m.l_name, NAME_SIZE);
	check_name(m.r_name, NAME_SIZE);
	check_name(m.r_tty, TTY_SIZE);

	proto_encode(&m, out);
	if (proto_decode(out, sizeof(out), &m2, &a2, &why2) != PROTO_OK ||
	    a2 != SUCCESS || !same(&m, &m2))
		abort();
	/* The fixed fields are the input's bytes (the osockaddr tails are
	 * zeroed on the way out). */
	if (memcmp(out, data, 16) != 0 || memcmp(out + 24, data + 24, 8) != 0 ||
	    memcmp(out + 40, data + 40, 4) != 0)
		abort();
	return 0;
}
