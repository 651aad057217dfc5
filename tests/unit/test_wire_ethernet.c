/*
 * test_wire_ethernet.c — the Ethernet II header (wire/ethernet.c): a table
 * of real and malformed frames, emit/parse round trips, every truncation.
 * Vectors were built and checked with scapy.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "unit/wire_util.h"
#include "wire/ethernet.h"

#define MAC(a, b, c, d, e, f) {{0x##a, 0x##b, 0x##c, 0x##d, 0x##e, 0x##f}}
#define BCAST MAC(ff, ff, ff, ff, ff, ff)
#define M1 MAC(02, 00, 00, 00, 00, 01)
#define M2 MAC(02, 00, 00, 00, 00, 02)

static const struct eth_vec {
	const char *name, *hex;
	enum tern_stat expect;
	struct tern_eth_repr repr;
} vecs[] = {
	{"arp request (broadcast)",
	 "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002",
	 TERN_STAT_NONE, {BCAST, M1, TERN_ETHERTYPE_ARP}},
	{"ipv4 ping",
	 "02000000000202000000000108004500004412344000400114830a0000010a00000208001ce61c460001"
	 "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637",
	 TERN_STAT_NONE, {M2, M1, TERN_ETHERTYPE_IPV4}},
	{"ipv6 multicast", "333300000001020000000001" "86dd" "6000000000003aff",
	 TERN_STAT_NONE, {MAC(33, 33, 00, 00, 00, 01), M1, TERN_ETHERTYPE_IPV6}},
	{"vlan tag kept as ethertype", "020000000002020000000001" "8100" "000a0800",
	 TERN_STAT_NONE, {M2, M1, TERN_ETHERTYPE_VLAN}},
	{"header only", "020000000002020000000001" "0800", TERN_STAT_NONE, {M2, M1, 0x0800}},
	{"ethertype 0x0600 (first DIX type)", "020000000002020000000001" "0600",
	 TERN_STAT_NONE, {M2, M1, 0x0600}},
	{"min frame padded to 60",
	 "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002"
	 "000000000000000000000000000000000000",
	 TERN_STAT_NONE, {BCAST, M1, TERN_ETHERTYPE_ARP}},
	{"802.3 length 46", "020000000002020000000001" "002e" "aaaa03000000",
	 TERN_STAT_ETH_UNKNOWN_TYPE, {{{0}}, {{0}}, 0}},
	{"802.3 length 1500", "020000000002020000000001" "05dc", TERN_STAT_ETH_UNKNOWN_TYPE, {{{0}}, {{0}}, 0}},
	{"undefined 0x05ff", "020000000002020000000001" "05ff", TERN_STAT_ETH_UNKNOWN_TYPE, {{{0}}, {{0}}, 0}},
	{"type 0", "020000000002020000000001" "0000", TERN_STAT_ETH_UNKNOWN_TYPE, {{{0}}, {{0}}, 0}},
	{"13 bytes", "02000000000202000000000108", TERN_STAT_ETH_SHORT, {{{0}}, {{0}}, 0}},
	{"empty", "", TERN_STAT_ETH_SHORT, {{{0}}, {{0}}, 0}},
};
#define NVECS (sizeof vecs / sizeof vecs[0])

static void check_repr(const struct tern_eth_repr *got, const struct tern_eth_repr *want)
{
	CHECK_MEM(got->dst.b, want->dst.b, 6);
	CHECK_MEM(got->src.b, want->src.b, 6);
	CHECK_EQ(got->ethertype, want->ethertype);
}

TEST(table)
{
	for (size_t i = 0; i < NVECS; i++) {
		size_t n;
		uint8_t *p = hex_alloc(vecs[i].hex, &n);
		struct tern_eth_repr r, canary;
		memset(&r, 0x5a, sizeof r);
		memset(&canary, 0x5a, sizeof canary);
		enum tern_stat st = tern_eth_parse(p, n, &r);
		if (st != vecs[i].expect)
			TEST_FAIL_("%s: got %s, want %s", vecs[i].name, tern_stat_name(st),
				   tern_stat_name(vecs[i].expect));
		if (st == TERN_STAT_NONE)
			check_repr(&r, &vecs[i].repr);
		else
			CHECK_MEM(&r, &canary, sizeof r); /* out untouched on failure */
		free(p);
	}
}

/* Emit into a buffer pre-filled with 0xa5: the 14 header bytes equal the
 * original, nothing beyond them is written, and parsing gives the repr. */
