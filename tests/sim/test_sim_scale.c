/*
 * tests/sim/test_sim_scale.c — the simulator's schedule (src/sim/sim.c):
 * cost follows work, counted in events rather than timed.
 *
 *   - idle hosts beside a busy pair add no event and no instant;
 *   - the events a datagram costs do not depend on how many hosts share
 *     the switch;
 *   - hundreds of hosts with staggered traffic over impaired links give
 *     the same run (every datagram's arrival time and source, and the
 *     simulator's own counters) for the same seed, and another run for
 *     another seed;
 *   - a deadline that moved later (a cancelled timer) makes no instant;
 *     work started between runs through the socket API is scheduled;
 *   - a neighbour cache filled by many peers shrinks back (Linux's GC);
 *   - an idle host at rest costs little heap (under 1,952 bytes: the goal
 *     of 2 KiB is met), all it brings counted (its stack, interfaces,
 *     link, switch port, the simulator's records): the heap of 1,010 idle
 *     hosts less that of 10, over 1,000; and at its peak, the start-up
 *     second's floods and timers counted, not much more (under 2,100).
 */
#include <malloc.h>
#include <stddef.h>

#include "core/stack_impl.h"
#include "harness.h"
#include "tern/sim.h"
#include "tern/socket.h"
#include "tern/stack.h"

#define PORT 9
#define SERVER TERN_IP4(10, 0, 0, 1)
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

struct sender {
	struct tern_timer t;
	int sd;
	tern_time_t period;
};

struct server {
	int sd;
	uint64_t got;
	uint64_t hash; /* FNV-1a over (arrival time, source) of every datagram */
	struct tern_stack *s;
};

static void hash_in(uint64_t *h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		*h ^= (v >> (8 * i)) & 0xff;
		*h *= 0x100000001b3ull;
	}
}

static void on_server(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct server *sv = ctx;
	char buf[256];
	struct tern_sockaddr_in from;
	(void)events;
	while (tern_recvfrom(s, sd, buf, sizeof(buf), 0, &from) >= 0) {
		sv->got++;
		hash_in(&sv->hash, (uint64_t)tern_stack_now(s));
		hash_in(&sv->hash, (uint64_t)from.addr << 16 | from.port);
	}
}

static void on_tick(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct sender *x = container_of(t, struct sender, t);
	tern_send(s, x->sd, "tern", 4, 0);
	if (x->period)
		tern_timer_arm(s, t, now + x->period); /* 0: once */
}

struct star {
	struct tern_sim *sim;
	struct tern_switch *sw;
	struct server sv;
	struct sender *tx;
	unsigned nsenders;
};

/* A server and `senders` hosts sending every `period` (host i at i/senders
 * of a period, from 1 s on), plus `idle` hosts, on one switch. */
/* The hosts' configuration (NULL: the defaults), for the tests that set
 * one. */
static const struct tern_stack_config *star_host_cfg;

