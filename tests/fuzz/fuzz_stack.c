/*
 * tests/fuzz/fuzz_stack.c — libFuzzer target for the whole stack: frames
 * in, with time passing between them.
 *
 * Each input builds a fresh router stack with two test devices:
 *   dev 0  02:00:00:00:00:01  10.0.0.1/24, plus 10.0.0.50/24 being probed
 *          (RFC 5227) so conflicts and probing are reachable;
 *   dev 1  02:00:00:00:00:02  10.1.0.1/24;
 *   routes default via 10.1.0.254, 172.16.0.0/16 via 10.0.0.9 (so a
 *   datagram from dev 0 to 172.16/16 earns a redirect).
 * The input is:
 *   [u8 flags] then records [u8 dev][u16 delay_ms][u16 len][len bytes]
 * flags bit 0: fix the IPv4 header checksum and the ICMP / UDP checksum of
 *              each frame before injecting it, so mutations get past the
 *              checksum checks (wire/checksum.c does the arithmetic);
 * flags bit 1: host mode (forwarding off);
 * flags bit 2: accept ICMP echo to broadcast addresses.
 * For each record: time advances by delay_ms (the stack is polled at every
 * deadline on the way, as a runner following tern_stack_poll_at would),
 * then the frame arrives on device (dev & 1). If dev bit 7 is set, and on
 * every 8th record anyway, a valid helper frame goes first (dev bits 1-2
 * choose: a neighbour on either side asking for us and then answering,
 * an ARP request for us, or an echo request in two fragments), so the fuzzer reaches
 * resolved neighbours and reassembly without having to invent them.
 *
 * Oracles (abort on violation, which libFuzzer reports as a crash):
 *   - every frame the stack transmits parses: Ethernet, then ARP, or an
 *     IPv4 header with a correct checksum and a total length within the
 *     MTU; frames are between 60 and MTU + 14 bytes;
 *   - every drop told to trace subscribers has a DROP-kind reason;
 *   - after tern_stack_poll(now), tern_stack_poll_at() is not before now;
 *   - at the end, after ten minutes of timers, no packet buffer is in use
 *     (tern_pkt_pool_in_use == 0), then the stack is destroyed (ASan's
 *     leak checker sees the rest).
 *
 * Build: tests/fuzz/CMakeLists.txt (TERN_FUZZ=ON, clang); run:
 * scripts/fuzz.sh, or ./fuzz_stack tests/fuzz/corpus/stack. With
 * FUZZ_STACK_STATS set, each run prints the counters that moved.
 *
 * Seeds: compile this file with -DTERN_FUZZ_MAKE_CORPUS (no libFuzzer)
 * and run it with a directory: it writes the seed corpus (echo, ARP
 * request and reply, fragments, UDP, TTL 1, redirect-worthy) there.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/checksum.h"
#include "core/stack_impl.h"
#include "link/link.h"
#include "net/net.h"
#include "tern/netdev.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NAME "fuzz_stack"
#include "fuzz_util.h"


#define IP_A TERN_IP4(10, 0, 0, 1)
#define IP_PROBED TERN_IP4(10, 0, 0, 50)
#define IP_B TERN_IP4(10, 1, 0, 1)
#define IP_NEIGH_A TERN_IP4(10, 0, 0, 2)
#define IP_GW_B TERN_IP4(10, 1, 0, 254)
#define MTU 1500

static const struct tern_mac mac_a = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct tern_mac mac_b = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct tern_mac mac_neigh_a = {{0x02, 0, 0, 0, 0, 0x0a}};
static const struct tern_mac mac_gw_b = {{0x02, 0, 0, 0, 0, 0x0b}};

/* ---- frame builders (also used for the seed corpus) ---- */

static size_t put_eth(uint8_t *f, struct tern_mac dst, struct tern_mac src, uint16_t type)
{
	struct tern_eth_repr e = {.dst = dst, .src = src, .ethertype = type};
	tern_eth_emit(&e, f);
	return TERN_ETH_HLEN;
}

