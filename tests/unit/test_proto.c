/*
 * proto.c: the 84-byte CTL_MSG decoder and the encoders, checked byte by
 * byte against the wire layout (reference ntalk-implementations.md 1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "talkd/talkd.h"

/* A valid LOOK_UP with a distinct value in every byte that matters. */
static void
valid_msg(uint8_t b[CTL_MSG_SIZE])
{
	memset(b, 0, CTL_MSG_SIZE);
	b[0] = 1;			/* vers */
	b[1] = LOOK_UP;			/* type */
	b[2] = 0x5a;			/* answer */
	b[3] = 0xa5;			/* pad */
	b[4] = 0x12; b[5] = 0x34; b[6] = 0x56; b[7] = 0x78;	/* id */
	/* addr: AF_INET, port 0x1f90 (8080), 10.1.2.3 */
	b[8] = 0x00; b[9] = 0x02; b[10] = 0x1f; b[11] = 0x90;
	b[12] = 10; b[13] = 1; b[14] = 2; b[15] = 3;
	/* ctl_addr: AF_INET, port 0xc001, 192.168.7.9 */
	b[24] = 0x00; b[25] = 0x02; b[26] = 0xc0; b[27] = 0x01;
	b[28] = 192; b[29] = 168; b[30] = 7; b[31] = 9;
	/* pid 0xfedcba98 (negative as int32) */
	b[40] = 0xfe; b[41] = 0xdc; b[42] = 0xba; b[43] = 0x98;
	memcpy(b + 44, "alice", 5);
	memcpy(b + 56, "bob", 3);
	memcpy(b + 68, "pts/3", 5);
}

/* Field by field: struct padding is no part of the message. */
static void
assert_msg_equal(const struct ctl_msg *a, const struct ctl_msg *b)
{
	assert_int_equal(a->vers, b->vers);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->answer, b->answer);
	assert_int_equal(a->pad, b->pad);
	assert_int_equal(a->id_num, b->id_num);
	assert_int_equal(a->addr.family, b->addr.family);
	assert_int_equal(a->addr.port, b->addr.port);
	assert_int_equal(a->addr.addr, b->addr.addr);
	assert_int_equal(a->ctl_addr.family, b->ctl_addr.family);
	assert_int_equal(a->ctl_addr.port, b->ctl_addr.port);
	assert_int_equal(a->ctl_addr.addr, b->ctl_addr.addr);
	assert_int_equal(a->pid, b->pid);
	assert_string_equal(a->l_name, b->l_name);
	assert_string_equal(a->r_name, b->r_name);
	assert_string_equal(a->r_tty, b->r_tty);
}

static enum proto_status
decode(const uint8_t *b, size_t n, struct ctl_msg *m, enum ctl_answer *a)
{
	const char *why = "unset";
	enum proto_status st = proto_decode(b, n, m, a, &why);

	if (st == PROTO_OK)
		assert_null(why);
	else
		assert_non_null(why);	/* the journal needs a reason */
	return st;
}

static void
test_decode_valid_fields_at_offsets(void **state)
{
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a = BADCTLADDR;

	(void)state;
	valid_msg(b);
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_OK);
	assert_int_equal(a, SUCCESS);
	assert_int_equal(m.vers, 1);
	assert_int_equal(m.type, LOOK_UP);
	assert_int_equal(m.answer, 0x5a);
	assert_int_equal(m.pad, 0xa5);
	assert_int_equal(m.id_num, 0x12345678U);
	assert_int_equal(m.addr.family, OSA_AF_INET);
	assert_int_equal(m.addr.port, 8080);
	assert_int_equal(m.addr.addr, 0x0a010203U);
	assert_int_equal(m.ctl_addr.family, OSA_AF_INET);
	assert_int_equal(m.ctl_addr.port, 0xc001);
	assert_int_equal(m.ctl_addr.addr, 0xc0a80709U);
	assert_int_equal(m.pid, (int32_t)0xfedcba98U);
	assert_true(m.pid < 0);
	assert_string_equal(m.l_name, "alice");
	assert_string_equal(m.r_name, "bob");
	assert_string_equal(m.r_tty, "pts/3");
}

