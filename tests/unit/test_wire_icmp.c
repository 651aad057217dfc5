/*
 * test_wire_icmp.c — ICMPv4 messages (wire/icmp.c, RFC 792, RFC 1191): a
 * table of real and malformed messages, emit/parse round trips, every
 * truncation. Checksums in the vectors were computed with scapy.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "unit/wire_util.h"
#include "wire/icmp.h"

/* Byte-pair reference checksum (RFC 1071 §1), independent of core/. */
static uint16_t ref_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Echo payload of a ping, and the first 28 bytes of a UDP datagram
 * 10.0.0.1:53000 > 10.0.0.2:53 as an error message quotes it. */
#define PING40 "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
#define QUOTE "4500003900010000401166b10a0000010a000002" "cf08003500258e06"
#define QUOTE_IHL6 "4600003900010000401166b10a0000010a000002" "94040000" "cf08003500258e06"

struct icmp_vec {
	const char *name, *hex;
	unsigned flags;
	enum tern_stat expect;
	int exact; /* emit reproduces the message byte for byte */
	uint8_t type, code;
	uint32_t rest; /* the union member the type uses, widened */
	size_t data_len;
};

#define OK(nm, hx, ex, ty, co, rest, dl) {nm, hx, 0, TERN_STAT_NONE, ex, ty, co, rest, dl}
#define BAD(nm, hx, fl, st) {nm, hx, fl, st, 0, 0, 0, 0, 0}
#define ECHO_REST(id, seq) ((uint32_t)(id) << 16 | (seq))

