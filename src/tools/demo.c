/*
 * tools/demo.c — `tern demo`: a first look at tern without root or TAP
 * devices. It builds host A — router R1 — router R2 — host B in the
 * simulator, runs ping, traceroute and nc on A (and nc and ss on B) in
 * virtual time, prints what they print (with a few words on what to
 * notice) and leaves a pcap per interface to open in Wireshark.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tern/sim.h"
#include "tools/common.h"

#define CMD "demo"
#define DEMO_IDENT 0x7465        /* fixed, so every run prints the same */
#define DEMO_LIMIT TERN_SEC(120) /* virtual seconds any one command may take */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern demo [--seed N] [--out DIR]\n"
		"\n"
		"Build a small internetwork in the simulator (host A, routers R1 and R2,\n"
		"host B), run ping, traceroute and nc from A to B and ss on B in virtual\n"
		"time, and print what they print. Nothing touches the real network and no\n"
		"root is needed; the same seed prints the same output every time.\n"
		"\n"
		"Options:\n"
		"  --seed N     seed for every random choice in the simulation (default 1)\n"
		"  --out DIR    where to write one pcap per interface (default ./tern-demo)\n"
		"  -h, --help   show this help\n");
}

struct demo {
	struct tern_sim *sim;
	struct tern_stack *a, *r1, *r2, *b;
	const char *dir;
};

/* ---- the network ------------------------------------------------------------ */

static const char topology[] =
	"This demo runs four tern stacks in one process, joined by simulated links,\n"
	"in virtual time (nothing touches your real network):\n"
	"\n"
	"   host A              router R1             router R2              host B\n"
	"  10.0.1.2 ---------- 10.0.1.1  10.0.12.1 ---------- 10.0.12.2  10.0.2.1 ---------- 10.0.2.2\n"
	"       10.0.1.0/24                   10.0.12.0/24                     10.0.2.0/24\n"
	"       1 ms                          1 ms, 10 Mbit/s, MTU 1280        1 ms\n"
	"\n"
	"A sends everything off its subnet to R1 (default gateway), B to R2. R1\n"
	"reaches 10.0.2.0/24 through R2 and R2 reaches 10.0.1.0/24 through R1.\n"
	"Each command below runs on the host its prompt names (A$, B$), printing exactly\n"
	"what the real program would.\n";

static int must(int rc, const char *what)
{
	if (rc < 0)
		cli_error(CMD, "cannot %s: %s", what, tern_strerror(rc));
	return rc;
}

static int build(struct demo *d)
{
	struct tern_sim_link_opts edge = {.delay = TERN_MSEC(1)};
	struct tern_sim_link_opts core = {.delay = TERN_MSEC(1), .rate_bps = 10000000, .mtu = 1280};

	d->a = tern_sim_host(d->sim, "A", NULL);
	d->r1 = tern_sim_router(d->sim, "R1", NULL);
	d->r2 = tern_sim_router(d->sim, "R2", NULL);
	d->b = tern_sim_host(d->sim, "B", NULL);
	if (!d->a || !d->r1 || !d->r2 || !d->b) {
		cli_error(CMD, "cannot create the simulated nodes");
		return -1;
	}
	if (must(tern_sim_connect(d->sim, d->a, "10.0.1.2/24", d->r1, "10.0.1.1/24", &edge, NULL,
				  NULL), "connect A and R1") < 0 ||
	    must(tern_sim_connect(d->sim, d->r1, "10.0.12.1/24", d->r2, "10.0.12.2/24", &core, NULL,
				  NULL), "connect R1 and R2") < 0 ||
	    must(tern_sim_connect(d->sim, d->r2, "10.0.2.1/24", d->b, "10.0.2.2/24", &edge, NULL,
				  NULL), "connect R2 and B") < 0)
		return -1;
	if (must(tern_route_add(d->a, 0, 0, TERN_IP4(10, 0, 1, 1), 0, 0), "route on A") < 0 ||
	    must(tern_route_add(d->b, 0, 0, TERN_IP4(10, 0, 2, 1), 0, 0), "route on B") < 0 ||
	    must(tern_route_add(d->r1, TERN_IP4(10, 0, 2, 0), 24, TERN_IP4(10, 0, 12, 2), 0, 0),
		 "route on R1") < 0 ||
	    must(tern_route_add(d->r2, TERN_IP4(10, 0, 1, 0), 24, TERN_IP4(10, 0, 12, 1), 0, 0),
		 "route on R2") < 0)
		return -1;
	return 0;
}