static void
test_decode_names_bounded_when_full(void **state)
{
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a;

	(void)state;
	valid_msg(b);
	memset(b + 44, 'L', NAME_SIZE);
	memset(b + 56, 'R', NAME_SIZE);
	memset(b + 68, 'T', TTY_SIZE);
	/* Poison the struct: the decoder must terminate, not rely on it. */
	memset(&m, 'x', sizeof(m));
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_OK);
	assert_int_equal(strlen(m.l_name), NAME_SIZE);
	assert_int_equal(strlen(m.r_name), NAME_SIZE);
	assert_int_equal(strlen(m.r_tty), TTY_SIZE);
	assert_string_equal(m.l_name, "LLLLLLLLLLLL");
	assert_string_equal(m.r_name, "RRRRRRRRRRRR");
	assert_string_equal(m.r_tty, "TTTTTTTTTTTTTTTT");
	assert_int_equal(m.l_name[NAME_SIZE], '\0');
	assert_int_equal(m.r_name[NAME_SIZE], '\0');
	assert_int_equal(m.r_tty[TTY_SIZE], '\0');
}

static void
test_decode_name_stops_at_nul(void **state)
{
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a;

	(void)state;
	valid_msg(b);
	/* Bytes after the terminator are padding and are not looked at. */
	memcpy(b + 44, "ann\0\001\377zz", 8);
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_OK);
	assert_string_equal(m.l_name, "ann");
	/* An empty r_tty means "any tty". */
	memset(b + 68, 0, TTY_SIZE);
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_OK);
	assert_string_equal(m.r_tty, "");
}

static void
test_decode_every_wrong_length_dropped(void **state)
{
	uint8_t b[256];
	struct ctl_msg m;
	enum ctl_answer a;
	size_t n;

	(void)state;
	memset(b, 0, sizeof(b));
	valid_msg(b);
	for (n = 0; n <= 200; n++) {
		/* Exactly n bytes on the heap: ASan sees any read past them. */
		uint8_t *exact = malloc(n ? n : 1);
		enum proto_status st;

		assert_non_null(exact);
		memcpy(exact, b, n);
		st = decode(exact, n, &m, &a);
		free(exact);
		if (n == CTL_MSG_SIZE)
			assert_int_equal(st, PROTO_OK);
		else
			assert_int_equal(st, PROTO_DROP);
	}
	/* A message followed by garbage is not a message either. */
	memset(b + CTL_MSG_SIZE, 0x41, sizeof(b) - CTL_MSG_SIZE);
	assert_int_equal(decode(b, CTL_MSG_SIZE + 1, &m, &a), PROTO_DROP);
}

static void
test_decode_bad_version(void **state)
{
	static const uint8_t bad[] = { 0, 2, 3, 0x7f, 0x80, 0xff };
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad); i++) {
		valid_msg(b);
		b[0] = bad[i];
		assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_REPLY);
		assert_int_equal(a, BADVERSION);
		assert_int_equal(m.type, LOOK_UP);	/* for the reply */
	}
}

static void
test_decode_unknown_type(void **state)
{
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a;
	unsigned t;

	(void)state;
	for (t = 0; t <= 255; t++) {
		enum proto_status st;

		valid_msg(b);
		b[1] = (uint8_t)t;
		st = decode(b, sizeof(b), &m, &a);
		assert_int_equal(m.type, t);	/* echoed in the reply */
		if (t <= ANNOUNCE) {
			assert_int_equal(st, PROTO_OK);
		} else {
			assert_int_equal(st, PROTO_REPLY);
			assert_int_equal(a, UNKNOWN_REQUEST);
		}
	}
}

static void
test_decode_bad_ctl_addr_family(void **state)
{
	/* 0, AF_INET in little-endian order, AF_INET6 (10), 0xffff. */
	static const uint16_t fam[] = { 0, 0x0200, 10, 0xffff, 1, 3 };
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a;
	size_t i;
	unsigned t;

	(void)state;
	for (t = 0; t <= ANNOUNCE; t++)
		for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
			valid_msg(b);
			b[1] = (uint8_t)t;
			b[24] = (uint8_t)(fam[i] >> 8);
			b[25] = (uint8_t)fam[i];
			assert_int_equal(decode(b, sizeof(b), &m, &a),
			    PROTO_REPLY);
			assert_int_equal(a, BADCTLADDR);
		}
}

static void
test_decode_bad_addr_family(void **state)
{
	static const uint16_t fam[] = { 0, 0x0200, 10, 0xffff };
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a;
	size_t i;
	unsigned t;

	(void)state;
	for (t = 0; t <= ANNOUNCE; t++)
		for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
			enum proto_status st;

			valid_msg(b);
			b[1] = (uint8_t)t;
			b[8] = (uint8_t)(fam[i] >> 8);
			b[9] = (uint8_t)fam[i];
			st = decode(b, sizeof(b), &m, &a);
			if (t == DELETE) {
				/* DELETE carries only an id: addr is unused. */
				assert_int_equal(st, PROTO_OK);
				assert_int_equal(a, SUCCESS);
			} else {
				assert_int_equal(st, PROTO_REPLY);
				assert_int_equal(a, BADADDR);
			}
		}
}

