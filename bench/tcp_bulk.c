/*
 * bench/tcp_bulk.c — TCP through tern: bulk goodput, connections per
 * second and memory per idle connection, as ratios against the Linux
 * kernel measured in the same run.
 *
 * What it measures (each figure: higher is better):
 *
 *   bulk      N MiB (default 1024) one way over one connection, Gbit/s of
 *             payload per wall-clock second, timed from connect to the
 *             last byte read:
 *               tern   two tern hosts joined by tern_sim_connect() (rate 0,
 *                      no delay, MTU 1500: MSS 1460), one thread doing
 *                      both ends; checksums computed and verified;
 *               linux  two network namespaces this program creates, joined
 *                      by a veth pair with every offload off (TSO, GSO,
 *                      GRO, tx and rx checksumming: set through the
 *                      SIOCETHTOOL ioctl, as `ethtool -K` does, and read
 *                      back); a sender thread and a receiver thread.
 *   bulk64k   the same over 64 KiB-MTU paths (MSS 65495): tern on a
 *             simulated link of MTU 65536, Linux over its loopback (lo,
 *             MTU 65536) inside the first namespace.
 *   cps       connections per second, one at a time: connect, 1 byte each
 *             way, the client closes first, the server closes on the FIN.
 *             tern: two simulated hosts (virtual time moves 4 ms after
 *             each connection, so the client's 60 s TIME-WAITs expire and
 *             its 28232 ephemeral ports suffice); Linux: blocking client
 *             and server threads over lo.
 *   mem       (tern only, no timing) K connections (default 10000) opened
 *             between two simulated hosts and left idle: heap bytes per
 *             connection (glibc's mallinfo2, both hosts together) and the
 *             stacks' own packet-pool accounting (tern_stack_mem_get);
 *             then again once each end holds one unread byte.
 *
 * Runs of the paths alternate, `reps` times (default 3), so a slow moment
 * of the machine hits both; cells read `median +-s%` (s: half the spread
 * between the fastest and slowest run, as a % of the median). Every byte
 * count is checked, and the first and last byte of each read against the
 * stream's pattern (--verify: every byte), so a path that loses or
 * reorders data fails instead of looking fast.
 *
 * The Linux references need root (ip netns, veth); `--mode tern` runs
 * tern's paths alone (bench/callgrind.sh uses it). The namespaces are
 * deleted at exit, also after an error or SIGINT/SIGTERM.
 *
 * Usage: bench_tcp [--quick] [--mode all|tern] [--run bulk|bulk64k|cps|mem]...
 *                  [--mib N] [--reps R] [--conns K] [--cps-count N] [--verify]
 *
 * --cps-count N: each tern connections run makes exactly N connections and
 * reports no rate (for callgrind: bench/callgrind.sh BUILD cps).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <malloc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <tern/sim.h>
#include <tern/socket.h>
#include <tern/stack.h>

#include "common.h"

#define MAX_REPS 99
#define BENCH_PORT 5201
#define CHUNK 65536                /* bytes per send / recv call */
#define PERIOD 251                 /* the stream's byte i is i % PERIOD */
#define WARMUP_BYTES (16u << 20)   /* before the first timed bulk run */
#define CPS_WARMUP 200             /* connections before the first timed batch */
#define CPS_STEP TERN_MSEC(4)      /* virtual time after each tern connection */
#define MEM_BUFFERED 3000          /* connections given unread data by the memory test */

enum { RUN_BULK, RUN_BULK64K, RUN_CPS, RUN_MEM, NRUNS };
enum { SIDE_TERN, SIDE_LINUX, NSIDES };

struct opts {
	uint64_t bytes;       /* per bulk run */
	int reps;
	long conns;           /* connections kept open by the memory test */
	double cps_ns;        /* wall-clock time per connections-per-second run */
	long cps_count;       /* tern: exactly this many connections per run instead (callgrind) */
	bool quick, verify, with_linux;
	bool run[NRUNS];
};

/* ---- the byte stream: pattern, checks ------------------------------------ */

static uint8_t pattern[PERIOD + CHUNK];

static void pattern_init(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i % PERIOD);
}

/* The next piece of the stream from offset off, at most n bytes. */
static const uint8_t *stream_at(uint64_t off, size_t *n)
{
	if (*n > CHUNK)
		*n = CHUNK;
	return pattern + off % PERIOD;
}

/* Are the n bytes just read at stream offset off what was sent? */
static bool stream_ok(const uint8_t *buf, size_t n, uint64_t off, bool all)
{
	if (all)
		return memcmp(buf, pattern + off % PERIOD, n) == 0;
	return buf[0] == (uint8_t)(off % PERIOD) && buf[n - 1] == (uint8_t)((off + n - 1) % PERIOD);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "bench_tcp: %s: %s\n", what, tern_strerror(err));
	return -1;
}

