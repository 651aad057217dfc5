/*
 * wire/arp.c — parse and emit ARP packets for IPv4 over Ethernet (RFC 826).
 *
 * Only the one combination tern speaks is valid: hardware type 1
 * (Ethernet), protocol type 0x0800, hlen 6, plen 4, op request or reply.
 * The ARP module (src/link/arp.c) sees only the validated repr.
 */
#include "wire/arp.h"

#include "wire/ethernet.h"

#define ARP_HTYPE_ETHERNET 1

enum tern_stat tern_arp_parse(const uint8_t *buf, size_t len, struct tern_arp_repr *out)
{
	uint16_t op;

	if (len < TERN_ARP_LEN)
		return TERN_STAT_ARP_SHORT;
	/* RFC 826 "Packet Reception": check ar$hrd, ar$pro and the lengths
	 * we know before looking at anything else. */
	if (rd16(buf) != ARP_HTYPE_ETHERNET || rd16(buf + 2) != TERN_ETHERTYPE_IPV4 ||
	    buf[4] != 6 || buf[5] != 4)
		return TERN_STAT_ARP_BAD_FORMAT;
	op = rd16(buf + 6);
	if (op != TERN_ARP_OP_REQUEST && op != TERN_ARP_OP_REPLY)
		return TERN_STAT_ARP_BAD_OP;
	out->op = op;
	memcpy(out->sha.b, buf + 8, 6);
	out->spa = rd32(buf + 14);
	memcpy(out->tha.b, buf + 18, 6);
	out->tpa = rd32(buf + 24);
	return TERN_STAT_NONE;
}

void tern_arp_emit(const struct tern_arp_repr *r, uint8_t *buf)
{
	wr16(buf, ARP_HTYPE_ETHERNET);
	wr16(buf + 2, TERN_ETHERTYPE_IPV4);
	buf[4] = 6;
	buf[5] = 4;
	wr16(buf + 6, r->op);
	memcpy(buf + 8, r->sha.b, 6);
	wr32(buf + 14, r->spa);
	memcpy(buf + 18, r->tha.b, 6);
	wr32(buf + 24, r->tpa);
}
