/*
 * bench/sim_scale.c — how the simulator's cost grows with the size of the
 * network and with its traffic (issue 9, item 5).
 *
 * Scenarios (each run in a child process of its own, so its peak resident
 * memory is its own, read from wait4's rusage):
 *
 *   udp N     N clients and a server on switches (LANs of up to 1,000
 *             hosts joined by a router); each client sends a
 *             64-byte UDP datagram to the server once a virtual second,
 *             client i at i/N s into each second, for 60 virtual seconds;
 *   ping N    the same, each client running tern's ping (-c 60 -i 1);
 *   idle N    N idle hosts on the switch beside one busy pair (the client
 *             sends 1,000 datagrams a virtual second to the server);
 *   chain     a 1 Gbit/s UDP stream (1,472-byte payloads at line rate)
 *             across three routers for 10 virtual seconds;
 *   dumbbell  2 bulk TCP flows through a 10 Mbit/s, 10 ms bottleneck with
 *             100 Mbit/s, 1 ms access links, for 60 virtual seconds.
 *
 * Build-up (creating and attaching, the hosts' start-up announcements,
 * the first ARP exchanges: the first 3 virtual seconds, traffic from 1 s)
 * is timed apart from the measured minute, so "wall s per virtual s" is
 * the steady state the goals speak of; "setup s" is the build-up's wall
 * time. Figures:
 * wall seconds per virtual second, simulator events (polls that had work)
 * and instants per wall second, frames carried, peak RSS of the process and,
 * for the idle runs, the RSS per idle host (against the 10-host run).
 * Every run checks what it carried (datagrams received, replies, bytes), so
 * a broken scenario fails instead of looking fast. Benchmarks are never
 * tests: timings on a shared machine wander (bench/README.md).
 *
 * Usage: bench_sim_scale [--quick] [--run udp|ping|idle|chain|dumbbell]...
 *                        [--hosts N]...
 * Default: every scenario, hosts 10 100 1000 10000 (--quick: 10 100 1000).
 */
#define _GNU_SOURCE

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tern/apps.h>
#include <tern/sim.h>
#include <tern/socket.h>
#include <tern/stack.h>

#include "common.h"

#define SERVER_PORT 9
/* Traffic starts at 1 s (hosts announce themselves within the first
 * second), the measured minute at 3 s: by then every client has resolved
 * the server once (a broadcast each, N^2 frame deliveries on one LAN). */
#define TRAFFIC_START TERN_SEC(1)
#define WARMUP TERN_SEC(3)
#define LEAD_IN 2 /* virtual seconds of traffic before the measured minute */
#define MAX_HOSTS_ARGS 8
#define MAX_RUNS 8

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* What a child reports to the parent. */
struct result {
	int ok;
	char note[96];
	double setup_wall, wall, vsec;
	uint64_t events, instants, frames, work; /* work: datagrams / packets / bytes */
};

static FILE *devnull;

/* ---- helpers -------------------------------------------------------------- */

static void die(const char *what)
{
	fprintf(stderr, "bench_sim_scale: %s\n", what);
	exit(1);
}

static uint64_t sim_frames(const struct tern_sim *sim)
{
	uint64_t n = 0;
	for (size_t i = 0; i < tern_sim_link_count(sim); i++)
		for (int side = 0; side < 2; side++) {
			struct tern_link_stats st;
			tern_link_get_stats(tern_sim_link_get(sim, i), side, &st);
			n += st.rx_frames;
		}
	return n;
}

/* Simulated hosts at rest: a small pool to keep, the neighbour cache
 * grows as needed; the start-up announcement comes at a random moment in
 * the first second, as RFC 5227 §2.1.1 has probes wait. */
static void host_config(struct tern_stack_config *c)
{
	tern_stack_config_init(c);
#ifndef BENCH_BASELINE
	c->arp_announce_jitter = TERN_SEC(1);
#endif
}