/* ---- tern: two simulated hosts ----------------------------------------------- */

struct tern_pair {
	struct tern_sim *sim;
	struct tern_stack *a, *z;     /* client (sender), server (receiver) */
	int lsd;                      /* z's listener */
	struct tern_sockaddr_in srv;
};

static void tern_pair_close(struct tern_pair *t)
{
	if (t)
		tern_sim_destroy(t->sim);
	free(t);
}

/* 10.0.0.1 and 10.0.0.2 on an ideal link of the given MTU, past the
 * address announcements, with a listener on 10.0.0.2:BENCH_PORT. MTU 0:
 * one host talking to itself over its loopback (MTU 65536; tern's
 * Ethernet interfaces stop at TERN_ETH_MAX_MTU, 9000). */
static struct tern_pair *tern_pair_open(uint32_t mtu)
{
	struct tern_pair *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->srv = (struct tern_sockaddr_in){.addr = mtu ? TERN_IP4(10, 0, 0, 2) : TERN_IP4(127, 0, 0, 1),
					   .port = BENCH_PORT};
	struct tern_sim_link_opts lo = {.mtu = mtu};
	t->sim = tern_sim_create(1);
	t->a = t->sim ? tern_sim_host(t->sim, "a", NULL) : NULL;
	t->z = !t->sim ? NULL : mtu ? tern_sim_host(t->sim, "z", NULL) : t->a;
	int err = !t->a || !t->z ? TERN_ENOMEM : !mtu ? 0
		  : tern_sim_connect(t->sim, t->a, "10.0.0.1/24", t->z, "10.0.0.2/24", &lo, NULL, NULL);
	if (err == 0)
		err = t->lsd = tern_socket(t->z, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (err >= 0)
		err = tern_bind(t->z, t->lsd, &t->srv);
	if (err >= 0)
		err = tern_listen(t->z, t->lsd, 4096);
	if (err < 0) {
		fail("tern setup", err);
		tern_pair_close(t);
		return NULL;
	}
	tern_sim_run_for(t->sim, TERN_SEC(5));
	return t;
}

/* Nothing moved: let virtual time reach the next event (a delayed ACK, a
 * timer). -1 if nothing at all is scheduled: the transfer is stuck. */
static int tern_wait(struct tern_pair *t)
{
	tern_time_t next = tern_sim_next(t->sim);
	if (next == TERN_TIME_NEVER) {
		fprintf(stderr, "bench_tcp: tern: stalled, nothing scheduled\n");
		return -1;
	}
	tern_sim_run_until(t->sim, next);
	return 0;
}

/* A connection from a to z: *c on a, *srv on z (accepted). */
static int tern_open_conn(struct tern_pair *t, int *c, int *srv)
{
	*c = tern_socket(t->a, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (*c < 0)
		return fail("tern socket", *c);
	int err = tern_connect(t->a, *c, &t->srv);
	if (err != TERN_EINPROGRESS)
		return fail("tern connect", err);
	for (int i = 0; i < 100; i++) {
		tern_sim_run_for(t->sim, 0);
		if ((*srv = tern_accept(t->z, t->lsd, NULL)) >= 0)
			return 0;
		if (*srv != TERN_EAGAIN || tern_wait(t) < 0)
			break;
	}
	return fail("tern accept", *srv);
}

/* ---- tern bulk ---------------------------------------------------------------- */

struct tern_bulk {
	struct tern_pair *p;
	uint8_t rx[CHUNK];
};

static void *tern_bulk_open(uint32_t mtu)
{
	struct tern_bulk *t = calloc(1, sizeof(*t));
	if (t && !(t->p = tern_pair_open(mtu))) {
		free(t);
		t = NULL;
	}
	return t;
}

static void *tern_bulk1500_open(const struct opts *o)
{
	(void)o;
	return tern_bulk_open(1500);
}

static void *tern_bulk64k_open(const struct opts *o)
{
	(void)o;
	return tern_bulk_open(0);
}

static void tern_bulk_close(void *ctx)
{
	struct tern_bulk *t = ctx;
	tern_pair_close(t->p);
	free(t);
}

/* Read what z holds on sd; *got advances. 1 at the end of the stream, 0
 * if more may come, -1 on error. */
static int tern_drain(struct tern_bulk *t, int sd, uint64_t *got, bool verify)
{
	for (;;) {
		int n = tern_recv(t->p->z, sd, t->rx, sizeof(t->rx), 0);
		if (n == TERN_EAGAIN)
			return 0;
		if (n <= 0)
			return n == 0 ? 1 : fail("tern recv", n);
		if (!stream_ok(t->rx, (size_t)n, *got, verify)) {
			fprintf(stderr, "bench_tcp: tern: wrong data at byte %llu\n",
				(unsigned long long)*got);
			return -1;
		}
		*got += (uint64_t)n;
	}
}

/* One connection, `bytes` through it, shut down, read to the end. */
static int tern_bulk_transfer(struct tern_bulk *t, uint64_t bytes, bool verify)
{
	struct tern_pair *p = t->p;
	int c, srv, rc = 0, end = 0;
	if (tern_open_conn(p, &c, &srv) < 0)
		return -1;
	uint64_t sent = 0, got = 0;
	bool shut = false;
	while (rc == 0 && !end) {
		bool moved = false;
		while (sent < bytes) {
			size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;
			const uint8_t *d = stream_at(sent, &n);
			int w = tern_send(p->a, c, d, n, 0);
			if (w == TERN_EAGAIN)
				break;
			if (w < 0)
				return fail("tern send", w);
			sent += (uint64_t)w;
			moved = true;
		}
		if (sent == bytes && !shut) {
			shut = true;
			tern_shutdown(p->a, c, TERN_SHUT_WR);
		}
		tern_sim_run_for(p->sim, 0);
		uint64_t before = got;
		if ((end = tern_drain(t, srv, &got, verify)) < 0)
			rc = -1;
		if (!moved && got == before && !end && rc == 0)
			rc = tern_wait(p);
	}
	if (rc == 0 && got != bytes) {
		fprintf(stderr, "bench_tcp: tern: %llu bytes arrived of %llu\n",
			(unsigned long long)got, (unsigned long long)bytes);
		rc = -1;
	}
	tern_close(p->z, srv);
	tern_close(p->a, c);
	tern_sim_run_for(p->sim, TERN_SEC(61)); /* TIME-WAIT goes */
	return rc;
}

/* Gbit/s of one timed transfer (the first call warms up first). */
static int tern_bulk_run(void *ctx, const struct opts *o, double *out)
{
	struct tern_bulk *t = ctx;
	static bool warm[2];
	bool *w = &warm[t->p->a == t->p->z];
	if (!*w && tern_bulk_transfer(t, WARMUP_BYTES, o->verify) < 0)
		return -1;
	*w = true;
	uint64_t segs0 = tern_stack_stat(t->p->a, TERN_STAT_TCP_RETRANS_SEGS);
	double t0 = bench_now_ns();
	if (tern_bulk_transfer(t, o->bytes, o->verify) < 0)
		return -1;
	double dt = bench_now_ns() - t0;
	/* The 61 virtual seconds that end TIME-WAIT after the last byte are
	 * inside the timing: a few timer events, nothing against the transfer. */
	*out = (double)o->bytes * 8 / dt;
	uint64_t rexmit = tern_stack_stat(t->p->a, TERN_STAT_TCP_RETRANS_SEGS) - segs0;
	if (rexmit)
		fprintf(stderr, "bench_tcp: tern bulk: %llu segments retransmitted\n",
			(unsigned long long)rexmit);
	return 0;
}

/* ---- tern connections per second ------------------------------------------------ */

/* One connection: open, 1 byte each way, client closes, server closes. */
static int tern_one_conn(struct tern_pair *p)
{
	int c, srv;
	uint8_t b = 'x';
	if (tern_open_conn(p, &c, &srv) < 0)
		return -1;
	int n = tern_send(p->a, c, &b, 1, 0);
	tern_sim_run_for(p->sim, 0);
	if (n == 1)
		n = tern_recv(p->z, srv, &b, 1, 0);
	if (n == 1)
		n = tern_send(p->z, srv, &b, 1, 0);
	tern_sim_run_for(p->sim, 0);
	if (n == 1)
		n = tern_recv(p->a, c, &b, 1, 0);
	if (n != 1)
		return fail("tern 1-byte exchange", n < 0 ? n : TERN_EIO);
	tern_close(p->a, c);
	tern_sim_run_for(p->sim, 0);
	n = tern_recv(p->z, srv, &b, 1, 0);
	tern_close(p->z, srv);
	if (n != 0)
		return fail("tern: no FIN", n < 0 ? n : TERN_EIO);
	tern_sim_run_for(p->sim, CPS_STEP);
	return 0;
}

static void *tern_cps_open(const struct opts *o)
{
	(void)o;
	struct tern_pair *p = tern_pair_open(1500);
	for (int i = 0; p && i < CPS_WARMUP; i++)
		if (tern_one_conn(p) < 0) {
			tern_pair_close(p);
			return NULL;
		}
	return p;
}

static void tern_cps_close(void *ctx)
{
	tern_pair_close(ctx);
}

/* A connections run is batches of CPS_BATCH connections until the time
 * budget has passed; it reports the median batch's rate, so a moment in
 * which the other core's load took this one does not move the figure
 * (the machine is shared: single 1 s runs of tern's figure moved by
 * 1.65x). Linux's runs do the same. */
#define CPS_BATCH 500
#define CPS_MAX_BATCHES 4096

static int tern_cps_run(void *ctx, const struct opts *o, double *out)
{
	if (o->cps_count) { /* counted, not timed: callgrind.sh cps */
		for (long i = 0; i < o->cps_count; i++)
			if (tern_one_conn(ctx) < 0)
				return -1;
		*out = 0;
		return 0;
	}
	static double rate[CPS_MAX_BATCHES];
	int nb = 0;
	double t0 = bench_now_ns(), t = t0;
	do {
		double b0 = t;
		for (int i = 0; i < CPS_BATCH; i++)
			if (tern_one_conn(ctx) < 0)
				return -1;
		t = bench_now_ns();
		rate[nb++] = CPS_BATCH * 1e9 / (t - b0);
	} while (t - t0 < o->cps_ns && nb < CPS_MAX_BATCHES);
	*out = bench_summarize(rate, nb).med;
	return 0;
}

/* ---- Linux: namespaces and a veth pair of our own -------------------------------- */

static char ns_a[64], ns_b[64];
static int ns_self = -1;   /* this process's own network namespace */
static bool ns_made;

/* Run a command (no shell); 0 if it exited 0. Safe in a signal handler. */
static int run_cmd(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void ns_delete(void)
{
	if (!ns_made)
		return;
	ns_made = false;
	char *da[] = {"ip", "netns", "del", ns_a, NULL}, *db[] = {"ip", "netns", "del", ns_b, NULL};
	run_cmd(da);
	run_cmd(db);
}

static void on_signal(int sig)
{
	ns_delete();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Move this thread into namespace name, or (NULL) back home. */
static int ns_enter(const char *name)
{
	int fd = ns_self;
	char path[128];
	if (name) {
		snprintf(path, sizeof(path), "/run/netns/%s", name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			perror(path);
			return -1;
		}
	}
	int rc = setns(fd, CLONE_NEWNET);
	if (rc < 0)
		perror("bench_tcp: setns");
	if (name)
		close(fd);
	return rc;
}

/* SIOCETHTOOL on dev (in the current namespace): set (cmd) or read. */
static int ethtool_value(int fd, const char *dev, uint32_t cmd, uint32_t *val)
{
	struct ethtool_value ev = {.cmd = cmd, .data = *val};
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return -1;
	*val = ev.data;
	return 0;
}

/* `ethtool -K dev tso off gso off gro off tx off rx off`, then read back:
 * 0 only if all five are off. */
static int offloads_off(const char *dev)
{
	static const struct { uint32_t set, get; const char *name; } f[] = {
		{ETHTOOL_STSO, ETHTOOL_GTSO, "tso"},       {ETHTOOL_SGSO, ETHTOOL_GGSO, "gso"},
		{ETHTOOL_SGRO, ETHTOOL_GGRO, "gro"},       {ETHTOOL_STXCSUM, ETHTOOL_GTXCSUM, "tx"},
		{ETHTOOL_SRXCSUM, ETHTOOL_GRXCSUM, "rx"},
	};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = fd < 0 ? -1 : 0;
	for (size_t i = 0; rc == 0 && i < sizeof(f) / sizeof(f[0]); i++) {
		uint32_t v = 0;
		if (ethtool_value(fd, dev, f[i].set, &v) < 0 || ethtool_value(fd, dev, f[i].get, &v) < 0 ||
		    v != 0) {
			fprintf(stderr, "bench_tcp: %s: cannot turn %s off\n", dev, f[i].name);
			rc = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

#define VETH_A "10.201.0.1"
#define VETH_B "10.201.0.2"

/* Two namespaces, a veth pair between them (offloads off), lo up in both. */
static int ns_create(void)
{
	snprintf(ns_a, sizeof(ns_a), "tern-bench-%d-a", (int)getpid());
	snprintf(ns_b, sizeof(ns_b), "tern-bench-%d-b", (int)getpid());
	ns_self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	char *add_a[] = {"ip", "netns", "add", ns_a, NULL};
	if (ns_self < 0 || run_cmd(add_a) < 0) {
		fprintf(stderr, "bench_tcp: ip netns add failed (the Linux paths need root; "
				"--mode tern runs without them)\n");
		return -1;
	}
	ns_made = true;
	atexit(ns_delete);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	char *steps[][14] = {
		{"ip", "netns", "add", ns_b, NULL},
		{"ip", "link", "add", "tbv0", "netns", ns_a, "type", "veth", "peer", "name", "tbv1", "netns", ns_b, NULL},
		{"ip", "-n", ns_a, "addr", "add", VETH_A "/24", "dev", "tbv0", NULL},
		{"ip", "-n", ns_b, "addr", "add", VETH_B "/24", "dev", "tbv1", NULL},
		{"ip", "-n", ns_a, "link", "set", "tbv0", "up", NULL},
		{"ip", "-n", ns_b, "link", "set", "tbv1", "up", NULL},
		{"ip", "-n", ns_a, "link", "set", "lo", "up", NULL},
		{"ip", "-n", ns_b, "link", "set", "lo", "up", NULL},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (run_cmd(steps[i]) < 0) {
			fprintf(stderr, "bench_tcp: setup step %zu (ip %s ...) failed\n", i, steps[i][1]);
			return -1;
		}
	int rc = ns_enter(ns_a) < 0 ? -1 : offloads_off("tbv0");
	if (rc == 0)
		rc = ns_enter(ns_b) < 0 ? -1 : offloads_off("tbv1");
	if (ns_enter(NULL) < 0)
		rc = -1;
	return rc;
}

/* ---- Linux bulk: a sender thread (this one) and a receiver thread ------------------- */

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static void set_timeout(int fd)
{
	struct timeval tmo = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
}

/* A listening socket on ip:port inside namespace ns. */
static int linux_listener(const char *ns, const char *ip, uint16_t port)
{
	struct sockaddr_in a = sin_of(ip, port);
	int one = 1, fd = -1;
	if (ns_enter(ns) == 0)
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ns_enter(NULL);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0) {
		perror("bench_tcp: linux listener");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct linux_bulk {
	const char *cli_ns;       /* where the sender's socket is made */
	const char *dst;          /* the receiver's address */
	int lfd;
	uint64_t bytes;
	bool verify;
	/* the receiver thread's result */
	uint64_t got;
	double t_end;
	int rc;
	uint8_t rx[CHUNK];
};

static void *linux_receiver(void *arg)
{
	struct linux_bulk *t = arg;
	t->rc = -1;
	t->got = 0;
	int fd = accept(t->lfd, NULL, NULL);
	if (fd < 0) {
		perror("bench_tcp: linux accept");
		return NULL;
	}
	set_timeout(fd);
	for (;;) {
		ssize_t n = recv(fd, t->rx, sizeof(t->rx), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			t->rc = n == 0 ? 0 : -1;
			if (n < 0)
				perror("bench_tcp: linux recv");
			break;
		}
		if (!stream_ok(t->rx, (size_t)n, t->got, t->verify)) {
			fprintf(stderr, "bench_tcp: linux: wrong data at byte %llu\n",
				(unsigned long long)t->got);
			break;
		}
		t->got += (uint64_t)n;
	}
	t->t_end = bench_now_ns();
	close(fd);
	return NULL;
}

static int linux_send_all(int fd, uint64_t bytes)
{
	for (uint64_t sent = 0; sent < bytes;) {
		size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;
		const uint8_t *d = stream_at(sent, &n);
		ssize_t w = send(fd, d, n, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			perror("bench_tcp: linux send");
			return -1;
		}
		sent += (uint64_t)w;
	}
	return 0;
}

/* One connection, `bytes` through it; ns per transfer, or -1. */
static double linux_bulk_transfer(struct linux_bulk *t, uint64_t bytes)
{
	pthread_t th;
	t->bytes = bytes;
	if (pthread_create(&th, NULL, linux_receiver, t) != 0)
		return -1;
	struct sockaddr_in a = sin_of(t->dst, BENCH_PORT);
	int fd = -1;
	if (ns_enter(t->cli_ns) == 0)
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ns_enter(NULL);
	double t0 = bench_now_ns();
	int rc = fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ? -1 : 0;
	if (rc < 0)
		perror("bench_tcp: linux connect");
	if (rc == 0) {
		set_timeout(fd);
		rc = linux_send_all(fd, bytes);
		shutdown(fd, SHUT_WR);
	} else {
		shutdown(t->lfd, SHUT_RD); /* the receiver's accept gives up */
	}
	pthread_join(th, NULL);
	if (fd >= 0)
		close(fd);
	if (rc < 0 || t->rc < 0 || t->got != bytes) {
		fprintf(stderr, "bench_tcp: linux: %llu bytes arrived of %llu\n",
			(unsigned long long)t->got, (unsigned long long)bytes);
		return -1;
	}
	return t->t_end - t0;
}

static void *linux_bulk_open(const char *srv_ns, const char *cli_ns, const char *dst,
			     const struct opts *o)
{
	struct linux_bulk *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	*t = (struct linux_bulk){.cli_ns = cli_ns, .dst = dst, .verify = o->verify};
	if ((t->lfd = linux_listener(srv_ns, dst, BENCH_PORT)) < 0 ||
	    linux_bulk_transfer(t, WARMUP_BYTES) < 0) {
		if (t->lfd >= 0)
			close(t->lfd);
		free(t);
		return NULL;
	}
	return t;
}

static void *linux_veth_open(const struct opts *o)
{
	return linux_bulk_open(ns_b, ns_a, VETH_B, o);
}

static void *linux_lo_bulk_open(const struct opts *o)
{
	return linux_bulk_open(ns_a, ns_a, "127.0.0.1", o);
}

static void linux_bulk_close(void *ctx)
{
	struct linux_bulk *t = ctx;
	close(t->lfd);
	free(t);
}

static int linux_bulk_run(void *ctx, const struct opts *o, double *out)
{
	double dt = linux_bulk_transfer(ctx, o->bytes);
	if (dt < 0)
		return -1;
	*out = (double)o->bytes * 8 / dt;
	return 0;
}

/* ---- Linux connections per second over lo ---------------------------------------------- */

struct linux_cps {
	int lfd;
	long served;
};

static void *linux_cps_server(void *arg)
{
	struct linux_cps *t = arg;
	uint8_t b;
	for (;;) {
		int fd = accept(t->lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* the listener was shut down: the run is over */
		}
		if (recv(fd, &b, 1, 0) == 1 && send(fd, &b, 1, 0) == 1 && recv(fd, &b, 1, 0) == 0)
			t->served++;
		close(fd);
	}
	return NULL;
}

static int linux_one_conn(const struct sockaddr_in *a)
{
	uint8_t b = 'x';
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = fd >= 0 && connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0 &&
		 send(fd, &b, 1, 0) == 1 && recv(fd, &b, 1, 0) == 1;
	if (!ok)
		perror("bench_tcp: linux connection");
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* n connections (or until budget_ns passes, n < 0); conns/s (with a
 * budget: the median of batches of CPS_BATCH, as tern_cps_run), or -1. */
static double linux_cps_batch(long n, double budget_ns)
{
	static double rate[CPS_MAX_BATCHES];
	int nb = 0;
	struct linux_cps t = {.lfd = linux_listener(ns_a, "127.0.0.1", BENCH_PORT + 1)};
	pthread_t th;
	if (t.lfd < 0 || pthread_create(&th, NULL, linux_cps_server, &t) != 0)
		return -1;
	struct sockaddr_in a = sin_of("127.0.0.1", BENCH_PORT + 1);
	long done = 0;
	int rc = ns_enter(ns_a); /* the client's sockets are made in ns_a */
	double t0 = bench_now_ns(), dt = 0;
	while (rc == 0 && (n < 0 ? dt < budget_ns && nb < CPS_MAX_BATCHES : done < n)) {
		double b0 = bench_now_ns();
		int batch = n < 0 ? CPS_BATCH : 100;
		for (int i = 0; rc == 0 && i < batch; i++, done++)
			rc = linux_one_conn(&a);
		dt = bench_now_ns() - t0;
		if (n < 0)
			rate[nb++] = batch * 1e9 / (bench_now_ns() - b0);
	}
	ns_enter(NULL);
	shutdown(t.lfd, SHUT_RD);
	pthread_join(th, NULL);
	close(t.lfd);
	if (rc < 0)
		return -1;
	return nb ? bench_summarize(rate, nb).med : (double)done * 1e9 / dt;
}

static void *linux_cps_open(const struct opts *o)
{
	(void)o;
	static int dummy;
	return linux_cps_batch(CPS_WARMUP, 0) < 0 ? NULL : &dummy;
}

static void linux_cps_close(void *ctx)
{
	(void)ctx;
}

static int linux_cps_run(void *ctx, const struct opts *o, double *out)
{
	(void)ctx;
	return (*out = linux_cps_batch(-1, o->cps_ns)) < 0 ? -1 : 0;
}

/* ---- the table of measurements ---------------------------------------------------------- */

struct path {
	const char *name;
	void *(*open)(const struct opts *o);
	int (*run)(void *ctx, const struct opts *o, double *out);
	void (*close)(void *ctx);
};

struct row {
	const char *label, *unit;
	struct path side[NSIDES];
};

static const struct row rows[NRUNS - 1] = {
	[RUN_BULK] = {"bulk, MSS 1460", "Gbit/s",
		      {{"tern sim link MTU 1500", tern_bulk1500_open, tern_bulk_run, tern_bulk_close},
		       {"linux veth, offloads off", linux_veth_open, linux_bulk_run, linux_bulk_close}}},
	[RUN_BULK64K] = {"bulk, MSS 65495", "Gbit/s",
			 {{"tern lo MTU 65536", tern_bulk64k_open, tern_bulk_run, tern_bulk_close},
			  {"linux lo MTU 65536", linux_lo_bulk_open, linux_bulk_run, linux_bulk_close}}},
	[RUN_CPS] = {"connections", "conn/s",
		     {{"tern sim link", tern_cps_open, tern_cps_run, tern_cps_close},
		      {"linux lo", linux_cps_open, linux_cps_run, linux_cps_close}}},
};

/* Both sides of a row, runs alternating. */
static int measure(const struct opts *o, const struct row *r, struct bench_cell out[NSIDES])
{
	void *ctx[NSIDES] = {0};
	double v[NSIDES][MAX_REPS];
	int nsides = o->with_linux ? NSIDES : 1, rc = 0;
	for (int s = 0; rc == 0 && s < nsides; s++)
		if (!(ctx[s] = r->side[s].open(o))) {
			fprintf(stderr, "bench_tcp: %s: %s failed\n", r->label, r->side[s].name);
			rc = -1;
		}
	for (int i = 0; rc == 0 && i < o->reps; i++)
		for (int s = 0; rc == 0 && s < nsides; s++)
			rc = r->side[s].run(ctx[s], o, &v[s][i]);
	for (int s = 0; s < nsides; s++) {
		if (rc == 0)
			out[s] = bench_summarize(v[s], o->reps);
		if (ctx[s])
			r->side[s].close(ctx[s]);
	}
	return rc;
}

static void print_cell(const struct bench_cell *c, int decimals)
{
	char buf[40] = "-";
	if (c->done)
		snprintf(buf, sizeof(buf), "%.*f +-%.0f%%", decimals, c->med,
			 50 * (c->hi - c->lo) / c->med);
	printf(" %16s", buf);
}

static void print_rows(const struct opts *o, struct bench_cell cells[][NSIDES])
{
	printf("median of %d runs, +- half the spread between runs; ratio > 1: tern is faster\n"
	       "(bulk: %llu MiB per run; connections: %.1f s per run)\n\n", o->reps,
	       (unsigned long long)(o->bytes >> 20), o->cps_ns / 1e9);
	printf("%-16s %-7s %16s %16s %11s  %s\n", "what", "unit", "tern", "linux", "tern/linux",
	       "tern path | linux path");
	for (int r = 0; r < NRUNS - 1; r++) {
		if (!o->run[r])
			continue;
		printf("%-16s %-7s", rows[r].label, rows[r].unit);
		print_cell(&cells[r][SIDE_TERN], r == RUN_CPS ? 0 : 2);
		print_cell(&cells[r][SIDE_LINUX], r == RUN_CPS ? 0 : 2);
		if (cells[r][SIDE_TERN].done && cells[r][SIDE_LINUX].done)
			printf(" %11.2f", cells[r][SIDE_TERN].med / cells[r][SIDE_LINUX].med);
		else
			printf(" %11s", "-");
		printf("  %s | %s\n", rows[r].side[SIDE_TERN].name, rows[r].side[SIDE_LINUX].name);
	}
}

/* ---- memory per idle connection (tern only) ---------------------------------------------- */

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static size_t pool_in_use(const struct tern_pair *p)
{
	struct tern_stack_mem ma, mz;
	tern_stack_mem_get(p->a, &ma);
	tern_stack_mem_get(p->z, &mz);
	return ma.pool_in_use + mz.pool_in_use;
}

static int measure_mem(const struct opts *o)
{
	long k = o->conns;
	struct tern_pair *p = tern_pair_open(1500);
	int *c = calloc((size_t)k, sizeof(int)), *s = calloc((size_t)k, sizeof(int)), rc = 0;
	if (!p || !c || !s)
		rc = -1;
	/* One connection opened and closed first: the pool and tables that
	 * any connection needs exist before the baseline. */
	if (rc == 0 && tern_one_conn(p) < 0)
		rc = -1;
	tern_sim_run_for(p->sim, TERN_SEC(61));
	size_t heap0 = heap_bytes(), pool0 = rc ? 0 : pool_in_use(p);
	for (long i = 0; rc == 0 && i < k; i++)
		rc = tern_open_conn(p, &c[i], &s[i]);
	if (rc == 0)
		tern_sim_run_for(p->sim, TERN_SEC(1)); /* delayed ACKs and the like settle */
	size_t heap1 = heap_bytes(), pool1 = rc ? 0 : pool_in_use(p);
	/* Each end of the first nbuf writes one byte its peer does not read
	 * (more would pass sock_rcv_total_bytes: each byte holds a frame's
	 * buffer). */
	uint8_t b = 'x';
	long nbuf = k < MEM_BUFFERED ? k : MEM_BUFFERED;
	for (long i = 0; rc == 0 && i < nbuf; i++)
		if (tern_send(p->a, c[i], &b, 1, 0) != 1 || tern_send(p->z, s[i], &b, 1, 0) != 1)
			rc = fail("tern send", TERN_EIO);
	if (rc == 0)
		tern_sim_run_for(p->sim, TERN_SEC(1));
	size_t heap2 = heap_bytes(), pool2 = rc ? 0 : pool_in_use(p);
	uint64_t drops = rc ? 0 : tern_stack_stat(p->a, TERN_STAT_TCP_RCV_MEMORY) +
				   tern_stack_stat(p->z, TERN_STAT_TCP_RCV_MEMORY) +
				   tern_stack_stat(p->a, TERN_STAT_TCP_RCVBUF_DROP) +
				   tern_stack_stat(p->z, TERN_STAT_TCP_RCVBUF_DROP);
	if (rc == 0) {
		double n = (double)k;
		printf("\nmemory per established connection, %ld connections between two simulated\n"
		       "hosts (both ends together; per end: half), heap from mallinfo2 (chunk overhead\n"
		       "included), pool: the stacks' packet buffers in use (tern_stack_mem_get)\n", k);
		printf("  idle, nothing sent:             heap %8.0f B   pool %8.0f B\n",
		       (double)(heap1 - heap0) / n, (double)(pool1 - pool0) / n);
		printf("  added by one unread byte at each end (%ld of them):\n"
		       "                                  heap %8.0f B   pool %8.0f B   (%llu segments "
		       "refused for memory)\n", nbuf, ((double)heap2 - (double)heap1) / (double)nbuf,
		       ((double)pool2 - (double)pool1) / (double)nbuf, (unsigned long long)drops);
	}
	free(c);
	free(s);
	tern_pair_close(p);
	return rc;
}

/* ---- options --------------------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr, "usage: bench_tcp [--quick] [--mode all|tern] [--run bulk|bulk64k|cps|mem]...\n"
			"                 [--mib N] [--reps R] [--conns K] [--cps-count N] [--verify]\n");
	return 2;
}

static bool parse_run(const char *v, struct opts *o)
{
	static const char *const names[NRUNS] = {"bulk", "bulk64k", "cps", "mem"};
	for (int r = 0; v && r < NRUNS; r++)
		if (strcmp(v, names[r]) == 0)
			return o->run[r] = true;
	return false;
}

static bool parse_opt(int argc, char **argv, int *i, struct opts *o, bool *any_run)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	long x;
	if (strcmp(a, "--quick") == 0)
		return o->quick = true;
	if (strcmp(a, "--verify") == 0)
		return o->verify = true;
	(*i)++;
	if (strcmp(a, "--mode") == 0 && v && (strcmp(v, "all") == 0 || strcmp(v, "tern") == 0))
		return o->with_linux = strcmp(v, "all") == 0, true;
	if (strcmp(a, "--run") == 0)
		return *any_run = true, parse_run(v, o);
	if (!bench_parse_long(v, 1, 1L << 30, &x))
		return false;
	if (strcmp(a, "--mib") == 0 && x <= (1L << 20))
		o->bytes = (uint64_t)x << 20;
	else if (strcmp(a, "--reps") == 0 && x <= MAX_REPS)
		o->reps = (int)x;
	else if (strcmp(a, "--conns") == 0 && x <= 20000)
		o->conns = x;
	else if (strcmp(a, "--cps-count") == 0)
		o->cps_count = x;
	else
		return false;
	return true;
}

static bool parse_opts(int argc, char **argv, struct opts *o)
{
	bool any_run = false;
	*o = (struct opts){.with_linux = true};
	for (int i = 1; i < argc; i++)
		if (!parse_opt(argc, argv, &i, o, &any_run))
			return false;
	if (!any_run)
		for (int r = 0; r < NRUNS; r++)
			o->run[r] = true;
	if (!o->bytes)
		o->bytes = (o->quick ? 128ull : 1024ull) << 20;
	if (!o->reps)
		o->reps = 3;
	if (!o->conns)
		o->conns = 10000;
	o->cps_ns = o->quick ? 0.3e9 : 1e9;
	return true;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (!parse_opts(argc, argv, &o))
		return usage();
	pattern_init();
	signal(SIGPIPE, SIG_IGN);
	bool timed = o.run[RUN_BULK] || o.run[RUN_BULK64K] || o.run[RUN_CPS];
	if (timed && o.with_linux && ns_create() < 0)
		return 1;
	struct bench_cell cells[NRUNS][NSIDES];
	memset(cells, 0, sizeof(cells));
	for (int r = 0; r < NRUNS - 1; r++)
		if (o.run[r] && measure(&o, &rows[r], cells[r]) < 0)
			return 1;
	if (timed)
		print_rows(&o, cells);
	if (o.run[RUN_MEM] && measure_mem(&o) < 0)
		return 1;
	return 0;
}