static void star_build(struct star *st, uint64_t seed, unsigned senders, unsigned idle,
		       tern_time_t period, const struct tern_sim_link_opts *lo)
{
	char name[16], addr[32];
	*st = (struct star){.sim = tern_sim_create(seed), .sv = {.hash = 0xcbf29ce484222325ull}};
	REQUIRE(st->sim);
	st->sw = tern_sim_switch(st->sim, "sw", senders + idle + 1);
	st->sv.s = tern_sim_host(st->sim, "server", NULL);
	REQUIRE(st->sw && st->sv.s);
	REQUIRE_EQ(tern_sim_connect_switch(st->sim, st->sv.s, "10.0.0.1/16", st->sw, lo, NULL), 0);
	st->sv.sd = tern_socket(st->sv.s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in any = {0, PORT}, dst = {SERVER, PORT};
	REQUIRE_EQ(tern_bind(st->sv.s, st->sv.sd, &any), 0);
	tern_socket_set_callback(st->sv.s, st->sv.sd, on_server, &st->sv);
	st->tx = calloc(senders ? senders : 1, sizeof(*st->tx));
	st->nsenders = senders;
	for (unsigned i = 0; i < senders + idle; i++) {
		snprintf(name, sizeof(name), "h%u", i);
		snprintf(addr, sizeof(addr), "10.0.%u.%u/16", (i + 2) / 256, (i + 2) % 256);
		struct tern_stack *h = tern_sim_host(st->sim, name, star_host_cfg);
		REQUIRE(h);
		REQUIRE_EQ(tern_sim_connect_switch(st->sim, h, addr, st->sw, lo, NULL), 0);
		if (i >= senders)
			continue;
		struct sender *x = &st->tx[i];
		x->period = period;
		x->sd = tern_socket(h, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
		REQUIRE_EQ(tern_connect(h, x->sd, &dst), 0);
		tern_timer_init(&x->t, on_tick);
		tern_time_t spread = period ? period : TERN_SEC(1);
		tern_timer_arm(h, &x->t, TERN_SEC(1) + (tern_time_t)((uint64_t)spread * i / senders));
	}
}

static void star_free(struct star *st)
{
	tern_sim_destroy(st->sim);
	free(st->tx);
}

/* Events and instants between 5 s and 15 s, and datagrams received then. */
struct window {
	uint64_t events, instants, got;
};

static struct window measure(struct star *st)
{
	struct tern_sim_stats a, b;
	tern_sim_run_until(st->sim, TERN_SEC(5));
	tern_sim_get_stats(st->sim, &a);
	uint64_t got = st->sv.got;
	tern_sim_run_until(st->sim, TERN_SEC(15));
	tern_sim_get_stats(st->sim, &b);
	return (struct window){b.events - a.events, b.instants - a.instants, st->sv.got - got};
}

TEST(idle_hosts_cost_no_events)
{
	struct window w[3];
	unsigned idle[3] = {0, 50, 400};
	for (int k = 0; k < 3; k++) {
		struct star st;
		star_build(&st, 1, 1, idle[k], TERN_MSEC(10), NULL);
		w[k] = measure(&st);
		star_free(&st);
	}
	CHECK_EQ(w[0].got, 1000);
	for (int k = 1; k < 3; k++) {
		CHECK_EQ(w[k].got, w[0].got);
		CHECK_EQ(w[k].events, w[0].events);
		CHECK_EQ(w[k].instants, w[0].instants);
	}
	printf("# busy pair, 10 s: %llu events, %llu instants, with 0, 50 or 400 idle hosts\n",
	       (unsigned long long)w[0].events, (unsigned long long)w[0].instants);
}

TEST(events_per_datagram_do_not_grow_with_hosts)
{
	struct window w[2];
	unsigned n[2] = {20, 300};
	for (int k = 0; k < 2; k++) {
		struct star st;
		star_build(&st, 1, n[k], 0, TERN_SEC(1), NULL);
		w[k] = measure(&st);
		star_free(&st);
		CHECK_EQ(w[k].got, 10 * n[k]);
	}
	/* no more events for a datagram on the bigger switch (3 each, and
	 * the server's pool trim once a second whatever the size) */
	CHECK(w[1].events * n[0] <= w[0].events * n[1]);
	CHECK(w[1].instants * n[0] <= w[0].instants * n[1]);
	CHECK_EQ(w[1].events - w[0].events, 3 * (w[1].got - w[0].got));
	printf("# %.1f events per datagram with %u or %u hosts on the switch\n",
	       (double)w[0].events / (double)w[0].got, n[0], n[1]);
}

/* One run's fingerprint. */
struct print {
	uint64_t hash, got;
	struct tern_sim_stats st;
};

static struct print lossy_run(uint64_t seed)
{
	struct tern_sim_link_opts lo = {.delay = TERN_USEC(50), .rate_bps = 100000000ull,
					 .loss = 0.02, .jitter = TERN_USEC(30),
					 .reorder = 0.01};
	struct star st;
	struct print p = {0};
	star_build(&st, seed, 300, 100, TERN_MSEC(100), &lo);
	tern_sim_run_until(st.sim, TERN_SEC(6));
	p.hash = st.sv.hash;
	p.got = st.sv.got;
	tern_sim_get_stats(st.sim, &p.st);
	star_free(&st);
	return p;
}

TEST(same_seed_same_run_with_many_hosts)
{
	struct print a = lossy_run(7), b = lossy_run(7), c = lossy_run(8);
	CHECK(a.got > 300 * 45 * 9 / 10);
	CHECK_EQ(a.got, b.got);
	CHECK_EQ(a.hash, b.hash);
	CHECK_EQ(a.st.events, b.st.events);
	CHECK_EQ(a.st.instants, b.st.instants);
	CHECK_EQ(a.st.rounds, b.st.rounds);
	CHECK_EQ(a.st.wakeups, b.st.wakeups);
	CHECK(a.hash != c.hash);
	CHECK_EQ(a.st.nodes, 401);
	CHECK_EQ(a.st.links, 401);
}

static unsigned fired;

static void count_fire(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	(void)s;
	(void)t;
	(void)now;
	fired++;
}

/* The heap learns of a later deadline only when it looks: a timer armed
 * for 5 s and cancelled leaves a stale entry that must make no instant. */
TEST(cancelled_deadline_makes_no_instant)
{
	struct tern_sim *sim = tern_sim_create(1);
	struct tern_stack *h = tern_sim_host(sim, "h", NULL);
	struct tern_timer t;
	struct tern_sim_stats st;
	tern_timer_init(&t, count_fire);
	tern_timer_arm(h, &t, TERN_SEC(5));
	CHECK_EQ(tern_sim_next(sim), TERN_SEC(5));
	tern_timer_cancel(h, &t);
	CHECK_EQ(tern_sim_next(sim), TERN_TIME_NEVER);
	tern_timer_arm(h, &t, TERN_SEC(10));
	tern_timer_arm(h, &t, TERN_SEC(12)); /* moved later: no wake, corrected lazily */
	CHECK_EQ(tern_sim_next(sim), TERN_SEC(12));
	tern_sim_run_until(sim, TERN_SEC(20));
	tern_sim_get_stats(sim, &st);
	CHECK_EQ(fired, 1);
	CHECK_EQ(st.instants, 1);
	CHECK_EQ(st.events, 1);
	tern_sim_destroy(sim);
}

/* A datagram sent between runs, from outside any poll, is on the schedule
 * at once: its frame's arrival is the next event. */
TEST(work_started_between_runs_is_scheduled)
{
	struct tern_sim *sim = tern_sim_create(1);
	struct tern_stack *a = tern_sim_host(sim, "a", NULL), *b = tern_sim_host(sim, "b", NULL);
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(3)};
	REQUIRE_EQ(tern_sim_connect(sim, a, "10.0.0.1/24", b, "10.0.0.2/24", &lo, NULL, NULL), 0);
	/* The announcements at 0 s used a tiny buffer each, freed with its
	 * frame; the link's frame records went back to the simulator's pool
	 * as each queue emptied (3 ms): nothing is due. */
	tern_sim_run_until(sim, TERN_SEC(1));
	CHECK_EQ(tern_sim_next(sim), TERN_TIME_NEVER);
	tern_sim_run_until(sim, TERN_SEC(3));
	CHECK_EQ(tern_sim_next(sim), TERN_TIME_NEVER);
	struct tern_stack_mem m;
	tern_stack_mem_get(a, &m);
	CHECK_EQ(m.pool_made, 0);
	int sd = tern_socket(a, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in dst = {TERN_IP4(10, 0, 0, 2), PORT};
	CHECK_EQ(tern_sendto(a, sd, "x", 1, 0, &dst), 1);
	/* ARP's request is on the wire, due 3 ms later; its retry timer at 1 s */
	CHECK_EQ(tern_sim_next(sim), TERN_SEC(3) + TERN_MSEC(3));
	tern_sim_run_until(sim, TERN_SEC(4));
	CHECK_EQ(tern_stack_stat(b, TERN_STAT_UDP_NO_PORT), 1);
	struct tern_link_stats ls;
	REQUIRE_EQ(tern_sim_link_count(sim), 1);
	tern_link_get_stats(tern_sim_link_get(sim, 0), 0, &ls);
	CHECK_EQ(ls.tx_frames, ls.rx_frames);
	CHECK_EQ(ls.queued_frames, 0);
	CHECK(tern_sim_link_get(sim, 1) == NULL);
	/* two datagrams now: both on the wire for 3 ms */
	CHECK_EQ(tern_sendto(a, sd, "x", 1, 0, &dst), 1);
	CHECK_EQ(tern_sendto(a, sd, "y", 1, 0, &dst), 1);
	tern_link_get_stats(tern_sim_link_get(sim, 0), 0, &ls);
	CHECK_EQ(ls.queued_frames, 2);
	CHECK_EQ(ls.queued_bytes, 2 * 60);
	CHECK(ls.queued_peak_frames >= 2);
	tern_sim_run_for(sim, TERN_MSEC(3));
	tern_link_get_stats(tern_sim_link_get(sim, 0), 0, &ls);
	CHECK_EQ(ls.queued_frames, 0);
	CHECK_EQ(tern_stack_stat(b, TERN_STAT_UDP_NO_PORT), 3);
	tern_sim_destroy(sim);
}

/* A server that 300 clients asked for its MAC holds 300 STALE entries;
 * past gc_thresh1 (128) those unused for gc_stale_time (60 s) go, as
 * Linux's neighbour GC collects them, and the cache's memory with them. */
TEST(neighbour_cache_shrinks_back)
{
	struct star st;
	struct tern_stack_mem m;
	star_build(&st, 1, 300, 0, 0, NULL);
	tern_sim_run_until(st.sim, TERN_SEC(5));
	CHECK_EQ(st.sv.got, 300);
	tern_stack_mem_get(st.sv.s, &m);
	CHECK_EQ(m.neigh_entries, 300);
	tern_sim_run_until(st.sim, TERN_SEC(70));
	tern_stack_mem_get(st.sv.s, &m);
	CHECK_EQ(m.neigh_entries, 128);
	star_free(&st);
}

/* Hosts made from one configuration share its tunables (and routers
 * theirs) until a sysctl changes one host's: that host alone gets a copy.
 * The seed stays each host's own; a host without sockets reads the shared
 * empty socket table and still answers the congestion control sysctl. */
TEST(hosts_share_tunables_until_a_sysctl)
{
	struct tern_sim *sim = tern_sim_create(1);
	struct tern_stack *a = tern_sim_host(sim, "a", NULL), *b = tern_sim_host(sim, "b", NULL);
	struct tern_stack *r = tern_sim_router(sim, "r", NULL);
	char v[32];
	REQUIRE(a && b && r);
	CHECK(a->cfg == b->cfg);
	CHECK(r->cfg != a->cfg);
	CHECK(r->cfg->forwarding && !a->cfg->forwarding);
	CHECK(a->seed != b->seed);
	CHECK_EQ(tern_sysctl_set(a, "net.ipv4.tcp_sack", "0"), 0);
	CHECK(a->cfg != b->cfg);
	CHECK(!a->cfg->tcp_sack && b->cfg->tcp_sack);
	REQUIRE(tern_sysctl_get(b, "net.ipv4.tcp_sack", v, sizeof(v)) >= 0);
	CHECK_STR(v, "1");
	REQUIRE(tern_sysctl_get(b, "net.ipv4.tcp_congestion_control", v, sizeof(v)) >= 0);
	CHECK_STR(v, "cubic");
	tern_stack_set_forwarding(b, true);
	CHECK(b->cfg->forwarding && !a->cfg->forwarding);
	tern_sim_destroy(sim);
}

/* Heap in use now (glibc's count: chunks handed out, with their headers). */
static size_t heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}

/* The heap a star of `idle` idle hosts (and the server) holds at rest, 10
 * virtual seconds in: announcements done, pools and link queues trimmed. */
static size_t idle_star_heap(unsigned idle)
{
	struct star st;
	size_t before = heap_in_use();
	star_build(&st, 1, 0, idle, 0, NULL);
	tern_sim_run_until(st.sim, TERN_SEC(10));
	size_t used = heap_in_use() - before;
	star_free(&st);
	return used;
}

/* Bytes. It measures 1,930 (glibc 2.36, malloc's headers included; 1,913
 * before the link's queues held their list heads themselves), under
 * the goal of 2,048 (issue 9, item 5); it was 2,432 before the counters'
 * short list, the interface's own first address and the one-block host,
 * and 94,417 when every link end kept the frame records of the start-up
 * burst. The bound keeps what was won. */
#define IDLE_HOST_HEAP_LIMIT 1952

/* The heap's high-water mark, counted by wrapping glibc's allocator in
 * this program (malloc_usable_size plus the chunk's 8-byte header per
 * block): deterministic, and it sees what lives only within one instant
 * (a flood's frame records), which no sample between runs would. */
#if !defined(__SANITIZE_ADDRESS__)
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static long long heap_now, heap_high;

static void heap_count(void *p, int sign)
{
	if (!p)
		return;
	heap_now += sign * (long long)(malloc_usable_size(p) + sizeof(size_t));
	if (heap_now > heap_high)
		heap_high = heap_now;
}

void *malloc(size_t n)
{
	void *p = __libc_malloc(n);
	heap_count(p, 1);
	return p;
}

void *calloc(size_t n, size_t size)
{
	void *p = __libc_calloc(n, size);
	heap_count(p, 1);
	return p;
}

void *realloc(void *old, size_t n)
{
	long long before = old ? (long long)(malloc_usable_size(old) + sizeof(size_t)) : 0;
	void *p = __libc_realloc(old, n);
	if (p || !n) {
		heap_now -= before;
		heap_count(p, 1);
	}
	return p;
}

void free(void *p)
{
	heap_count(p, -1);
	__libc_free(p);
}

/* The most heap a star of `idle` idle hosts (and the server) ever held
 * in its first 10 virtual seconds, building included: the announcements,
 * each flooded to every port, the first ARP exchanges. */
static long long idle_star_peak(unsigned idle)
{
	struct star st;
	long long base = heap_now;
	heap_high = heap_now;
	star_build(&st, 1, 0, idle, 0, NULL);
	for (int ms = 0; ms < 10000; ms += 100) /* in steps, as a lab runs */
		tern_sim_run_until(st.sim, TERN_MSEC(ms + 100));
	long long peak = heap_high - base;
	star_free(&st);
	return peak;
}
#endif

/* Bytes. It measures 2,050 (glibc 2.36, an 8-byte header per block): the
 * heap at rest plus the start-up second's transients (each flood's frame
 * records, one per port at its instant; each host's announcement timer
 * until it fires); about 2,960 when each link end kept its frame records
 * for a second after its queue emptied and each host its tiny ARP buffer.
 * The bound keeps what was won; the goal is 2,048 (issue 9). */
#define IDLE_HOST_PEAK_LIMIT 2100

TEST(idle_host_peak_heap_is_small)
{
#if defined(__SANITIZE_ADDRESS__)
	printf("# (not measured under AddressSanitizer: it has its own allocator)\n");
#else
	/* hosts announce themselves within a second of starting, as real
	 * ones do (and bench_sim_scale's): all at one instant, every link
	 * end would hold the whole LAN's announcements at once */
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	cfg.arp_announce_jitter = TERN_SEC(1);
	star_host_cfg = &cfg;
	long long small = idle_star_peak(10), big = idle_star_peak(1010);
	star_host_cfg = NULL;
	double per_host = (double)(big - small) / 1000;
	printf("# peak heap per idle host: %.0f B (1,000 more on one switch: %lld B)\n", per_host,
	       big - small);
	CHECK(per_host < IDLE_HOST_PEAK_LIMIT);
#endif
}

TEST(idle_host_heap_is_small)
{
	size_t small = idle_star_heap(10), big = idle_star_heap(1010);
	double per_host = ((double)big - (double)small) / 1000;
	printf("# heap per idle host at rest: %.0f B (1,000 more on one switch: %zu B)\n", per_host,
	       big - small);
#if defined(__SANITIZE_ADDRESS__)
	printf("# (not checked under AddressSanitizer: mallinfo2 does not see its heap)\n");
#else
	CHECK(per_host < IDLE_HOST_HEAP_LIMIT);
#endif
}

TEST_MAIN()
