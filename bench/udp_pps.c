/*
 * bench/udp_pps.c — datagrams per second through tern's UDP path, as a
 * ratio against the Linux kernel measured in the same run.
 *
 * What it measures: one datagram at a time (sendto, deliver, recvfrom,
 * check) on three paths, for payloads of 64, 512, 1472 and 8000 bytes:
 *
 *   tern-lo    one tern stack, two sockets on 127.0.0.1; tern_stack_poll()
 *              drains the stack's loopback queue between send and receive
 *              (loopback MTU 65536: nothing fragments);
 *   tern-link  two tern hosts joined by tern_sim_connect() with zero delay
 *              and no rate limit (MTU 1500: 8000 bytes go as 6 fragments);
 *              tern_sim_run_for(sim, 0) carries the frames across;
 *   linux-lo   the reference: two kernel UDP sockets on 127.0.0.1 in this
 *              process, blocking sendto() then recvfrom().
 *
 * How: wall-clock time (CLOCK_MONOTONIC) over a batch of datagrams gives
 * ns per datagram. Each path first runs doubling trial batches (warming
 * caches, packet pools and the ARP cache) to size its batches so the whole
 * run fits the time budget; batches then alternate between the paths,
 * `reps` times, and the median is reported with the batches' spread.
 * Absolute figures on a small shared machine are noisy; the ratios
 * tern/Linux are the result. Every received datagram is checked (length,
 * and a per-datagram sequence byte), so a path that loses datagrams fails
 * instead of looking fast.
 *
 * Usage: bench_udp_pps [--quick] [--count N] [--reps R] [--size BYTES]...
 *                      [--mode all|tern-lo|tern-link|linux]
 * --count fixes the batch size (no calibration; 100 warm-up datagrams
 * first), which is what bench/callgrind.sh uses to count instructions.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <tern/sim.h>
#include <tern/socket.h>
#include <tern/stack.h>

#include "common.h"

#define MAX_SIZES 8
#define MAX_REPS 99
#define BENCH_PORT 7001   /* tern ports are per stack: no clash with Linux */
#define WARMUP_COUNT 100  /* before fixed-count batches */
#define MIN_BATCH 100

enum { PATH_TERN_LO, PATH_TERN_LINK, PATH_LINUX, NPATHS };

struct opts {
	size_t sizes[MAX_SIZES];
	int nsizes;
	long count;        /* datagrams per batch; 0: calibrate to the budget */
	int reps;          /* batches per path and size (0 until set) */
	bool quick;
	double budget_ns;  /* for all timed batches together */
	bool use[NPATHS];
};

/* One path under test: open it for a payload size, run n datagrams
 * through it (0, or -1 after printing why), close it. */
struct path {
	const char *name;
	void *(*open)(size_t size);
	int (*run)(void *ctx, long n);
	void (*close)(void *ctx);
};

/* ---- payload buffers and the per-datagram check ---------------------------- */

struct bufs {
	uint8_t *tx, *rx;
	size_t size;
};

static int bufs_init(struct bufs *b, size_t size)
{
	b->size = size;
	b->tx = calloc(1, size);
	b->rx = calloc(1, size);
	return b->tx && b->rx ? 0 : -1;
}

static void bufs_fini(struct bufs *b)
{
	free(b->tx);
	free(b->rx);
}

/* Stamp datagram i (first and last byte) before sending it. */
static void stamp(struct bufs *b, long i)
{
	b->tx[b->size - 1] = (uint8_t)(i >> 8);
	b->tx[0] = (uint8_t)i;
}

/* Is datagram i what was sent? got: bytes received, or a negative errno
 * (tern_err values are -errno). */
static int check(const struct bufs *b, long i, int got, const char *who)
{
	if (got < 0) {
		fprintf(stderr, "bench_udp_pps: %s: datagram %ld: %s\n", who, i, strerror(-got));
		return -1;
	}
	if ((size_t)got != b->size || b->rx[0] != b->tx[0] || b->rx[b->size - 1] != b->tx[b->size - 1]) {
		fprintf(stderr, "bench_udp_pps: %s: datagram %ld: wrong datagram (%d bytes)\n",
			who, i, got);
		return -1;
	}
	return 0;
}