static const struct icmp_vec vecs[] = {
	OK("echo request", "08001ce61c460001" PING40, 1, TERN_ICMP_ECHO, 0, ECHO_REST(0x1c46, 1), 40),
	OK("echo reply", "000024e61c460001" PING40, 1, TERN_ICMP_ECHO_REPLY, 0, ECHO_REST(0x1c46, 1), 40),
	OK("echo without data", "0800e5ca12340001", 1, TERN_ICMP_ECHO, 0, ECHO_REST(0x1234, 1), 0),
	OK("port unreachable", "03039f9300000000" QUOTE, 1, TERN_ICMP_DEST_UNREACH,
	   TERN_ICMP_PORT_UNREACH, 0, 28),
	OK("frag needed, mtu 1400", "03049a1a00000578" QUOTE, 1, TERN_ICMP_DEST_UNREACH,
	   TERN_ICMP_FRAG_NEEDED, 1400, 28),
	OK("frag needed, unused bytes set", "0304bb6cdead0578" QUOTE, 0, TERN_ICMP_DEST_UNREACH,
	   TERN_ICMP_FRAG_NEEDED, 1400, 28),
	OK("host unreachable, quote with options", "03010a9100000000" QUOTE_IHL6, 1,
	   TERN_ICMP_DEST_UNREACH, TERN_ICMP_HOST_UNREACH, 0, 32),
	OK("time exceeded", "0b00979600000000" QUOTE, 1, TERN_ICMP_TIME_EXCEEDED, TERN_ICMP_EXC_TTL, 0, 28),
	OK("time exceeded, long quote", "0b01fbc700000000" QUOTE
	   "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324252627"
	   "28292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f"
	   "505152535455565758595a5b5c5d5e5f60616263", 1,
	   TERN_ICMP_TIME_EXCEEDED, TERN_ICMP_EXC_FRAGTIME, 0, 128),
	OK("redirect host via 10.0.0.254", "050192970a0000fe" QUOTE, 1, TERN_ICMP_REDIRECT,
	   TERN_ICMP_REDIR_HOST, TERN_IP4(10, 0, 0, 254), 28),
	OK("parameter problem at 20", "0c00829614000000" QUOTE, 1, TERN_ICMP_PARAM_PROBLEM, 0, 20, 28),
	OK("source quench", "04009e9600000000" QUOTE, 1, TERN_ICMP_SOURCE_QUENCH, 0, 0, 28),
	OK("timestamp", "0d00eef801020304000000010000000000000000", 1, TERN_ICMP_TIMESTAMP, 0,
	   0x01020304, 12),
	OK("unknown type 42", "2a00d5ff00000000", 1, 42, 0, 0, 0),
	{"bad checksum accepted with NO_CSUM", "08001ce71c460001" PING40, TERN_WIRE_NO_CSUM,
	 TERN_STAT_NONE, 0, TERN_ICMP_ECHO, 0, ECHO_REST(0x1c46, 1), 40},

	BAD("empty", "", 0, TERN_STAT_ICMP_SHORT),
	BAD("7 bytes", "0800e5ca123400", 0, TERN_STAT_ICMP_SHORT),
	BAD("7 bytes, no csum", "0800e5ca123400", TERN_WIRE_NO_CSUM, TERN_STAT_ICMP_SHORT),
	BAD("bad checksum", "08001ce71c460001" PING40, 0, TERN_STAT_ICMP_BAD_CHECKSUM),
	BAD("flipped payload bit", "08001ce61c460001" "1011121314151617" "18191a1b1c1d1e1f"
	    "2021222324252627" "28292a2b2c2d2e2f" "3031323334353627", 0, TERN_STAT_ICMP_BAD_CHECKSUM),
	BAD("error without quote", "0303fcfc00000000", 0, TERN_STAT_ICMP_BAD_QUOTE),
	BAD("quote of a bare ip header", "0303fcfc00000000" "4500003900010000401166b10a0000010a000002",
	    0, TERN_STAT_ICMP_BAD_QUOTE),
	BAD("quote 27 bytes", "03039f9900000000" "4500003900010000401166b10a0000010a000002"
	    "cf08003500258e", 0, TERN_STAT_ICMP_BAD_QUOTE),
	BAD("quote with options, 28 bytes", "030198bc00000000" "4600003900010000401166b10a0000010a000002"
	    "94040000cf080035", 0, TERN_STAT_ICMP_BAD_QUOTE),
	BAD("quote of ipv6", "0b00779600000000" "6500003900010000401166b10a0000010a000002"
	    "cf08003500258e06", 0, TERN_STAT_ICMP_BAD_QUOTE),
	BAD("quote with ihl 4", "0b00989600000000" "4400003900010000401166b10a0000010a000002"
	    "cf08003500258e06", 0, TERN_STAT_ICMP_BAD_QUOTE),
	BAD("bad checksum before short quote", "0303fdfc00000000" "4500003900010000401166b10a0000010a000002",
	    0, TERN_STAT_ICMP_BAD_CHECKSUM),
	BAD("short quote, no csum", "0303fdfc00000000" "4500003900010000401166b10a0000010a000002",
	    TERN_WIRE_NO_CSUM, TERN_STAT_ICMP_BAD_QUOTE),
};
#define NVECS (sizeof vecs / sizeof vecs[0])

/* The union member the type uses, widened to 32 bits. */
static uint32_t rest_of(const struct tern_icmp_repr *r)
{
	switch (r->type) {
	case TERN_ICMP_ECHO:
	case TERN_ICMP_ECHO_REPLY:
		return ECHO_REST(r->u.echo.id, r->u.echo.seq);
	case TERN_ICMP_DEST_UNREACH:
		return r->code == TERN_ICMP_FRAG_NEEDED ? r->u.mtu : r->u.raw;
	case TERN_ICMP_REDIRECT:
		return r->u.gateway;
	case TERN_ICMP_PARAM_PROBLEM:
		return r->u.pointer;
	default:
		return r->u.raw;
	}
}

static void check_repr(const char *name, const struct tern_icmp_repr *r, const struct icmp_vec *v)
{
	int before = test_failed_;
	CHECK_EQ(r->type, v->type);
	CHECK_EQ(r->code, v->code);
	CHECK_EQ(rest_of(r), v->rest);
	CHECK_EQ(r->data_len, v->data_len);
	if (test_failed_ != before)
		fprintf(stderr, "  (in %s)\n", name);
}