/* ---- the commands ----------------------------------------------------------- */

static void heading(const struct demo *d, const char *host, const char *cmdline,
		    const char *explain)
{
	tern_time_t now = tern_sim_now(d->sim);
	printf("\n== %s$ %s        [virtual time %lld.%03lld s]\n", host, cmdline,
	       (long long)(now / TERN_SEC(1)), (long long)(now % TERN_SEC(1) / TERN_MSEC(1)));
	printf("%s\n\n", explain);
	fflush(stdout);
}

static bool ping_done(void *p)
{
	return tern_ping_done(p);
}

static bool traceroute_done(void *t)
{
	return tern_traceroute_done(t);
}

static int run_ping(struct demo *d, unsigned count, size_t size, bool df)
{
	struct tern_ping_opts o;
	int err;
	tern_ping_opts_init(&o);
	o.dst = TERN_IP4(10, 0, 2, 2);
	o.count = count;
	o.size = size;
	o.pmtudisc = df ? TERN_IP_PMTU_DO : TERN_IP_PMTU_WANT; /* -M do, or ping's default */
	o.ident = DEMO_IDENT;
	struct tern_ping *p = tern_ping_start(d->a, &o, stdout, tern_sim_now(d->sim), &err);
	if (!p)
		return must(err, "start ping");
	tern_sim_run_while(d->sim, ping_done, p, tern_sim_now(d->sim) + DEMO_LIMIT);
	tern_ping_finish(p, tern_sim_now(d->sim));
	return 0;
}

static int run_traceroute(struct demo *d)
{
	struct tern_traceroute_opts o;
	int err;
	tern_traceroute_opts_init(&o);
	o.dst = TERN_IP4(10, 0, 2, 2);
	o.ident = DEMO_IDENT;
	struct tern_traceroute *t = tern_traceroute_start(d->a, &o, stdout, tern_sim_now(d->sim),
							  &err);
	if (!t)
		return must(err, "start traceroute");
	tern_sim_run_while(d->sim, traceroute_done, t, tern_sim_now(d->sim) + DEMO_LIMIT);
	tern_traceroute_finish(t, tern_sim_now(d->sim));
	return 0;
}

static bool nc_done(void *nc)
{
	return tern_nc_done(nc);
}

/* B listens with nc, A sends it a line; then ss on B shows the socket. */
static int run_nc_ss(struct demo *d)
{
	static const char line[] = "hello from A\n";
	struct tern_nc_opts ol, oa;
	int err;
	tern_nc_opts_init(&ol);
	ol.listen = true;
	ol.port = 5000;
	tern_nc_opts_init(&oa);
	oa.dst = TERN_IP4(10, 0, 2, 2);
	oa.dst_port = 5000;
	oa.quit_after = TERN_SEC(1);
	heading(d, "A", "echo 'hello from A' | nc -u -q 1 10.0.2.2 5000",
		"Meanwhile B runs `nc -u -l -p 5000`, printing every datagram it receives;\n"
		"what B's nc printed follows. A's nc quits one second after its input ends.");
	struct tern_nc *b = tern_nc_start(d->b, &ol, stdout, tern_sim_now(d->sim), &err);
	if (!b)
		return must(err, "start nc on B");
	struct tern_nc *a = tern_nc_start(d->a, &oa, stdout, tern_sim_now(d->sim), &err);
	if (!a) {
		tern_nc_finish(b);
		return must(err, "start nc on A");
	}
	tern_nc_send(a, line, sizeof(line) - 1, tern_sim_now(d->sim));
	tern_nc_eof(a, tern_sim_now(d->sim));
	tern_sim_run_while(d->sim, nc_done, a, tern_sim_now(d->sim) + DEMO_LIMIT);
	tern_nc_finish(a);

	heading(d, "B", "ss -u -a -n",
		"B's nc socket, as ss shows it: after the first datagram nc \"connected\"\n"
		"it to the sender (A's address and the port A's kernel, here tern, chose\n"
		"at random from 49152-65535), so it is ESTAB and takes datagrams from A only.");
	struct tern_ss_opts so = {.udp = true, .select = TERN_SS_ALL, .numeric = true};
	int rc = tern_ss_print(d->b, &so, stdout);
	tern_nc_finish(b);
	return must(rc, "print B's sockets");
}

