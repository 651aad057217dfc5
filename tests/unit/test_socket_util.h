/*
 * tests/unit/test_socket_util.h — helpers shared by the test_socket_*.c
 * tests: a two-host simulation (A 10.0.0.1 — B 10.0.0.2 on one Ethernet
 * link), socket shorthands that fail the test on error, and the pool-leak
 * check every test ends with.
 */
#ifndef TERN_TEST_SOCKET_UTIL_H
#define TERN_TEST_SOCKET_UTIL_H

#include "core/stack_impl.h"
#include "net/net.h"
#include "transport/sock.h"
#include "harness.h"
#include "tern/sim.h"
#include "tern/socket.h"

#define IP_A TERN_IP4(10, 0, 0, 1)
#define IP_B TERN_IP4(10, 0, 0, 2)
#define IP_NET_BCAST TERN_IP4(10, 0, 0, 255)
#define IP_LO TERN_IP4(127, 0, 0, 1)

static inline struct tern_sockaddr_in sa(tern_ip4_t addr, uint16_t port)
{
	return (struct tern_sockaddr_in){addr, port};
}

static inline uint64_t stat_of(const struct tern_stack *s, const char *name)
{
	enum tern_stat st = tern_stat_lookup(name);
	if (st == TERN_STAT_NONE) {
		fprintf(stderr, "unknown counter %s\n", name);
		return UINT64_MAX; /* so that any check on it fails */
	}
	return tern_stack_stat(s, st);
}

static inline unsigned pool_in_use(const struct tern_stack *s)
{
	return tern_pkt_pool_in_use(&s->pool);
}

static inline int set_int(struct tern_stack *s, int sd, int level, int name, int val)
{
	return tern_setsockopt(s, sd, level, name, &val, sizeof(val));
}

static inline int get_int(struct tern_stack *s, int sd, int level, int name, int *val)
{
	size_t len = sizeof(*val);
	return tern_getsockopt(s, sd, level, name, val, &len);
}

/* A UDP socket, optionally with options (flags) and bound. */
enum { OPT_REUSEADDR = 1, OPT_REUSEPORT = 2, OPT_BROADCAST = 4 };
static inline int udp_socket(struct tern_stack *s, unsigned opts)
{
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	if (sd >= 0 && (opts & OPT_REUSEADDR))
		set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, 1);
	if (sd >= 0 && (opts & OPT_REUSEPORT))
		set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_REUSEPORT, 1);
	if (sd >= 0 && (opts & OPT_BROADCAST))
		set_int(s, sd, TERN_SOL_SOCKET, TERN_SO_BROADCAST, 1);
	return sd;
}

/* Returns the descriptor, or the negative bind error (socket closed). */
static inline int udp_bound(struct tern_stack *s, unsigned opts, tern_ip4_t addr, uint16_t port)
{
	int sd = udp_socket(s, opts);
	if (sd < 0)
		return sd;
	struct tern_sockaddr_in a = sa(addr, port);
	int err = tern_bind(s, sd, &a);
	if (err < 0) {
		tern_close(s, sd);
		return err;
	}
	return sd;
}

/* Two hosts on one link. */
struct pair {
	struct tern_sim *sim;
	struct tern_stack *a, *b;
};

static inline bool pair_init(struct pair *p, uint64_t seed, const struct tern_sim_link_opts *o)
{
	p->sim = tern_sim_create(seed);
	p->a = tern_sim_host(p->sim, "A", NULL);
	p->b = tern_sim_host(p->sim, "B", NULL);
	return p->a && p->b &&
	       tern_sim_connect(p->sim, p->a, "10.0.0.1/24", p->b, "10.0.0.2/24", o, NULL, NULL) == 0;
}

/* Let the link and the stacks settle, then bring each stack's clock up to
 * the simulation's, so a send made now is stamped with the current time. */
static inline void pair_run(struct pair *p, tern_time_t dt)
{
	tern_sim_run_for(p->sim, dt);
	tern_stack_poll(p->a, tern_sim_now(p->sim));
	tern_stack_poll(p->b, tern_sim_now(p->sim));
}

/* Close every socket on both hosts, let ARP queues and reassembly drain,
 * check no packet buffer is left in use, destroy. */
static inline void pair_finish(struct pair *p)
{
	struct tern_stack *st[2] = {p->a, p->b};
	for (int i = 0; i < 2; i++)
		for (int sd = tern_socket_next(st[i], -1); sd >= 0; sd = tern_socket_next(st[i], sd))
			tern_close(st[i], sd);
	pair_run(p, TERN_SEC(60));
	CHECK_EQ(pool_in_use(p->a), 0);
	CHECK_EQ(pool_in_use(p->b), 0);
	tern_sim_destroy(p->sim);
}

/* A standalone stack (loopback only). */
static inline struct tern_stack *lone_stack(uint64_t seed)
{
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	cfg.seed = seed;
	return tern_stack_create(&cfg);
}

/* Run the loopback queue (datagrams a stack sent itself) until it is
 * empty: an answer (an ICMP error) queued while it runs waits a round. */
static inline void lo_run(struct tern_stack *s)
{
	for (int i = 0; i < 8 && (i == 0 || s->net->loopback.len); i++)
		tern_stack_poll(s, tern_stack_now(s));
}

static inline void lone_finish(struct tern_stack *s)
{
	for (int sd = tern_socket_next(s, -1); sd >= 0; sd = tern_socket_next(s, sd))
		tern_close(s, sd);
	lo_run(s);
	CHECK_EQ(pool_in_use(s), 0);
	tern_stack_destroy(s);
}

#endif