TEST(table)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct icmp_vec *v = &vecs[i];
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		struct tern_icmp_repr r, canary;
		memset(&r, 0x5a, sizeof r);
		memset(&canary, 0x5a, sizeof canary);
		enum tern_stat st = tern_icmp_parse(p, n, v->flags, &r);
		if (st != v->expect) {
			TEST_FAIL_("%s: got %s, want %s", v->name, tern_stat_name(st),
				   tern_stat_name(v->expect));
		} else if (st == TERN_STAT_NONE) {
			check_repr(v->name, &r, v);
			CHECK(r.data == p + TERN_ICMP_HLEN);
		} else {
			CHECK_MEM(&r, &canary, sizeof r);
		}
		free(p);
	}
}

/* Emit into a buffer pre-filled with 0xa5, the data copied from the
 * parsed message: exact rows reproduce it, nothing past the message is
 * written, and the result parses to the same repr with the checksum on. */
TEST(emit_round_trip)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct icmp_vec *v = &vecs[i];
		if (v->expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		uint8_t *q = malloc(n + 16);
		struct tern_icmp_repr r, back;
		REQUIRE_EQ(tern_icmp_parse(p, n, v->flags, &r), TERN_STAT_NONE);
		memset(q, 0xa5, n + 16);
		tern_icmp_emit(&r, q);
		if (v->exact)
			CHECK_MEM(q, p, n);
		for (size_t j = n; j < n + 16; j++)
			CHECK_EQ(q[j], 0xa5);
		CHECK_EQ(ref_csum(q, n), 0);
		REQUIRE_EQ(tern_icmp_parse(q, n, 0, &back), TERN_STAT_NONE);
		check_repr(v->name, &back, v);
		CHECK_MEM(back.data, p + TERN_ICMP_HLEN, n - TERN_ICMP_HLEN);
		free(q);
		free(p);
	}
}

/* Data already in place at buf + 8 (the usual case: the stack builds the
 * payload, then the header) gives the same bytes. */
TEST(emit_data_in_place)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct icmp_vec *v = &vecs[i];
		if (v->expect != TERN_STAT_NONE || !v->exact)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		uint8_t *q = dup_exact(p, n);
		struct tern_icmp_repr r;
		REQUIRE_EQ(tern_icmp_parse(p, n, v->flags, &r), TERN_STAT_NONE);
		memset(q, 0xa5, TERN_ICMP_HLEN);
		r.data = q + TERN_ICMP_HLEN;
		tern_icmp_emit(&r, q);
		CHECK_MEM(q, p, n);
		free(q);
		free(p);
	}
}