static size_t build_arp(uint8_t *f, uint16_t op, struct tern_mac eth_dst, struct tern_mac sha,
			tern_ip4_t spa, struct tern_mac tha, tern_ip4_t tpa)
{
	size_t n = put_eth(f, eth_dst, sha, TERN_ETHERTYPE_ARP);
	struct tern_arp_repr a = {.op = op, .sha = sha, .spa = spa, .tha = tha, .tpa = tpa};
	tern_arp_emit(&a, f + n);
	memset(f + n + TERN_ARP_LEN, 0, 60 - n - TERN_ARP_LEN);
	return 60;
}

/* Ethernet + IPv4 (no options) around payload. */
static size_t build_ip(uint8_t *f, struct tern_mac dst, struct tern_mac src, tern_ip4_t ip_src,
		       tern_ip4_t ip_dst, uint8_t proto, uint8_t ttl, uint16_t id, bool mf,
		       uint16_t frag_off, const uint8_t *payload, size_t len)
{
	size_t n = put_eth(f, dst, src, TERN_ETHERTYPE_IPV4);
	struct tern_ipv4_repr ip = {
		.hlen = TERN_IPV4_HLEN, .total_len = (uint16_t)(TERN_IPV4_HLEN + len), .id = id,
		.mf = mf, .frag_off = frag_off, .ttl = ttl, .proto = proto, .src = ip_src, .dst = ip_dst,
	};
	tern_ipv4_emit(&ip, f + n);
	memcpy(f + n + TERN_IPV4_HLEN, payload, len);
	n += TERN_IPV4_HLEN + len;
	if (n < 60) {
		memset(f + n, 0, 60 - n);
		n = 60;
	}
	return n;
}

static size_t echo_msg(uint8_t *m, uint16_t id, uint16_t seq, size_t dlen)
{
	uint8_t data[1024];
	for (size_t i = 0; i < dlen && i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + seq);
	struct tern_icmp_repr r = {.type = TERN_ICMP_ECHO, .data = data, .data_len = dlen};
	r.u.echo.id = id;
	r.u.echo.seq = seq;
	tern_icmp_emit(&r, m);
	return TERN_ICMP_HLEN + dlen;
}

/* ---- checksum fix-up ---- */

static void fix_checksums(uint8_t *f, size_t len)
{
	if (len < TERN_ETH_HLEN + TERN_IPV4_HLEN || rd16(f + 12) != TERN_ETHERTYPE_IPV4)
		return;
	uint8_t *ip = f + TERN_ETH_HLEN;
	size_t avail = len - TERN_ETH_HLEN;
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < TERN_IPV4_HLEN || hlen > avail)
		return;
	wr16(ip + 10, 0);
	wr16(ip + 10, tern_csum(ip, hlen));
	size_t total = rd16(ip + 2);
	if (total < hlen || total > avail || (rd16(ip + 6) & 0x3fff))
		return; /* transport checksums only for whole datagrams */
	uint8_t *l4 = ip + hlen;
	size_t l4len = total - hlen;
	if (ip[9] == TERN_IPPROTO_ICMP && l4len >= TERN_ICMP_HLEN) {
		wr16(l4 + 2, 0);
		wr16(l4 + 2, tern_csum(l4, l4len));
	} else if (ip[9] == TERN_IPPROTO_UDP && l4len >= TERN_UDP_HLEN) {
		uint16_t ulen = rd16(l4 + 4);
		if (ulen < TERN_UDP_HLEN || ulen > l4len)
			return;
		wr16(l4 + 6, 0);
		uint32_t sum = tern_csum_pseudo4(rd32(ip + 12), rd32(ip + 16), TERN_IPPROTO_UDP, ulen);
		uint16_t c = tern_csum_fold(tern_csum_partial(l4, ulen, sum));
		wr16(l4 + 6, c ? c : 0xffff);
	} else if (ip[9] == TERN_IPPROTO_TCP && l4len >= 20) {
		wr16(l4 + 16, 0);
		uint32_t sum = tern_csum_pseudo4(rd32(ip + 12), rd32(ip + 16), TERN_IPPROTO_TCP,
						 (uint16_t)l4len);
		wr16(l4 + 16, tern_csum_fold(tern_csum_partial(l4, l4len, sum)));
	}
}

