/*
 * test_wire_arp.c — ARP for IPv4 over Ethernet (wire/arp.c, RFC 826): a
 * table of real and malformed packets, emit/parse round trips, every
 * truncation. Vectors were built and checked with scapy.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "unit/wire_util.h"
#include "wire/arp.h"

#define MAC(a, b, c, d, e, f) {{0x##a, 0x##b, 0x##c, 0x##d, 0x##e, 0x##f}}
#define M0 MAC(00, 00, 00, 00, 00, 00)
#define M1 MAC(02, 00, 00, 00, 00, 01)
#define M2 MAC(02, 00, 00, 00, 00, 02)
#define IP_A TERN_IP4(10, 0, 0, 1)
#define IP_B TERN_IP4(10, 0, 0, 2)
#define NOREPR {0, M0, M0, 0, 0}

/* The fixed part every valid packet starts with: htype 1, ptype 0x0800,
 * hlen 6, plen 4. */
#define FIX "0001080006040"

static const struct arp_vec {
	const char *name, *hex;
	enum tern_stat expect;
	struct tern_arp_repr repr;
} vecs[] = {
	{"request who-has 10.0.0.2", FIX "001" "020000000001" "0a000001" "000000000000" "0a000002",
	 TERN_STAT_NONE, {TERN_ARP_OP_REQUEST, M1, M0, IP_A, IP_B}},
	{"reply 10.0.0.2 is-at", FIX "002" "020000000002" "0a000002" "020000000001" "0a000001",
	 TERN_STAT_NONE, {TERN_ARP_OP_REPLY, M2, M1, IP_B, IP_A}},
	{"gratuitous announcement", FIX "001" "020000000001" "0a000001" "000000000000" "0a000001",
	 TERN_STAT_NONE, {TERN_ARP_OP_REQUEST, M1, M0, IP_A, IP_A}},
	{"rfc 5227 probe", FIX "001" "020000000001" "00000000" "000000000000" "0a000002",
	 TERN_STAT_NONE, {TERN_ARP_OP_REQUEST, M1, M0, 0, IP_B}},
	{"with ethernet padding", FIX "001" "020000000001" "0a000001" "000000000000" "0a000002"
	 "000000000000000000000000000000000000",
	 TERN_STAT_NONE, {TERN_ARP_OP_REQUEST, M1, M0, IP_A, IP_B}},
	{"htype 6 (ieee 802)", "0006080006040001" "020000000001" "0a000001" "000000000000" "0a000002",
	 TERN_STAT_ARP_BAD_FORMAT, NOREPR},
	{"htype 0", "0000080006040001" "020000000001" "0a000001" "000000000000" "0a000002",
	 TERN_STAT_ARP_BAD_FORMAT, NOREPR},
	{"ptype ipv6", "000186dd06040001" "020000000001" "0a000001" "000000000000" "0a000002",
	 TERN_STAT_ARP_BAD_FORMAT, NOREPR},
	{"hlen 8", "0001080008040001" "020000000001" "0a000001" "000000000000" "0a000002",
	 TERN_STAT_ARP_BAD_FORMAT, NOREPR},
	{"plen 16", "0001080006100001" "020000000001" "0a000001" "000000000000" "0a000002",
	 TERN_STAT_ARP_BAD_FORMAT, NOREPR},
	{"bad format wins over bad op", "0006080006040009" "020000000001" "0a000001" "000000000000"
	 "0a000002", TERN_STAT_ARP_BAD_FORMAT, NOREPR},
	{"op 0", FIX "000" "020000000001" "0a000001" "000000000000" "0a000002",
	 TERN_STAT_ARP_BAD_OP, NOREPR},
	{"op 3 (rarp request)", FIX "003" "020000000001" "0a000001" "000000000000" "0a000002",
	 TERN_STAT_ARP_BAD_OP, NOREPR},
	{"op 0x0101", "0001080006040101" "020000000001" "0a000001" "000000000000" "0a000002",
	 TERN_STAT_ARP_BAD_OP, NOREPR},
	{"27 bytes", FIX "001" "020000000001" "0a000001" "000000000000" "0a0000",
	 TERN_STAT_ARP_SHORT, NOREPR},
	{"empty", "", TERN_STAT_ARP_SHORT, NOREPR},
};
#define NVECS (sizeof vecs / sizeof vecs[0])