/* LANs of at most LAN_HOSTS hosts, each a switch, joined by one router
 * with an interface on each (10.K.0.1/16 on LAN K); the server is
 * 10.0.0.2 on LAN 0, hosts follow it there and then fill LAN 1, 2, ...
 * Up to 1,000 hosts this is the star on one switch; 10,000 make
 * ten LANs, as a real network would rather than one broadcast domain of
 * 10,000 (whose every broadcast reaches every host: N^2 frames). */
#define LAN_HOSTS 1000
#define MAX_LANS 15 /* TERN_MAX_IFACES - 1 */
#define SERVER_IP TERN_IP4(10, 0, 0, 2)

struct star {
	struct tern_sim *sim;
	struct tern_stack *router;
	struct tern_switch *lan[MAX_LANS];
	unsigned nlans, on_lan;
};

static struct tern_switch *new_lan(struct star *st, unsigned ports)
{
	char name[16], addr[32];
	unsigned k = st->nlans++;
	if (k == MAX_LANS)
		die("too many hosts for one router");
	snprintf(name, sizeof(name), "lan%u", k);
	st->lan[k] = tern_sim_switch(st->sim, name, ports + 2);
	if (!st->lan[k])
		die("switch");
	snprintf(addr, sizeof(addr), "10.%u.0.1/16", k);
	if (tern_sim_connect_switch(st->sim, st->router, addr, st->lan[k], NULL, NULL))
		die("router");
	st->on_lan = 0;
	return st->lan[k];
}

/* The LAN the next host joins, its address there and its gateway. */
static struct tern_switch *next_port(struct star *st, unsigned total, char *addr, size_t n,
				     tern_ip4_t *gw)
{
	if (!st->nlans || st->on_lan == LAN_HOSTS)
		new_lan(st, total < LAN_HOSTS ? total : LAN_HOSTS);
	unsigned k = st->nlans - 1, i = st->on_lan++ + 2;
	snprintf(addr, n, "10.%u.%u.%u/16", k, i / 256, i % 256);
	*gw = TERN_IP4(10, k, 0, 1);
	return st->lan[k];
}

/* ---- (a) stars: UDP, ping, idle -------------------------------------------- */

struct client {
	struct tern_timer t;
	struct tern_stack *s;
	int sd;
	tern_time_t period;
	unsigned left;
	struct tern_ping *ping;
};

static uint64_t server_got;

static void on_server(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	char buf[2048];
	(void)ctx;
	(void)events;
	while (tern_recv(s, sd, buf, sizeof(buf), 0) >= 0)
		server_got++;
}

static void udp_tick(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct client *c = container_of(t, struct client, t);
	static const char payload[64];
	tern_send(s, c->sd, payload, sizeof(payload), 0);
	if (--c->left)
		tern_timer_arm(s, t, now + c->period);
}

static void ping_start(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct client *c = container_of(t, struct client, t);
	struct tern_ping_opts o;
	int err;
	tern_ping_opts_init(&o);
	o.dst = SERVER_IP;
	o.count = c->left;
	o.quiet = true;
	c->ping = tern_ping_start(s, &o, devnull, now, &err);
	if (!c->ping)
		die("ping");
}