#ifndef TERN_FUZZ_MAKE_CORPUS

/* ---- devices that check what the stack sends ---- */

struct fz_dev {
	struct tern_netdev dev;
	uint64_t frames;
};

static int fz_transmit(struct tern_netdev *dev, const uint8_t *frame, size_t len, tern_time_t now)
{
	struct fz_dev *d = (struct fz_dev *)dev;
	(void)now;
	d->frames++;
	struct tern_ipv4_repr ip;
	fz_check_frame(dev, frame, len, &ip);
	return 0;
}

static void fz_destroy(struct tern_netdev *dev)
{
	(void)dev;
}

static const struct tern_netdev_ops fz_ops = {.transmit = fz_transmit, .destroy = fz_destroy};

static void on_icmp(void *ctx, struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now)
{
	(void)ctx;
	(void)s;
	(void)now;
	/* Touch what the message points at, so ASan checks its bounds. */
	volatile uint8_t x = 0;
	for (size_t i = 0; i < m->data_len; i++)
		x ^= m->data[i];
	for (size_t i = 0; m->has_quote && i < m->q_l4_len; i++)
		x ^= m->q_l4[i];
	(void)x;
}

static uint8_t frame_buf[TERN_PKT_LARGE_DATA + 64];

static void helper(struct tern_stack *s, struct fz_dev *devs, unsigned kind, unsigned n,
		   tern_time_t now)
{
	uint8_t f[1600];
	size_t len;
	switch (kind & 3) {
	case 0:
		/* A reply alone creates no entry (link/arp.c): ask first. */
		len = build_arp(f, TERN_ARP_OP_REQUEST, tern_mac_broadcast, mac_neigh_a, IP_NEIGH_A,
				tern_mac_zero, IP_A);
		tern_netdev_deliver(&devs[0].dev, f, len, now);
		len = build_arp(f, TERN_ARP_OP_REPLY, mac_a, mac_neigh_a, IP_NEIGH_A, mac_a, IP_A);
		tern_netdev_deliver(&devs[0].dev, f, len, now);
		break;
	case 1:
		len = build_arp(f, TERN_ARP_OP_REQUEST, tern_mac_broadcast, mac_gw_b, IP_GW_B,
				tern_mac_zero, IP_B);
		tern_netdev_deliver(&devs[1].dev, f, len, now);
		len = build_arp(f, TERN_ARP_OP_REPLY, mac_b, mac_gw_b, IP_GW_B, mac_b, IP_B);
		tern_netdev_deliver(&devs[1].dev, f, len, now);
		break;
	case 2:
		len = build_arp(f, TERN_ARP_OP_REQUEST, tern_mac_broadcast, mac_neigh_a, IP_NEIGH_A,
				tern_mac_zero, IP_A);
		tern_netdev_deliver(&devs[0].dev, f, len, now);
		break;
	case 3: {
		/* An echo request in two fragments. */
		uint8_t m[1024];
		size_t ml = echo_msg(m, 0x4242, (uint16_t)n, 600);
		len = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, IP_A, TERN_IPPROTO_ICMP, 64,
			       (uint16_t)(n * 7), true, 0, m, 304);
		tern_netdev_deliver(&devs[0].dev, f, len, now);
		len = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, IP_A, TERN_IPPROTO_ICMP, 64,
			       (uint16_t)(n * 7), false, 304, m + 304, ml - 304);
		tern_netdev_deliver(&devs[0].dev, f, len, now);
		break;
	}
	}
	(void)s;
}

/* UDP sockets, so datagrams reach demultiplexing, receive queues, ICMP
 * error delivery and (through the echoing one) the send path. */
#define FZ_NSOCKS 5
static int socks[FZ_NSOCKS];