/* Every byte outside 0x20..0x7e, at the first and the last position. */
static void
check_field_rejects(size_t off, size_t len)
{
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a;
	unsigned c;

	for (c = 1; c <= 0xff; c++) {
		size_t pos[2] = { 0, len - 1 };
		int k;

		if (c >= 0x20 && c <= 0x7e)
			continue;
		for (k = 0; k < 2; k++) {
			valid_msg(b);
			memset(b + off, 'a', len);
			b[off + pos[k]] = (uint8_t)c;
			if (decode(b, sizeof(b), &m, &a) != PROTO_REPLY ||
			    a != FAILED)
				fail_msg("byte 0x%02x at %zu+%zu accepted", c,
				    off, pos[k]);
		}
	}
}

static void
test_decode_control_and_8bit_names_failed(void **state)
{
	(void)state;
	check_field_rejects(44, NAME_SIZE);	/* l_name */
	check_field_rejects(56, NAME_SIZE);	/* r_name */
	check_field_rejects(68, TTY_SIZE);	/* r_tty */
}

static void
test_decode_printable_punctuation_accepted(void **state)
{
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a;
	unsigned c;

	(void)state;
	valid_msg(b);
	memcpy(b + 44, "+AUTO", 5);		/* ytalk's auto-invite name */
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_OK);
	assert_string_equal(m.l_name, "+AUTO");
	/* Every printable byte, space included, in every field. */
	for (c = 0x20; c <= 0x7e; c++) {
		valid_msg(b);
		memset(b + 44, (int)c, NAME_SIZE);
		memset(b + 56, (int)c, NAME_SIZE);
		memset(b + 68, (int)c, TTY_SIZE);
		assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_OK);
		assert_int_equal((unsigned char)m.r_tty[TTY_SIZE - 1], c);
	}
}

static void
test_decode_check_precedence(void **state)
{
	uint8_t b[CTL_MSG_SIZE];
	struct ctl_msg m;
	enum ctl_answer a;

	(void)state;
	/* Everything wrong at once; fix one thing at a time. */
	valid_msg(b);
	b[0] = 9;			/* version */
	b[1] = 77;			/* type */
	b[25] = 0;			/* ctl_addr family */
	b[9] = 0;			/* addr family */
	b[44] = 0x1b;			/* l_name */
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_REPLY);
	assert_int_equal(a, BADVERSION);
	b[0] = 1;
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_REPLY);
	assert_int_equal(a, UNKNOWN_REQUEST);
	b[1] = ANNOUNCE;
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_REPLY);
	assert_int_equal(a, BADCTLADDR);
	b[25] = 2;
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_REPLY);
	assert_int_equal(a, BADADDR);
	b[9] = 2;
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_REPLY);
	assert_int_equal(a, FAILED);
	b[44] = 'x';
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_OK);
	assert_int_equal(a, SUCCESS);
	/* A wrong length beats everything: no reply at all. */
	b[0] = 0;
	assert_int_equal(decode(b, sizeof(b) - 1, &m, &a), PROTO_DROP);
}

static void
test_encode_decode_round_trip(void **state)
{
	uint8_t b[CTL_MSG_SIZE], again[CTL_MSG_SIZE];
	struct ctl_msg m, m2;
	enum ctl_answer a;

	(void)state;
	valid_msg(b);
	memset(b + 56, 'R', NAME_SIZE);
	memset(b + 68, 'T', TTY_SIZE);
	assert_int_equal(decode(b, sizeof(b), &m, &a), PROTO_OK);
	proto_encode(&m, again);
	/* The 8 trailing osockaddr bytes are zero in both. */
	assert_memory_equal(b, again, CTL_MSG_SIZE);
	assert_int_equal(decode(again, sizeof(again), &m2, &a), PROTO_OK);
	assert_msg_equal(&m, &m2);

	/* From a struct: every field survives the trip. */
	memset(&m, 0, sizeof(m));
	m.vers = 1;
	m.type = ANNOUNCE;
	m.id_num = 0xffffffffU;
	m.addr = (struct osa){ OSA_AF_INET, 65535, 0x7f000001U };
	m.ctl_addr = (struct osa){ OSA_AF_INET, 1, 0xffffffffU };
	m.pid = -1;
	memcpy(m.l_name, "+AUTO", 6);
	memcpy(m.r_name, "carol", 6);
	proto_encode(&m, b);
	assert_int_equal(b[4], 0xff);
	assert_int_equal(b[12], 0x7f);
	assert_int_equal(b[15], 0x01);
	assert_int_equal(decode(b, sizeof(b), &m2, &a), PROTO_OK);
	assert_msg_equal(&m, &m2);
}