static int run_commands(struct demo *d)
{
	heading(d, "A", "ping -c 3 10.0.2.2",
		"Three echo requests cross both routers. ttl=62 in the replies: B sent them\n"
		"with TTL 64 and each router took one off. The first round trip is the\n"
		"longest because A, R1 and R2 each resolve their next hop with ARP first.");
	if (run_ping(d, 3, 56, false) < 0)
		return -1;

	heading(d, "A", "ping -c 2 -s 4000 10.0.2.2",
		"A 4008-byte ICMP message does not fit one frame: A splits the datagram into\n"
		"1500-byte fragments, R1 splits them again for the 1280-byte link, and B\n"
		"reassembles them before it answers (its reply is fragmented the same way).");
	if (run_ping(d, 2, 4000, false) < 0)
		return -1;

	heading(d, "A", "ping -c 1 -M do -s 1400 10.0.2.2",
		"With Don't Fragment set (-M do) the 1428-byte datagram fits A's link but not\n"
		"R1-R2. R1 drops it and tells A \"fragmentation needed\" with the next-hop\n"
		"MTU (RFC 1191): the signal path MTU discovery relies on.");
	if (run_ping(d, 1, 1400, true) < 0)
		return -1;

	heading(d, "A", "traceroute 10.0.2.2",
		"UDP probes with TTL 1, 2, 3: the router where the TTL runs out answers\n"
		"\"time exceeded\" and so reveals itself; B, with nothing listening on port\n"
		"33434 and up, answers \"port unreachable\", which ends the trace.");
	if (run_traceroute(d) < 0)
		return -1;
	return run_nc_ss(d);
}

/* ---- captures --------------------------------------------------------------- */


static void list_captures(const char *dir)
{
	char pattern[4200];
	glob_t g;
	snprintf(pattern, sizeof(pattern), "%s/{A,R1,R2,B}-*.pcap", dir);
	if (glob(pattern, GLOB_BRACE, NULL, &g) != 0) {
		printf("\nNo capture files were written to %s.\n", dir);
		return;
	}
	printf("\nCaptures, one per interface (open with Wireshark, or tcpdump -nr FILE):\n");
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		if (stat(g.gl_pathv[i], &st) == 0)
			printf("  %-40s %8lld bytes\n", g.gl_pathv[i], (long long)st.st_size);
	}
	globfree(&g);
}

static int parse_args(int argc, char **argv, uint64_t *seed, const char **dir, bool *help)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"seed", required_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			*help = true;
			return 0;
		case 's':
			if (cli_parse_uint(CMD, "--seed", optarg, 0, 0xffffffffUL, &v) < 0)
				return CLI_EXIT_USAGE;
			*seed = v;
			break;
		case 'o':
			if (!*optarg)
				return cli_usage_error(CMD, "invalid value '' for --out: expected a "
						       "directory");
			*dir = optarg;
			break;
		default:
			return cli_bad_option(CMD, c, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cmd_demo(int argc, char **argv)
{
	uint64_t seed = 1;
	const char *dir = "tern-demo";
	bool help = false;
	int rc = parse_args(argc, argv, &seed, &dir, &help);
	if (rc != 0)
		return rc;
	if (help) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (cli_make_dirs(dir) < 0) {
		cli_error(CMD, "cannot create directory %s: %s", dir, strerror(errno));
		return CLI_EXIT_USAGE;
	}

	struct demo d = {.dir = dir};
	d.sim = tern_sim_create(seed);
	if (!d.sim) {
		cli_error(CMD, "cannot create the simulator: out of memory");
		return CLI_EXIT_USAGE;
	}
	tern_sim_capture(d.sim, dir);
	fputs(topology, stdout);
	int status = build(&d) < 0 || run_commands(&d) < 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	tern_sim_destroy(d.sim); /* closes (and so completes) the captures */
	if (status == CLI_EXIT_OK)
		list_captures(dir);
	return status;
}