static int open_client(struct tern_stack *s)
{
	int sd = tern_socket(s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in dst = {SERVER_IP, SERVER_PORT};
	if (sd < 0 || tern_connect(s, sd, &dst) < 0)
		die("client socket");
	return sd;
}

enum star_kind { STAR_UDP, STAR_PING, STAR_IDLE };

static void run_star(enum star_kind kind, unsigned n, struct result *r)
{
	struct star st = {.sim = tern_sim_create(9)};
	struct tern_stack_config hc, sc;
	char addr[32], name[24];
	double t0 = bench_now_ns();
	unsigned nclients = kind == STAR_IDLE ? 1 : n;
	unsigned nidle = kind == STAR_IDLE ? n : 0;
	unsigned count = 60;

	if (!st.sim)
		die("sim");
	host_config(&hc);
	host_config(&sc);
	sc.arp_cache_size = 16384; /* as an admin raises gc_thresh3 for a big LAN */
	st.router = tern_sim_router(st.sim, "router", &sc);
	struct tern_stack *srv = tern_sim_host(st.sim, "server", &sc);
	tern_ip4_t gw;
	if (!st.router || !srv ||
	    tern_sim_connect_switch(st.sim, srv, "10.0.0.2/16",
				    next_port(&st, nclients + nidle + 1, addr, sizeof(addr), &gw),
				    NULL, NULL) ||
	    tern_route_add(srv, 0, 0, gw, 0, 0))
		die("server");
	int ssd = tern_socket(srv, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in any = {0, SERVER_PORT};
	if (ssd < 0 || tern_bind(srv, ssd, &any) < 0)
		die("server socket");
	tern_socket_set_callback(srv, ssd, on_server, NULL);

	struct client *cl = calloc(nclients, sizeof(*cl));
	if (!cl)
		die("memory");
	for (unsigned i = 0; i < nclients + nidle; i++) {
		snprintf(name, sizeof(name), "h%u", i);
		struct tern_switch *lan = next_port(&st, nclients + nidle + 1, addr, sizeof(addr), &gw);
		struct tern_stack *h = tern_sim_host(st.sim, name, &hc);
		if (!h || tern_sim_connect_switch(st.sim, h, addr, lan, NULL, NULL) ||
		    tern_route_add(h, 0, 0, gw, 0, 0))
			die("host");
		if (i >= nclients)
			continue;
		struct client *c = &cl[i];
		c->s = h;
		if (kind == STAR_IDLE) {
			c->period = TERN_MSEC(1);
			c->left = (count + LEAD_IN) * 1000;
		} else {
			c->period = TERN_SEC(1);
			c->left = count + LEAD_IN;
		}
		tern_timer_init(&c->t, kind == STAR_PING ? ping_start : udp_tick);
		if (kind != STAR_PING)
			c->sd = open_client(h);
		/* staggered over the first second of the run */
		tern_timer_arm(h, &c->t,
			       TRAFFIC_START + (tern_time_t)((uint64_t)TERN_SEC(1) * i / nclients));
	}
	tern_sim_run_until(st.sim, WARMUP);
	double t1 = bench_now_ns();
	struct tern_sim_stats s0, s1;
	tern_sim_get_stats(st.sim, &s0);
	uint64_t f0 = sim_frames(st.sim);
	tern_sim_run_until(st.sim, WARMUP + TERN_SEC(count));
	double t2 = bench_now_ns();
	tern_sim_get_stats(st.sim, &s1);

	tern_sim_run_for(st.sim, TERN_MSEC(500)); /* the last answers */
	uint64_t expect = (uint64_t)nclients * (count + LEAD_IN) * (kind == STAR_IDLE ? 1000 : 1);
	r->setup_wall = (t1 - t0) / 1e9;
	r->wall = (t2 - t1) / 1e9;
	r->vsec = (double)count;
	r->events = s1.events - s0.events;
	r->instants = s1.instants - s0.instants;
	r->frames = sim_frames(st.sim) - f0;
	if (kind == STAR_PING) {
		uint64_t got = 0;
		for (unsigned i = 0; i < nclients; i++) {
			struct tern_ping_stats ps;
			tern_ping_get_stats(cl[i].ping, &ps);
			got += ps.received;
		}
		r->work = got;
	} else {
		r->work = server_got;
	}
	r->ok = r->work == expect;
	snprintf(r->note, sizeof(r->note), "%llu/%llu %s", (unsigned long long)r->work,
		 (unsigned long long)expect, kind == STAR_PING ? "replies" : "datagrams");
	for (unsigned i = 0; i < nclients; i++)
		if (cl[i].ping)
			tern_ping_finish(cl[i].ping, tern_sim_now(st.sim));
	free(cl);
	tern_sim_destroy(st.sim);
}

/* ---- (b) a 1 Gbit/s stream across three routers ---------------------------- */

#define CHAIN_PAYLOAD 1472
#define CHAIN_RATE 1000000000ull

struct stream {
	struct tern_timer t;
	int sd;
	tern_time_t burst_every;
	unsigned per_burst;
	tern_time_t until;
};

static void stream_tick(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct stream *x = container_of(t, struct stream, t);
	static const char payload[CHAIN_PAYLOAD];
	for (unsigned i = 0; i < x->per_burst; i++)
		tern_send(s, x->sd, payload, sizeof(payload), 0);
	if (now + x->burst_every < x->until)
		tern_timer_arm(s, t, now + x->burst_every);
}

static void run_chain(struct result *r)
{
	struct tern_sim *sim = tern_sim_create(9);
	struct tern_sim_link_opts lo = {.rate_bps = CHAIN_RATE, .delay = TERN_USEC(10)};
	struct tern_stack *a = tern_sim_host(sim, "a", NULL), *b = tern_sim_host(sim, "b", NULL);
	struct tern_stack *r1 = tern_sim_router(sim, "r1", NULL), *r2 = tern_sim_router(sim, "r2", NULL),
			  *r3 = tern_sim_router(sim, "r3", NULL);
	double t0 = bench_now_ns();
	if (!a || !b || !r1 || !r2 || !r3 ||
	    tern_sim_connect(sim, a, "10.1.0.2/24", r1, "10.1.0.1/24", &lo, NULL, NULL) ||
	    tern_sim_connect(sim, r1, "10.2.0.1/24", r2, "10.2.0.2/24", &lo, NULL, NULL) ||
	    tern_sim_connect(sim, r2, "10.3.0.1/24", r3, "10.3.0.2/24", &lo, NULL, NULL) ||
	    tern_sim_connect(sim, r3, "10.4.0.1/24", b, "10.4.0.2/24", &lo, NULL, NULL) ||
	    tern_route_add(a, 0, 0, TERN_IP4(10, 1, 0, 1), 0, 0) ||
	    tern_route_add(b, 0, 0, TERN_IP4(10, 4, 0, 1), 0, 0) ||
	    tern_route_add(r1, TERN_IP4(10, 4, 0, 0), 24, TERN_IP4(10, 2, 0, 2), 0, 0) ||
	    tern_route_add(r2, TERN_IP4(10, 4, 0, 0), 24, TERN_IP4(10, 3, 0, 2), 0, 0) ||
	    tern_route_add(r2, TERN_IP4(10, 1, 0, 0), 24, TERN_IP4(10, 2, 0, 1), 0, 0) ||
	    tern_route_add(r3, TERN_IP4(10, 1, 0, 0), 24, TERN_IP4(10, 3, 0, 1), 0, 0))
		die("chain");
	int bsd = tern_socket(b, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in any = {0, SERVER_PORT};
	int rcvbuf = 4 << 20;
	tern_setsockopt(b, bsd, TERN_SOL_SOCKET, TERN_SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bsd < 0 || tern_bind(b, bsd, &any) < 0)
		die("sink");
	tern_socket_set_callback(b, bsd, on_server, NULL);
	struct stream x = {.sd = tern_socket(a, TERN_AF_INET, TERN_SOCK_DGRAM, 0)};
	struct tern_sockaddr_in dst = {TERN_IP4(10, 4, 0, 2), SERVER_PORT};
	if (x.sd < 0 || tern_connect(a, x.sd, &dst) < 0)
		die("source");
	/* one frame: 1472 + 8 + 20 + 14 bytes on the wire; 100 frames per burst,
	 * bursts as often as the line rate allows */
	size_t wire = CHAIN_PAYLOAD + 8 + 20 + 14;
	x.per_burst = 100;
	x.burst_every = (tern_time_t)(wire * 8 * x.per_burst * 1000000000ull / CHAIN_RATE) + 1;
	x.until = WARMUP + TERN_SEC(10);
	/* ARP along the path first: one datagram, then the stream */
	tern_send(a, x.sd, "", 0, 0);
	tern_sim_run_until(sim, WARMUP);
	server_got = 0;
	tern_timer_init(&x.t, stream_tick);
	tern_timer_arm(a, &x.t, WARMUP);
	double t1 = bench_now_ns();
	struct tern_sim_stats s0, s1;
	tern_sim_get_stats(sim, &s0);
	uint64_t fw0 = tern_stack_stat(r1, TERN_STAT_IP_FORWARDED) +
		       tern_stack_stat(r2, TERN_STAT_IP_FORWARDED) +
		       tern_stack_stat(r3, TERN_STAT_IP_FORWARDED);
	uint64_t f0 = sim_frames(sim);
	tern_sim_run_until(sim, x.until + TERN_MSEC(10));
	double t2 = bench_now_ns();
	tern_sim_get_stats(sim, &s1);
	uint64_t fw = tern_stack_stat(r1, TERN_STAT_IP_FORWARDED) +
		      tern_stack_stat(r2, TERN_STAT_IP_FORWARDED) +
		      tern_stack_stat(r3, TERN_STAT_IP_FORWARDED) - fw0;
	r->setup_wall = (t1 - t0) / 1e9;
	r->wall = (t2 - t1) / 1e9;
	r->vsec = 10.01;
	r->events = s1.events - s0.events;
	r->instants = s1.instants - s0.instants;
	r->frames = sim_frames(sim) - f0;
	r->work = fw;
	/* at least 95% of line rate must arrive */
	uint64_t line = (uint64_t)(10 * CHAIN_RATE / (wire * 8));
	r->ok = server_got * 100 >= line * 95 && fw >= server_got * 3;
	snprintf(r->note, sizeof(r->note), "%llu received of %llu at line rate; %.0f forwarded/wall s",
		 (unsigned long long)server_got, (unsigned long long)line, (double)fw / r->wall);
	tern_sim_destroy(sim);
}

/* ---- (c) the TCP dumbbell ----------------------------------------------------- */

struct flow {
	struct tern_stack *src, *dst;
	int csd, lsd, ssd;
	uint64_t got;
};

static void flow_fill(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	static const char buf[65536];
	(void)ctx;
	(void)events;
	while (tern_send(s, sd, buf, sizeof(buf), 0) > 0)
		;
}

static void flow_drain(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct flow *f = ctx;
	static char buf[65536];
	int n;
	(void)events;
	while ((n = tern_recv(s, sd, buf, sizeof(buf), 0)) > 0)
		f->got += (uint64_t)n;
}

static void flow_accept(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	struct flow *f = ctx;
	(void)events;
	int c = tern_accept(s, sd, NULL);
	if (c < 0)
		return;
	f->ssd = c;
	tern_socket_set_callback(s, c, flow_drain, f);
	flow_drain(f, s, c, 0);
}

static void run_dumbbell(struct result *r)
{
	struct tern_sim *sim = tern_sim_create(9);
	struct tern_sim_link_opts acc = {.rate_bps = 100000000ull, .delay = TERN_MSEC(1)};
	struct tern_sim_link_opts neck = {.rate_bps = 10000000ull, .delay = TERN_MSEC(10)};
	struct tern_stack *r1 = tern_sim_router(sim, "r1", NULL), *r2 = tern_sim_router(sim, "r2", NULL);
	struct flow f[2];
	double t0 = bench_now_ns();

	if (!r1 || !r2 || tern_sim_connect(sim, r1, "10.9.0.1/24", r2, "10.9.0.2/24", &neck, NULL, NULL))
		die("dumbbell");
	for (int i = 0; i < 2; i++) {
		char n1[8], n2[8], a1[24], g1[24], a2[24], g2[24];
		snprintf(n1, sizeof(n1), "s%d", i);
		snprintf(n2, sizeof(n2), "d%d", i);
		snprintf(a1, sizeof(a1), "10.1.%d.2/24", i);
		snprintf(g1, sizeof(g1), "10.1.%d.1/24", i);
		snprintf(a2, sizeof(a2), "10.2.%d.2/24", i);
		snprintf(g2, sizeof(g2), "10.2.%d.1/24", i);
		f[i] = (struct flow){.src = tern_sim_host(sim, n1, NULL),
				     .dst = tern_sim_host(sim, n2, NULL), .ssd = -1};
		if (!f[i].src || !f[i].dst ||
		    tern_sim_connect(sim, f[i].src, a1, r1, g1, &acc, NULL, NULL) ||
		    tern_sim_connect(sim, r2, g2, f[i].dst, a2, &acc, NULL, NULL) ||
		    tern_route_add(f[i].src, 0, 0, TERN_IP4(10, 1, i, 1), 0, 0) ||
		    tern_route_add(f[i].dst, 0, 0, TERN_IP4(10, 2, i, 1), 0, 0))
			die("dumbbell host");
	}
	if (tern_route_add(r1, TERN_IP4(10, 2, 0, 0), 16, TERN_IP4(10, 9, 0, 2), 0, 0) ||
	    tern_route_add(r2, TERN_IP4(10, 1, 0, 0), 16, TERN_IP4(10, 9, 0, 1), 0, 0))
		die("dumbbell routes");
	for (int i = 0; i < 2; i++) {
		struct tern_sockaddr_in any = {0, 5001}, dst = {TERN_IP4(10, 2, i, 2), 5001};
		f[i].lsd = tern_socket(f[i].dst, TERN_AF_INET, TERN_SOCK_STREAM, 0);
		if (f[i].lsd < 0 || tern_bind(f[i].dst, f[i].lsd, &any) < 0 ||
		    tern_listen(f[i].dst, f[i].lsd, 4) < 0)
			die("listen");
		tern_socket_set_callback(f[i].dst, f[i].lsd, flow_accept, &f[i]);
		f[i].csd = tern_socket(f[i].src, TERN_AF_INET, TERN_SOCK_STREAM, 0);
		tern_socket_set_callback(f[i].src, f[i].csd, flow_fill, &f[i]);
		if (tern_connect(f[i].src, f[i].csd, &dst) != TERN_EINPROGRESS)
			die("connect");
	}
	double t1 = bench_now_ns();
	struct tern_sim_stats s0, s1;
	tern_sim_get_stats(sim, &s0);
	uint64_t f0 = sim_frames(sim);
	tern_sim_run_until(sim, TERN_SEC(60));
	double t2 = bench_now_ns();
	tern_sim_get_stats(sim, &s1);
	r->setup_wall = (t1 - t0) / 1e9;
	r->wall = (t2 - t1) / 1e9;
	r->vsec = 60;
	r->events = s1.events - s0.events;
	r->instants = s1.instants - s0.instants;
	r->frames = sim_frames(sim) - f0;
	r->work = f[0].got + f[1].got;
	/* 10 Mbit/s for 60 s is 75 MB; the flows must fill at least 80% of it */
	r->ok = r->work >= 60ull * 10000000 / 8 * 8 / 10 && f[0].got > 0 && f[1].got > 0;
	snprintf(r->note, sizeof(r->note), "%.2f + %.2f Mbit/s goodput", f[0].got * 8 / 60e6,
		 f[1].got * 8 / 60e6);
	tern_sim_destroy(sim);
}

/* ---- the driver ---------------------------------------------------------------- */

static int run_child(const char *what, unsigned n, struct result *r, long *maxrss_kb)
{
	int fd[2];
	if (pipe(fd) < 0)
		die("pipe");
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct result res = {0};
		close(fd[0]);
		devnull = fopen("/dev/null", "w");
		if (!strcmp(what, "udp"))
			run_star(STAR_UDP, n, &res);
		else if (!strcmp(what, "ping"))
			run_star(STAR_PING, n, &res);
		else if (!strcmp(what, "idle"))
			run_star(STAR_IDLE, n, &res);
		else if (!strcmp(what, "chain"))
			run_chain(&res);
		else
			run_dumbbell(&res);
		if (write(fd[1], &res, sizeof(res)) != (ssize_t)sizeof(res))
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	ssize_t got = read(fd[0], r, sizeof(*r));
	close(fd[0]);
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0 || got != (ssize_t)sizeof(*r) || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	*maxrss_kb = ru.ru_maxrss;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_sim_scale [--quick] [--run udp|ping|idle|chain|dumbbell]... "
			"[--hosts N]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *runs[MAX_RUNS];
	unsigned hosts[MAX_HOSTS_ARGS];
	int nruns = 0, nhosts = 0;
	bool quick = false;

	for (int i = 1; i < argc; i++) {
		long v;
		if (!strcmp(argv[i], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[i], "--run") && i + 1 < argc && nruns < MAX_RUNS) {
			runs[nruns++] = argv[++i];
			if (strcmp(runs[nruns - 1], "udp") && strcmp(runs[nruns - 1], "ping") &&
			    strcmp(runs[nruns - 1], "idle") && strcmp(runs[nruns - 1], "chain") &&
			    strcmp(runs[nruns - 1], "dumbbell"))
				usage();
		} else if (!strcmp(argv[i], "--hosts") && i + 1 < argc && nhosts < MAX_HOSTS_ARGS &&
			   bench_parse_long(argv[++i], 1, 60000, &v)) {
			hosts[nhosts++] = (unsigned)v;
		} else {
			usage();
		}
	}
	if (!nruns) {
		static const char *all[] = {"udp", "ping", "idle", "chain", "dumbbell"};
		for (int i = 0; i < 5; i++)
			runs[nruns++] = all[i];
	}
	if (!nhosts) {
		static const unsigned def[] = {10, 100, 1000, 10000};
		for (int i = 0; i < (quick ? 3 : 4); i++)
			hosts[nhosts++] = def[i];
	}

	printf("%-9s %6s %9s %10s %12s %12s %12s %9s %9s  %s\n", "run", "hosts", "setup s",
	       "wall/vs", "events/wall", "inst/wall", "frames/wall", "RSS MiB", "B/host", "check");
	int failed = 0;
	for (int ri = 0; ri < nruns; ri++) {
		bool star = strcmp(runs[ri], "chain") && strcmp(runs[ri], "dumbbell");
		long base_rss = 0;
		unsigned base_n = 0;
		for (int hi = 0; hi < (star ? nhosts : 1); hi++) {
			unsigned n = star ? hosts[hi] : 0;
			struct result r;
			long rss;
			if (run_child(runs[ri], n, &r, &rss) < 0) {
				printf("%-9s %6u  failed (child died)\n", runs[ri], n);
				failed = 1;
				continue;
			}
			char per[16] = "-";
			if (!strcmp(runs[ri], "idle")) {
				if (!base_n) {
					base_n = n;
					base_rss = rss;
				} else {
					snprintf(per, sizeof(per), "%.0f",
						 (double)(rss - base_rss) * 1024 / (n - base_n));
				}
			}
			printf("%-9s %6u %9.3f %10.5f %12.0f %12.0f %12.0f %9.1f %9s  %s%s\n", runs[ri],
			       n, r.setup_wall, r.wall / r.vsec, r.events / r.wall, r.instants / r.wall,
			       r.frames / r.wall, rss / 1024.0, per, r.ok ? "" : "FAILED: ", r.note);
			fflush(stdout);
			if (!r.ok)
				failed = 1;
		}
	}
	return failed;
}