static void on_sock(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	static uint8_t buf[70000];
	struct tern_sockaddr_in from;
	if (events & TERN_POLLERR) {
		int err;
		size_t len = sizeof(err);
		tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &err, &len);
	}
	if (!(events & TERN_POLLIN) || !ctx)
		return; /* the others fill up: queue limits get exercised */
	int n = tern_recvfrom(s, sd, buf, sizeof(buf), 0, &from);
	if (n >= 0)
		tern_sendto(s, sd, buf, (size_t)n, 0, &from);
}

static int open_udp(struct tern_stack *s, tern_ip4_t addr, uint16_t port, int opt,
		    const struct tern_sockaddr_in *peer, bool echo)
{
	int one = 1;
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	FZ_ASSERT(sd >= 0);
	if (opt)
		FZ_ASSERT(tern_setsockopt(s, sd, opt == TERN_IP_RECVERR ? TERN_IPPROTO_IP : TERN_SOL_SOCKET,
					  opt, &one, sizeof(one)) == 0);
	struct tern_sockaddr_in local = {addr, port};
	FZ_ASSERT(tern_bind(s, sd, &local) == 0);
	if (peer)
		FZ_ASSERT(tern_connect(s, sd, peer) == 0);
	tern_socket_set_callback(s, sd, on_sock, echo ? (void *)1 : NULL);
	return sd;
}

/* TCP: a listener on port 80 whose connections echo (and are closed once
 * the peer's FIN is in), and one connection of ours towards 10.0.0.9:80,
 * so segments reach LISTEN, SYN-SENT and, with the helper's neighbours,
 * whatever the input makes of them. */
#define FZ_MAX_TCP 16
static int tcp_socks[FZ_MAX_TCP];
static unsigned n_tcp;

static void on_tcp(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	static uint8_t buf[4096];
	(void)ctx;
	(void)events;
	int n;
	while ((n = tern_recv(s, sd, buf, sizeof(buf), 0)) > 0)
		tern_send(s, sd, buf, (size_t)n, 0);
	if (n == 0)
		tern_shutdown(s, sd, TERN_SHUT_WR);
}

static void on_listen(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	(void)ctx;
	(void)events;
	int c;
	while ((c = tern_accept(s, sd, NULL)) >= 0) {
		if (n_tcp == FZ_MAX_TCP) {
			tern_close(s, c);
			continue;
		}
		tcp_socks[n_tcp++] = c;
		tern_socket_set_callback(s, c, on_tcp, NULL);
	}
}

static void open_tcp(struct tern_stack *s)
{
	n_tcp = 0;
	int l = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in any = {0, 80};
	FZ_ASSERT(l >= 0 && tern_bind(s, l, &any) == 0 && tern_listen(s, l, 4) == 0);
	tern_socket_set_callback(s, l, on_listen, NULL);
	tcp_socks[n_tcp++] = l;
	int c = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	struct tern_sockaddr_in peer = {TERN_IP4(10, 0, 0, 9), 80};
	FZ_ASSERT(c >= 0 && tern_connect(s, c, &peer) == TERN_EINPROGRESS);
	tern_socket_set_callback(s, c, on_tcp, NULL);
	tcp_socks[n_tcp++] = c;
}