TEST(emit_constructed)
{
	static const uint8_t quote[28] = {0x45, 0, 0, 0x54, 0, 1, 0, 0, 1, 17, 0, 0, 10, 0, 0, 1,
					  8, 8, 8, 8, 0x30, 0x39, 0x82, 0x9a, 0, 0x40, 0, 0};
	static const uint8_t hello[5] = {'h', 'e', 'l', 'l', 'o'};
	struct tern_icmp_repr reprs[6];
	memset(reprs, 0, sizeof reprs);
	reprs[0] = (struct tern_icmp_repr){.type = TERN_ICMP_ECHO, .data = hello, .data_len = 5};
	reprs[0].u.echo.id = 0xffff;
	reprs[0].u.echo.seq = 0;
	reprs[1] = (struct tern_icmp_repr){.type = TERN_ICMP_DEST_UNREACH, .code = TERN_ICMP_FRAG_NEEDED,
					   .data = quote, .data_len = 28};
	reprs[1].u.mtu = 1280;
	reprs[2] = (struct tern_icmp_repr){.type = TERN_ICMP_REDIRECT, .code = TERN_ICMP_REDIR_NET,
					   .data = quote, .data_len = 28};
	reprs[2].u.gateway = TERN_IP4(192, 168, 1, 254);
	reprs[3] = (struct tern_icmp_repr){.type = TERN_ICMP_PARAM_PROBLEM, .data = quote, .data_len = 28};
	reprs[3].u.pointer = 255;
	reprs[4] = (struct tern_icmp_repr){.type = TERN_ICMP_DEST_UNREACH, .code = TERN_ICMP_PORT_UNREACH,
					   .data = quote, .data_len = 28};
	reprs[5] = (struct tern_icmp_repr){.type = 200, .code = 7};
	reprs[5].u.raw = 0xdeadbeef;
	for (size_t i = 0; i < sizeof reprs / sizeof reprs[0]; i++) {
		size_t n = TERN_ICMP_HLEN + reprs[i].data_len;
		uint8_t *q = malloc(n);
		struct tern_icmp_repr back;
		tern_icmp_emit(&reprs[i], q);
		REQUIRE_EQ(tern_icmp_parse(q, n, 0, &back), TERN_STAT_NONE);
		CHECK_EQ(back.type, reprs[i].type);
		CHECK_EQ(back.code, reprs[i].code);
		CHECK_EQ(rest_of(&back), rest_of(&reprs[i]));
		CHECK_EQ(back.data_len, reprs[i].data_len);
		if (reprs[i].data_len)
			CHECK_MEM(back.data, reprs[i].data, reprs[i].data_len);
		free(q);
	}
	/* unused bytes are written as zero */
	uint8_t out[36];
	tern_icmp_emit(&reprs[1], out);
	CHECK_EQ(rd16(out + 4), 0);
	tern_icmp_emit(&reprs[3], out);
	CHECK_EQ(out[5] | out[6] | out[7], 0);
}

/*
 * Every truncation of every valid message, in an allocation of exactly
 * that length. ICMP has no length field: below 8 bytes it is ICMP_SHORT;
 * otherwise the checksum decides (a cut that drops only zero bytes still
 * verifies), and an error message whose quote no longer holds the quoted
 * header plus 8 bytes is ICMP_BAD_QUOTE.
 */
TEST(truncations)
{
	for (size_t i = 0; i < NVECS; i++) {
		const struct icmp_vec *v = &vecs[i];
		if (v->expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(v->hex, &n);
		size_t quote_need = 0;
		if (tern_icmp_is_error(v->type))
			quote_need = TERN_ICMP_HLEN + (size_t)(p[8] & 0xf) * 4 + 8;
		for (size_t len = 0; len < n; len++) {
			uint8_t *t = dup_exact(p, len);
			struct tern_icmp_repr r;
			enum tern_stat shape = len < 8 ? TERN_STAT_ICMP_SHORT
					     : len < quote_need ? TERN_STAT_ICMP_BAD_QUOTE
					     : TERN_STAT_NONE;
			enum tern_stat want = shape;
			if (len >= 8 && !(v->flags & TERN_WIRE_NO_CSUM) && ref_csum(t, len) != 0)
				want = TERN_STAT_ICMP_BAD_CHECKSUM;
			enum tern_stat st = tern_icmp_parse(t, len, v->flags, &r);
			if (st != want)
				TEST_FAIL_("%s truncated to %zu: got %s, want %s", v->name, len,
					   tern_stat_name(st), tern_stat_name(want));
			st = tern_icmp_parse(t, len, TERN_WIRE_NO_CSUM, &r);
			CHECK_EQ(st, shape);
			if (st == TERN_STAT_NONE)
				CHECK_EQ(r.data_len, len - 8);
			free(t);
		}
		free(p);
	}
}

TEST(error_types)
{
	for (int t = 0; t < 256; t++) {
		int want = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
		CHECK_EQ(tern_icmp_is_error((uint8_t)t), want);
	}
}

TEST_MAIN()