/* ---- tern sockets shared by both tern paths --------------------------------- */

/* A receiving socket bound to dst on stack rs and a sending socket (bound
 * on first send) on stack ss. */
static int tern_pair(struct tern_stack *ss, struct tern_stack *rs,
		     const struct tern_sockaddr_in *dst, int *tx, int *rx)
{
	*rx = tern_socket(rs, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	*tx = tern_socket(ss, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	int err = *rx < 0 ? *rx : *tx < 0 ? *tx : tern_bind(rs, *rx, dst);
	if (err < 0)
		fprintf(stderr, "bench_udp_pps: tern socket setup: %s\n", tern_strerror(err));
	return err < 0 ? -1 : 0;
}

/* ---- tern-lo: one stack talking to itself over 127.0.0.1 ------------------- */

struct tern_lo {
	struct bufs b;
	struct tern_stack *s;
	int tx, rx;
	struct tern_sockaddr_in dst;
};

static void tern_lo_close(void *ctx)
{
	struct tern_lo *t = ctx;
	if (!t)
		return;
	tern_stack_destroy(t->s);
	bufs_fini(&t->b);
	free(t);
}

static void *tern_lo_open(size_t size)
{
	struct tern_lo *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->dst = (struct tern_sockaddr_in){.addr = TERN_IP4(127, 0, 0, 1), .port = BENCH_PORT};
	t->s = tern_stack_create(NULL);
	if (bufs_init(&t->b, size) < 0 || !t->s || tern_pair(t->s, t->s, &t->dst, &t->tx, &t->rx) < 0) {
		tern_lo_close(t);
		return NULL;
	}
	return t;
}

static int tern_lo_run(void *ctx, long n)
{
	struct tern_lo *t = ctx;
	struct tern_sockaddr_in src;
	for (long i = 0; i < n; i++) {
		stamp(&t->b, i);
		int got = tern_sendto(t->s, t->tx, t->b.tx, t->b.size, 0, &t->dst);
		tern_stack_poll(t->s, tern_stack_now(t->s)); /* drains the loopback queue */
		if (got >= 0)
			got = tern_recvfrom(t->s, t->rx, t->b.rx, t->b.size, 0, &src);
		if (check(&t->b, i, got, "tern-lo") < 0)
			return -1;
	}
	return 0;
}

/* ---- tern-link: two simulated hosts on an ideal link ------------------------ */

struct tern_link_path {
	struct bufs b;
	struct tern_sim *sim;
	struct tern_stack *a, *z;  /* sender, receiver */
	int tx, rx;
	struct tern_sockaddr_in dst;
};

static void tern_link_close(void *ctx)
{
	struct tern_link_path *t = ctx;
	if (!t)
		return;
	tern_sim_destroy(t->sim);
	bufs_fini(&t->b);
	free(t);
}

/* Two hosts, 10.0.0.1 and 10.0.0.2, on a zero-delay unlimited link; run
 * past the address announcements so only the datagrams remain. */
static int tern_link_topology(struct tern_link_path *t)
{
	t->sim = tern_sim_create(1);
	t->a = t->sim ? tern_sim_host(t->sim, "a", NULL) : NULL;
	t->z = t->sim ? tern_sim_host(t->sim, "z", NULL) : NULL;
	if (!t->a || !t->z)
		return -1;
	int err = tern_sim_connect(t->sim, t->a, "10.0.0.1/24", t->z, "10.0.0.2/24", NULL, NULL, NULL);
	if (err < 0) {
		fprintf(stderr, "bench_udp_pps: tern_sim_connect: %s\n", tern_strerror(err));
		return -1;
	}
	tern_sim_run_for(t->sim, TERN_SEC(5));
	tern_stack_poll(t->a, tern_sim_now(t->sim)); /* senders act at their own clock */
	tern_stack_poll(t->z, tern_sim_now(t->sim));
	return 0;
}

static void *tern_link_open(size_t size)
{
	struct tern_link_path *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->dst = (struct tern_sockaddr_in){.addr = TERN_IP4(10, 0, 0, 2), .port = BENCH_PORT};
	if (bufs_init(&t->b, size) < 0 || tern_link_topology(t) < 0 ||
	    tern_pair(t->a, t->z, &t->dst, &t->tx, &t->rx) < 0) {
		tern_link_close(t);
		return NULL;
	}
	return t;
}

static int tern_link_run(void *ctx, long n)
{
	struct tern_link_path *t = ctx;
	struct tern_sockaddr_in src;
	for (long i = 0; i < n; i++) {
		stamp(&t->b, i);
		int got = tern_sendto(t->a, t->tx, t->b.tx, t->b.size, 0, &t->dst);
		tern_sim_run_for(t->sim, 0); /* everything due now: the frames cross */
		if (got >= 0)
			got = tern_recvfrom(t->z, t->rx, t->b.rx, t->b.size, 0, &src);
		if (check(&t->b, i, got, "tern-link") < 0)
			return -1;
	}
	return 0;
}

/* ---- linux-lo: the kernel's UDP over 127.0.0.1, the reference ------------- */

struct linux_lo {
	struct bufs b;
	int tx, rx;
	struct sockaddr_in dst;
};

static void linux_lo_close(void *ctx)
{
	struct linux_lo *t = ctx;
	if (!t)
		return;
	if (t->tx >= 0)
		close(t->tx);
	if (t->rx >= 0)
		close(t->rx);
	bufs_fini(&t->b);
	free(t);
}

/* rx bound to 127.0.0.1 on an ephemeral port (dst learns which), with a
 * receive timeout so a lost datagram fails the run instead of hanging it. */
static int linux_lo_sockets(struct linux_lo *t)
{
	struct timeval tmo = {.tv_sec = 2};
	socklen_t alen = sizeof(t->dst);
	t->dst = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	t->rx = socket(AF_INET, SOCK_DGRAM, 0);
	t->tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (t->rx < 0 || t->tx < 0 ||
	    bind(t->rx, (struct sockaddr *)&t->dst, sizeof(t->dst)) < 0 ||
	    getsockname(t->rx, (struct sockaddr *)&t->dst, &alen) < 0 ||
	    setsockopt(t->rx, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) < 0) {
		perror("bench_udp_pps: linux socket setup");
		return -1;
	}
	return 0;
}

static void *linux_lo_open(size_t size)
{
	struct linux_lo *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tx = t->rx = -1;
	if (bufs_init(&t->b, size) < 0 || linux_lo_sockets(t) < 0) {
		linux_lo_close(t);
		return NULL;
	}
	return t;
}

static int linux_lo_run(void *ctx, long n)
{
	struct linux_lo *t = ctx;
	struct sockaddr_in src;
	for (long i = 0; i < n; i++) {
		socklen_t slen = sizeof(src);
		stamp(&t->b, i);
		ssize_t got = sendto(t->tx, t->b.tx, t->b.size, 0, (struct sockaddr *)&t->dst,
				     sizeof(t->dst));
		if (got >= 0)
			got = recvfrom(t->rx, t->b.rx, t->b.size, 0, (struct sockaddr *)&src, &slen);
		if (check(&t->b, i, got < 0 ? -errno : (int)got, "linux-lo") < 0)
			return -1;
	}
	return 0;
}

static const struct path paths[NPATHS] = {
	[PATH_TERN_LO] = {"tern-lo", tern_lo_open, tern_lo_run, tern_lo_close},
	[PATH_TERN_LINK] = {"tern-link", tern_link_open, tern_link_run, tern_link_close},
	[PATH_LINUX] = {"linux-lo", linux_lo_open, linux_lo_run, linux_lo_close},
};

/* ---- timing ------------------------------------------------------------------- */

/* ns per datagram over a batch of n, or -1 if the path failed. */
static double timed_batch(const struct path *p, void *ctx, long n)
{
	double t0 = bench_now_ns();
	if (p->run(ctx, n) < 0)
		return -1;
	return (bench_now_ns() - t0) / (double)n;
}

/* A batch size that takes about target_ns: time doubling trial batches
 * until one takes a tenth of the target. Returns -1 on failure. */
static long calibrate(const struct path *p, void *ctx, double target_ns)
{
	for (long n = 16;; n *= 2) {
		double per = timed_batch(p, ctx, n);
		if (per < 0)
			return -1;
		if (per * (double)n >= target_ns / 10 || n >= (1L << 24)) {
			long c = (long)(target_ns / per);
			return c < MIN_BATCH ? MIN_BATCH : c;
		}
	}
}

/* The batch size for a path: fixed (after a warm-up), or calibrated. */
static long batch_size(const struct opts *o, const struct path *p, void *ctx, double target_ns)
{
	if (!o->count)
		return calibrate(p, ctx, target_ns);
	return p->run(ctx, WARMUP_COUNT) < 0 ? -1 : o->count;
}

/* ---- statistics ------------------------------------------------------------------ */

/* ---- one payload size: every chosen path, batches interleaved ---------------------- */

static int active_paths(const struct opts *o)
{
	int n = 0;
	for (int p = 0; p < NPATHS; p++)
		n += o->use[p];
	return n;
}

static void close_paths(void *ctx[NPATHS])
{
	for (int p = 0; p < NPATHS; p++)
		if (ctx[p])
			paths[p].close(ctx[p]);
}

static int open_paths(const struct opts *o, size_t size, void *ctx[NPATHS], long count[NPATHS])
{
	double target = o->budget_ns / (o->nsizes * active_paths(o) * (o->reps + 1));
	for (int p = 0; p < NPATHS; p++) {
		if (!o->use[p])
			continue;
		ctx[p] = paths[p].open(size);
		if (!ctx[p] || (count[p] = batch_size(o, &paths[p], ctx[p], target)) < 0) {
			fprintf(stderr, "bench_udp_pps: %s with %zu-byte datagrams failed\n",
				paths[p].name, size);
			return -1;
		}
	}
	return 0;
}

/* Fill row[] with each chosen path's median over o->reps batches. Batches
 * take turns across paths so slow drifts of the machine hit all alike. */
static int measure_size(const struct opts *o, size_t size, struct bench_cell row[NPATHS])
{
	void *ctx[NPATHS] = {0};
	long count[NPATHS] = {0};
	double samples[NPATHS][MAX_REPS] = {{0}};
	int rc = open_paths(o, size, ctx, count);
	for (int r = 0; rc == 0 && r < o->reps; r++)
		for (int p = 0; rc == 0 && p < NPATHS; p++)
			if (o->use[p] && (samples[p][r] = timed_batch(&paths[p], ctx[p], count[p])) < 0)
				rc = -1;
	for (int p = 0; rc == 0 && p < NPATHS; p++)
		if (o->use[p])
			row[p] = bench_summarize(samples[p], o->reps);
	close_paths(ctx);
	return rc;
}

/* ---- output ------------------------------------------------------------------------ */

/* "1234 +-5%": the median and half the min-max spread as a % of it. */
static void print_cell(const struct bench_cell *c)
{
	if (!c->done) {
		printf(" %16s", "-");
		return;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%.0f +-%.0f%%", c->med, 50 * (c->hi - c->lo) / c->med);
	printf(" %16s", buf);
}

static void print_ratio(const struct bench_cell *t, const struct bench_cell *ref)
{
	if (t->done && ref->done)
		printf(" %15.3f", t->med / ref->med);
	else
		printf(" %15s", "-");
}

static void print_rate(const struct bench_cell *c)
{
	if (c->done)
		printf(" %16.0f", 1e9 / c->med);
	else
		printf(" %16s", "-");
}

static void print_table(const struct opts *o, struct bench_cell rows[][NPATHS])
{
	printf("ns per datagram (sendto + deliver + recvfrom), median of %d batches,\n"
	       "+- half the spread between batches; ratio < 1: tern is faster than Linux\n\n",
	       o->reps);
	printf("%6s %16s %16s %16s %15s %15s\n", "bytes", "tern-lo", "tern-link", "linux-lo",
	       "tern-lo/linux", "tern-link/linux");
	for (int i = 0; i < o->nsizes; i++) {
		printf("%6zu", o->sizes[i]);
		for (int p = 0; p < NPATHS; p++)
			print_cell(&rows[i][p]);
		print_ratio(&rows[i][PATH_TERN_LO], &rows[i][PATH_LINUX]);
		print_ratio(&rows[i][PATH_TERN_LINK], &rows[i][PATH_LINUX]);
		printf("\n");
	}
	printf("\ndatagrams per second (1e9 / median ns)\n%6s", "bytes");
	for (int p = 0; p < NPATHS; p++)
		printf(" %16s", paths[p].name);
	for (int i = 0; i < o->nsizes; i++) {
		printf("\n%6zu", o->sizes[i]);
		for (int p = 0; p < NPATHS; p++)
			print_rate(&rows[i][p]);
	}
	printf("\n");
}

/* ---- options ------------------------------------------------------------------------ */

static int usage(void)
{
	fprintf(stderr, "usage: bench_udp_pps [--quick] [--count N] [--reps R] [--size BYTES]...\n"
			"                     [--mode all|tern-lo|tern-link|linux]\n");
	return 2;
}

static bool parse_mode(const char *s, struct opts *o)
{
	static const char *const names[] = {"tern-lo", "tern-link", "linux"};
	bool all = s && strcmp(s, "all") == 0, any = all;
	for (int p = 0; s && p < NPATHS; p++) {
		o->use[p] = all || strcmp(s, names[p]) == 0;
		any |= o->use[p];
	}
	return any;
}

/* One option (and its value, *i advanced past it); false if malformed. */
static bool parse_opt(int argc, char **argv, int *i, struct opts *o)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	long x;
	if (strcmp(a, "--quick") == 0) {
		o->quick = true;
		return true;
	}
	(*i)++;
	if (strcmp(a, "--mode") == 0)
		return parse_mode(v, o);
	if (!bench_parse_long(v, 1, 1000000000L, &x))
		return false;
	if (strcmp(a, "--count") == 0)
		o->count = x;
	else if (strcmp(a, "--reps") == 0 && x <= MAX_REPS)
		o->reps = (int)x;
	else if (strcmp(a, "--size") == 0 && x <= TERN_UDP_MAX_PAYLOAD && o->nsizes < MAX_SIZES)
		o->sizes[o->nsizes++] = (size_t)x;
	else
		return false;
	return true;
}

static bool parse_opts(int argc, char **argv, struct opts *o)
{
	static const size_t defaults[] = {64, 512, 1472, 8000};
	*o = (struct opts){.use = {true, true, true}};
	for (int i = 1; i < argc; i++)
		if (!parse_opt(argc, argv, &i, o))
			return false;
	o->budget_ns = o->quick ? 0.8e9 : 8e9; /* timed batches; setup comes on top */
	if (!o->reps)
		o->reps = o->quick ? 3 : 5;
	if (!o->nsizes) {
		memcpy(o->sizes, defaults, sizeof(defaults));
		o->nsizes = (int)(sizeof(defaults) / sizeof(defaults[0]));
	}
	return true;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (!parse_opts(argc, argv, &o))
		return usage();
	struct bench_cell rows[MAX_SIZES][NPATHS];
	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < o.nsizes; i++)
		if (measure_size(&o, o.sizes[i], rows[i]) < 0)
			return 1;
	print_table(&o, rows);
	return 0;
}