static void
test_encode_resp_zeroes_the_rest(void **state)
{
	uint8_t out[CTL_RESP_SIZE], zero[16];
	struct ctl_resp r, r2;

	(void)state;
	memset(zero, 0, sizeof(zero));
	memset(&r, 0, sizeof(r));
	r.vers = 1;
	r.type = DELETE;
	r.answer = NOT_HERE;
	r.id_num = 0x01020304U;
	/* No family: port and address must not leak onto the wire. */
	r.addr.port = 0x1111;
	r.addr.addr = 0x22222222U;
	memset(out, 0xaa, sizeof(out));
	proto_encode_resp(&r, out);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], DELETE);
	assert_int_equal(out[2], NOT_HERE);
	assert_int_equal(out[3], 0);		/* pad */
	assert_int_equal(out[4], 1);
	assert_int_equal(out[5], 2);
	assert_int_equal(out[6], 3);
	assert_int_equal(out[7], 4);
	assert_memory_equal(out + 8, zero, 16);

	/* A successful LOOK_UP: addr as stored, big-endian, 8 zero bytes. */
	r.type = LOOK_UP;
	r.answer = SUCCESS;
	r.addr = (struct osa){ OSA_AF_INET, 0x1f90, 0x0a010203U };
	memset(out, 0xaa, sizeof(out));
	proto_encode_resp(&r, out);
	assert_int_equal(out[3], 0);
	assert_int_equal(out[8], 0x00);
	assert_int_equal(out[9], 0x02);
	assert_int_equal(out[10], 0x1f);
	assert_int_equal(out[11], 0x90);
	assert_int_equal(out[12], 10);
	assert_int_equal(out[13], 1);
	assert_int_equal(out[14], 2);
	assert_int_equal(out[15], 3);
	assert_memory_equal(out + 16, zero, 8);

	assert_int_equal(proto_decode_resp(out, sizeof(out), &r2), 0);
	assert_int_equal(r2.vers, 1);
	assert_int_equal(r2.type, LOOK_UP);
	assert_int_equal(r2.id_num, 0x01020304U);
	assert_int_equal(r2.addr.family, OSA_AF_INET);
	assert_int_equal(r2.addr.port, 0x1f90);
	assert_int_equal(r2.addr.addr, 0x0a010203U);
	assert_int_equal(proto_decode_resp(out, sizeof(out) - 1, &r2), -1);
	assert_int_equal(proto_decode_resp(out, sizeof(out) + 0, &r2), 0);
}

static void
test_names_of_types_and_answers(void **state)
{
	(void)state;
	assert_string_equal(proto_type_str(LEAVE_INVITE), "LEAVE_INVITE");
	assert_string_equal(proto_type_str(ANNOUNCE), "ANNOUNCE");
	assert_string_equal(proto_type_str(4), "UNKNOWN");
	assert_string_equal(proto_type_str(255), "UNKNOWN");
	assert_string_equal(proto_answer_str(SUCCESS), "SUCCESS");
	assert_string_equal(proto_answer_str(PERMISSION_DENIED),
	    "PERMISSION_DENIED");
	assert_string_equal(proto_answer_str(BADCTLADDR), "BADCTLADDR");
	assert_string_equal(proto_answer_str(9), "UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_valid_fields_at_offsets),
		cmocka_unit_test(test_decode_names_bounded_when_full),
		cmocka_unit_test(test_decode_name_stops_at_nul),
		cmocka_unit_test(test_decode_every_wrong_length_dropped),
		cmocka_unit_test(test_decode_bad_version),
		cmocka_unit_test(test_decode_unknown_type),
		cmocka_unit_test(test_decode_bad_ctl_addr_family),
		cmocka_unit_test(test_decode_bad_addr_family),
		cmocka_unit_test(test_decode_control_and_8bit_names_failed),
		cmocka_unit_test(test_decode_printable_punctuation_accepted),
		cmocka_unit_test(test_decode_check_precedence),
		cmocka_unit_test(test_encode_decode_round_trip),
		cmocka_unit_test(test_encode_resp_zeroes_the_rest),
		cmocka_unit_test(test_names_of_types_and_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