static void open_sockets(struct tern_stack *s)
{
	struct tern_sockaddr_in peer = {TERN_IP4(10, 0, 0, 9), 9};
	socks[0] = open_udp(s, 0, 7, 0, NULL, true);                    /* wildcard echo */
	socks[1] = open_udp(s, IP_A, 53, 0, NULL, false);               /* exact address */
	socks[2] = open_udp(s, 0, 5353, TERN_SO_REUSEPORT, NULL, false); /* a reuseport pair */
	socks[3] = open_udp(s, 0, 5353, TERN_SO_REUSEPORT, NULL, false);
	socks[4] = open_udp(s, IP_A, 40000, TERN_IP_RECVERR, &peer, false); /* connected */
	tern_send(s, socks[4], "x", 1, 0); /* so ICMP errors about it can match */
	open_tcp(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	data++;
	size--;

	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	cfg.name = "fuzz";
	cfg.seed = 7;
	cfg.forwarding = !(flags & 2);
	cfg.icmp_echo_ignore_broadcasts = !(flags & 4);
	cfg.arp_cache_size = 16;       /* reach eviction */
	cfg.reasm_high_thresh = 256 << 10; /* reach eviction */
	cfg.reasm_low_thresh = 192 << 10;
	cfg.reasm_max_frags = 16;
	cfg.pkt_pool_max_bytes = 1u << 20; /* reach the pool's limit */
	cfg.pkt_pool_keep_bytes = 256 << 10;
	cfg.tcp_retries2 = 3; /* orphans give up within the final wait */
	cfg.log = fz_on_log;
	struct tern_stack *s = tern_stack_create(&cfg);
	FZ_ASSERT(s);
	static struct fz_dev devs[2];
	tern_netdev_init(&devs[0].dev, &fz_ops, "a", &mac_a, MTU);
	tern_netdev_init(&devs[1].dev, &fz_ops, "b", &mac_b, MTU);
	FZ_ASSERT(tern_stack_attach(s, &devs[0].dev) == 1);
	FZ_ASSERT(tern_stack_attach(s, &devs[1].dev) == 2);
	FZ_ASSERT(tern_stack_addr_add(s, 1, IP_A, 24, 0) == 0);
	FZ_ASSERT(tern_stack_addr_add(s, 1, IP_PROBED, 24, TERN_ADDR_PROBE) == 0);
	FZ_ASSERT(tern_stack_addr_add(s, 2, IP_B, 24, 0) == 0);
	FZ_ASSERT(tern_route_add(s, 0, 0, IP_GW_B, 0, 0) == 0);
	FZ_ASSERT(tern_route_add(s, TERN_IP4(172, 16, 0, 0), 16, TERN_IP4(10, 0, 0, 9), 0, 0) == 0);
	FZ_ASSERT(tern_stack_trace_subscribe(s, fz_on_trace, NULL) >= 0);
	FZ_ASSERT(tern_icmp_listen(s, on_icmp, NULL) >= 0);
	open_sockets(s);

	tern_time_t now = 0;
	unsigned n = 0;
	while (size >= 5) {
		uint8_t dev = data[0];
		tern_time_t delay = TERN_MSEC(rd16(data + 1));
		size_t len = rd16(data + 3);
		data += 5;
		size -= 5;
		if (len > size)
			len = size;
		now += delay;
		fz_advance(s, now);
		if ((dev & 0x80) || n % 8 == 7)
			helper(s, devs, (dev & 0x80) ? (unsigned)(dev >> 1) : n / 8, n, now);
		memcpy(frame_buf, data, len);
		if (flags & 1)
			fix_checksums(frame_buf, len);
		tern_netdev_deliver(&devs[dev & 1].dev, frame_buf, len, now);
		FZ_ASSERT(tern_stack_poll_at(s) >= tern_stack_now(s));
		data += len;
		size -= len;
		n++;
	}
	/* Let every timer run out: ARP queues, reassembly, probing. */
	fz_advance(s, now + TERN_SEC(600));
	for (int i = 0; i < FZ_NSOCKS; i++)
		FZ_ASSERT(tern_close(s, socks[i]) == 0);
	for (unsigned i = 0; i < n_tcp; i++)
		FZ_ASSERT(tern_close(s, tcp_socks[i]) == 0);
	fz_advance(s, now + TERN_SEC(1800)); /* closed connections finish (FIN, TIME-WAIT) */
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_STACK_STATS") != NULL;
	if (verbose) /* to see what an input reaches: FUZZ_STACK_STATS=1 ./fuzz_stack FILE */
		tern_stack_stats_print(s, stderr, true);
	if (tern_pkt_pool_in_use(&s->pool) != 0) {
		fprintf(stderr, "fuzz_stack: %u packet buffers still in use\n",
			tern_pkt_pool_in_use(&s->pool));
		abort();
	}
	tern_stack_destroy(s);
	return 0;
}

#else /* TERN_FUZZ_MAKE_CORPUS: write the seed corpus */

static uint8_t out[65536];
static size_t out_len;

static void rec(uint8_t dev, uint16_t delay_ms, const uint8_t *f, size_t len, bool fix)
{
	out[out_len++] = dev;
	wr16(out + out_len, delay_ms);
	wr16(out + out_len + 2, (uint16_t)len);
	out_len += 4;
	memcpy(out + out_len, f, len);
	if (fix)
		fix_checksums(out + out_len, len);
	out_len += len;
}

static void save(const char *dir, const char *name, uint8_t flags)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	if (!fp) {
		perror(path);
		exit(1);
	}
	fputc(flags, fp);
	fwrite(out, 1, out_len, fp);
	fclose(fp);
	out_len = 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	uint8_t f[2048], m[1600];
	size_t n, ml;

	/* echo request to the router, after the neighbour's ARP request and
	 * reply (a reply alone creates no entry) */
	n = build_arp(f, TERN_ARP_OP_REQUEST, tern_mac_broadcast, mac_neigh_a, IP_NEIGH_A, tern_mac_zero,
		      IP_A);
	rec(0, 0, f, n, false);
	n = build_arp(f, TERN_ARP_OP_REPLY, mac_a, mac_neigh_a, IP_NEIGH_A, mac_a, IP_A);
	rec(0, 0, f, n, false);
	ml = echo_msg(m, 1, 1, 56);
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, IP_A, TERN_IPPROTO_ICMP, 64, 1, false, 0, m, ml);
	rec(0, 10, f, n, false);
	save(dir, "echo", 0);

	/* ARP request for us, then a reply for the probed address (conflict) */
	n = build_arp(f, TERN_ARP_OP_REQUEST, tern_mac_broadcast, mac_neigh_a, IP_NEIGH_A, tern_mac_zero,
		      IP_A);
	rec(0, 0, f, n, false);
	n = build_arp(f, TERN_ARP_OP_REPLY, tern_mac_broadcast, mac_neigh_a, IP_PROBED, tern_mac_zero,
		      IP_PROBED);
	rec(0, 500, f, n, false);
	save(dir, "arp_request_conflict", 0);

	/* ARP probe for the address being probed, after a few seconds */
	n = build_arp(f, TERN_ARP_OP_REQUEST, tern_mac_broadcast, mac_neigh_a, 0, tern_mac_zero, IP_PROBED);
	rec(0, 2000, f, n, false);
	save(dir, "arp_probe", 0);

	/* echo request in three fragments, out of order */
	ml = echo_msg(m, 2, 2, 1000);
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, IP_A, TERN_IPPROTO_ICMP, 64, 77, true, 400,
		     m + 400, 400);
	rec(0, 0, f, n, false);
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, IP_A, TERN_IPPROTO_ICMP, 64, 77, false, 800,
		     m + 800, ml - 800);
	rec(0, 5, f, n, false);
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, IP_A, TERN_IPPROTO_ICMP, 64, 77, true, 0, m, 400);
	rec(0, 5, f, n, false);
	save(dir, "fragments", 0);

	/* fragments that time out (fragment zero present) */
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, IP_A, TERN_IPPROTO_ICMP, 64, 78, true, 0, m, 400);
	rec(0, 0, f, n, false);
	rec(0, 31000, f, 0, false);
	save(dir, "fragment_timeout", 0);

	/* UDP to a closed port, checksums fixed by the target (flag 1) */
	memset(m, 0, 8 + 20);
	wr16(m, 5353);
	wr16(m + 2, 9);
	wr16(m + 4, 28);
	memcpy(m + 8, "hello, tern, from the fuzzer", 20);
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, IP_A, TERN_IPPROTO_UDP, 64, 3, false, 0, m, 28);
	rec(0, 1, f, n, true);
	save(dir, "udp_closed_port", 1);

	/* UDP forwarded from a to b (needs the gateway's ARP) */
	n = build_arp(f, TERN_ARP_OP_REQUEST, tern_mac_broadcast, mac_gw_b, IP_GW_B, tern_mac_zero, IP_B);
	rec(1, 0, f, n, false);
	n = build_arp(f, TERN_ARP_OP_REPLY, mac_b, mac_gw_b, IP_GW_B, mac_b, IP_B);
	rec(1, 0, f, n, false);
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, TERN_IP4(8, 8, 8, 8), TERN_IPPROTO_UDP, 64, 4,
		     false, 0, m, 28);
	rec(0, 1, f, n, true);
	save(dir, "udp_forward", 1);

	/* TCP: a SYN to the echo listener on port 80 (after the neighbour's
	 * ARP), then an ACK and data, a FIN, and a RST (checksums fixed:
	 * flag 1). The fuzzer's mutations of seq/ack/flags/options reach the
	 * whole state machine from here. */
	n = build_arp(f, TERN_ARP_OP_REQUEST, tern_mac_broadcast, mac_neigh_a, IP_NEIGH_A, tern_mac_zero,
		      IP_A);
	rec(0, 0, f, n, false);
	{
		static const uint8_t syn_opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
						     0, 0, 0, 0, 1, 3, 3, 7};
		struct { uint8_t flags; uint32_t seq, ack; size_t dlen; } segs[] = {
			{0x02, 1000, 0, 0}, {0x10, 1001, 1, 0}, {0x18, 1001, 1, 12},
			{0x11, 1013, 1, 0}, {0x04, 1014, 0, 0},
		};
		for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
			size_t hl = i == 0 ? 40 : 20;
			memset(m, 0, hl + segs[i].dlen);
			wr16(m, 40000);
			wr16(m + 2, 80);
			wr32(m + 4, segs[i].seq);
			wr32(m + 8, segs[i].ack);
			m[12] = (uint8_t)(hl / 4) << 4;
			m[13] = segs[i].flags;
			wr16(m + 14, 65535);
			if (i == 0)
				memcpy(m + 20, syn_opts, 20);
			memcpy(m + hl, "hello, tern!", segs[i].dlen);
			n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, IP_A, TERN_IPPROTO_TCP, 64,
				     (uint16_t)(20 + i), false, 0, m, hl + segs[i].dlen);
			rec(0, 1, f, n, true);
		}
	}
	save(dir, "tcp_listener", 1);

	/* TTL 1 through the router: time exceeded */
	ml = echo_msg(m, 5, 5, 32);
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, TERN_IP4(8, 8, 4, 4), TERN_IPPROTO_ICMP, 1, 5,
		     false, 0, m, ml);
	rec(0, 0, f, n, false);
	save(dir, "ttl_exceeded", 0);

	/* redirect-worthy: from a's side to 172.16/16 via 10.0.0.9 */
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, TERN_IP4(172, 16, 1, 1), TERN_IPPROTO_ICMP, 64, 6,
		     false, 0, m, ml);
	rec(0, 0, f, n, false);
	save(dir, "redirect", 0);

	/* an unresolved next hop: ARP retries then host unreachable */
	n = build_ip(f, mac_a, mac_neigh_a, IP_NEIGH_A, TERN_IP4(10, 1, 0, 77), TERN_IPPROTO_ICMP, 64, 7,
		     false, 0, m, ml);
	rec(0, 0, f, n, false);
	rec(0, 4000, f, 0, false);
	save(dir, "arp_unresolved", 0);

	/* a big datagram to forward: fragmented to the MTU on the way */
	ml = echo_msg(m, 8, 8, 1400);
	n = build_ip(f, mac_b, mac_gw_b, TERN_IP4(8, 8, 8, 8), IP_NEIGH_A, TERN_IPPROTO_ICMP, 64, 8,
		     false, 0, m, 1000);
	rec(1, 0, f, n, false);
	save(dir, "forward_big", 0);
	return 0;
}

#endif