TEST(emit_round_trip)
{
	for (size_t i = 0; i < NVECS; i++) {
		if (vecs[i].expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(vecs[i].hex, &n);
		uint8_t out[TERN_ETH_HLEN + 16];
		struct tern_eth_repr back;
		memset(out, 0xa5, sizeof out);
		tern_eth_emit(&vecs[i].repr, out);
		CHECK_MEM(out, p, TERN_ETH_HLEN);
		for (size_t j = TERN_ETH_HLEN; j < sizeof out; j++)
			CHECK_EQ(out[j], 0xa5);
		REQUIRE_EQ(tern_eth_parse(out, TERN_ETH_HLEN, &back), TERN_STAT_NONE);
		check_repr(&back, &vecs[i].repr);
		free(p);
	}
}

TEST(emit_constructed)
{
	static const struct tern_eth_repr reprs[] = {
		{BCAST, M1, TERN_ETHERTYPE_ARP},
		{M1, M2, TERN_ETHERTYPE_IPV4},
		{MAC(01, 00, 5e, 00, 00, fb), MAC(de, ad, be, ef, 00, 01), 0x88cc},
		{M2, M1, 0xffff},
	};
	for (size_t i = 0; i < sizeof reprs / sizeof reprs[0]; i++) {
		uint8_t *out = malloc(TERN_ETH_HLEN); /* emit needs no more */
		struct tern_eth_repr back;
		tern_eth_emit(&reprs[i], out);
		REQUIRE_EQ(tern_eth_parse(out, TERN_ETH_HLEN, &back), TERN_STAT_NONE);
		check_repr(&back, &reprs[i]);
		CHECK_EQ(rd16(out + 12), reprs[i].ethertype);
		free(out);
	}
}

/* Every truncation of every valid frame: ETH_SHORT below 14 bytes; from
 * 14 on the header is whole and Ethernet has no length to contradict. */
TEST(truncations)
{
	for (size_t i = 0; i < NVECS; i++) {
		if (vecs[i].expect != TERN_STAT_NONE)
			continue;
		size_t n;
		uint8_t *p = hex_alloc(vecs[i].hex, &n);
		for (size_t len = 0; len < n; len++) {
			uint8_t *t = dup_exact(p, len);
			struct tern_eth_repr r;
			enum tern_stat st = tern_eth_parse(t, len, &r);
			CHECK_EQ(st, len < TERN_ETH_HLEN ? TERN_STAT_ETH_SHORT : TERN_STAT_NONE);
			if (st == TERN_STAT_NONE)
				check_repr(&r, &vecs[i].repr);
			free(t);
		}
		free(p);
	}
}

/* The whole ethertype space: exactly the values below 0x0600 are refused. */
TEST(ethertype_boundary)
{
	uint8_t f[TERN_ETH_HLEN] = {0};
	for (uint32_t t = 0; t <= 0xffff; t++) {
		struct tern_eth_repr r;
		wr16(f + 12, (uint16_t)t);
		enum tern_stat st = tern_eth_parse(f, sizeof f, &r);
		if (st != (t < 0x0600 ? TERN_STAT_ETH_UNKNOWN_TYPE : TERN_STAT_NONE))
			TEST_FAIL_("ethertype 0x%04x: %s", (unsigned)t, tern_stat_name(st));
	}
}

TEST(mac_constants_and_helpers)
{
	static const struct tern_mac m1 = M1, mcast = MAC(01, 00, 5e, 00, 00, 01);
	CHECK(tern_mac_is_broadcast(&tern_mac_broadcast));
	CHECK(tern_mac_is_multicast(&tern_mac_broadcast));
	CHECK(!tern_mac_is_broadcast(&tern_mac_zero));
	CHECK(!tern_mac_is_multicast(&tern_mac_zero));
	CHECK(!tern_mac_is_broadcast(&m1));
	CHECK(!tern_mac_is_multicast(&m1));
	CHECK(tern_mac_is_multicast(&mcast));
	CHECK(!tern_mac_is_broadcast(&mcast));
	CHECK(tern_mac_eq(&m1, &m1));
	CHECK(!tern_mac_eq(&m1, &tern_mac_zero));
	for (int i = 0; i < 6; i++) {
		CHECK_EQ(tern_mac_broadcast.b[i], 0xff);
		CHECK_EQ(tern_mac_zero.b[i], 0);
	}
}

TEST_MAIN()