static void check_repr(const struct tern_arp_repr *got, const struct tern_arp_repr *want)
{
	CHECK_EQ(got->op, want->op);
	CHECK_MEM(got->sha.b, want->sha.b, 6);
	CHECK_MEM(got->tha.b, want->tha.b, 6);
	CHECK_EQ(got->spa, want->spa);
	CHECK_EQ(got->tpa, want->tpa);
}

TEST(table)
{
	for (size_t i = 0; i < NVECS; i++) {
		size_t n;
		uint8_t *p = hex_alloc(vecs[i].hex, &n);
		struct tern_arp_repr r, canary;
		memset(&r, 0x5a, sizeof r);
		memset(&canary, 0x5a, sizeof canary);
		enum tern_stat st = tern_arp_parse(p, n, &r);
		if (st != vecs[i].expect)
			TEST_FAIL_("%s: got %s, want %s", vecs[i].name, tern_stat_name(st),
				   tern_stat_name(vecs[i].expect));
		if (st == TERN_STAT_NONE)
			check_repr(&r, &vecs[i].repr);
		else
			CHECK_MEM(&r, &canary, sizeof r);
		free(p);
	}
}

/* Emit into 0xa5: exactly 28 bytes written, equal to the packet. */
TEST(emit_round_trip)
{
	for (size_t i = 0; i < NVECS; i++) {
		if (vecs[i].expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(vecs[i].hex, &n);
		uint8_t out[TERN_ARP_LEN + 16];
		struct tern_arp_repr back;
		memset(out, 0xa5, sizeof out);
		tern_arp_emit(&vecs[i].repr, out);
		CHECK_MEM(out, p, TERN_ARP_LEN);
		for (size_t j = TERN_ARP_LEN; j < sizeof out; j++)
			CHECK_EQ(out[j], 0xa5);
		REQUIRE_EQ(tern_arp_parse(out, TERN_ARP_LEN, &back), TERN_STAT_NONE);
		check_repr(&back, &vecs[i].repr);
		free(p);
	}
}

TEST(emit_constructed)
{
	static const struct tern_arp_repr reprs[] = {
		{TERN_ARP_OP_REQUEST, M2, M0, IP_B, IP_A},
		{TERN_ARP_OP_REPLY, MAC(de, ad, be, ef, 00, 01), MAC(ff, ff, ff, ff, ff, ff),
		 0xffffffffu, 0},
		{TERN_ARP_OP_REPLY, M1, M2, TERN_IP4(192, 168, 1, 1), TERN_IP4(192, 168, 1, 254)},
	};
	for (size_t i = 0; i < sizeof reprs / sizeof reprs[0]; i++) {
		uint8_t *out = malloc(TERN_ARP_LEN);
		struct tern_arp_repr back;
		tern_arp_emit(&reprs[i], out);
		REQUIRE_EQ(tern_arp_parse(out, TERN_ARP_LEN, &back), TERN_STAT_NONE);
		check_repr(&back, &reprs[i]);
		free(out);
	}
}

TEST(truncations)
{
	for (size_t i = 0; i < NVECS; i++) {
		if (vecs[i].expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(vecs[i].hex, &n);
		for (size_t len = 0; len < n; len++) {
			uint8_t *t = dup_exact(p, len);
			struct tern_arp_repr r;
			enum tern_stat st = tern_arp_parse(t, len, &r);
			CHECK_EQ(st, len < TERN_ARP_LEN ? TERN_STAT_ARP_SHORT : TERN_STAT_NONE);
			free(t);
		}
		free(p);
	}
}

/* Only ops 1 and 2 pass, whatever the other 65534 values. */
TEST(every_op)
{
	size_t n;
	uint8_t *p = hex_alloc(vecs[0].hex, &n);
	for (uint32_t op = 0; op <= 0xffff; op++) {
		struct tern_arp_repr r;
		wr16(p + 6, (uint16_t)op);
		enum tern_stat st = tern_arp_parse(p, n, &r);
		if (st != (op == 1 || op == 2 ? TERN_STAT_NONE : TERN_STAT_ARP_BAD_OP))
			TEST_FAIL_("op %u: %s", (unsigned)op, tern_stat_name(st));
	}
	free(p);
}

TEST_MAIN()
