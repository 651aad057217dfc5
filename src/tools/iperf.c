/*
 * tools/iperf.c — `tern iperf`: TCP throughput tests from a tern host on a
 * TAP device, speaking iperf3's protocol, so either side can be Linux's
 * iperf3 (3.12, Debian 12), with iperf3's options, reports and exit
 * statuses:
 *
 *   tern iperf -s [-p PORT] [-1] [-i S] --tap IF --addr A/P
 *   tern iperf -c HOST [-p PORT] [-t S | -n BYTES] [-P N] [-R] [-l LEN] [-b RATE] [-i S]
 *              [-C ALGO] [--fq-rate RATE] ...
 *
 * The engine is the library's (tern_iperf_* in tern/apps.h, the one the
 * simulator runs); this file parses options and drives it with the real
 * clock.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tern/rt.h"
#include "tools/cmdline.h"
#include "tools/common.h"

#define CMD "iperf"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern iperf -s [options] --tap IFNAME --addr ADDR/PREFIX\n"
		"       tern iperf -c HOST [options] --tap IFNAME --addr ADDR/PREFIX\n"
		"\n"
		"Measure TCP (or UDP) throughput between a tern host and an iperf3 (or\n"
		"another tern iperf), speaking iperf3 3.12's protocol and printing its reports.\n"
		"\n"
		"Server or client:\n"
		"  -p, --port PORT        server port to listen on / connect to (default 5201)\n"
		"  -i, --interval SECS    seconds between interval reports (default 1, 0: none)\n"
		"Server:\n"
		"  -s, --server           run as a server, one test after another\n"
		"  -1, --one-off          handle one client connection, then exit\n"
		"Client:\n"
		"  -c, --client HOST      run as a client of HOST (an IPv4 address)\n"
		"  -t, --time SECS        seconds to transmit (default 10)\n"
		"  -n, --bytes N[KMG]     bytes to transmit (instead of -t)\n"
		"  -P, --parallel N       parallel streams (default 1, at most %d)\n"
		"  -R, --reverse          the server sends, the client receives\n"
		"  -u, --udp              UDP: one stream of datagrams paced at -b (default\n"
		"                         1M); the receiver reports jitter and loss\n"
		"  -l, --length N[KMG]    bytes per write (default 128K; UDP: the MSS)\n"
		"  -b, --bitrate N[KMG]   bits/sec per stream (default: unlimited)\n"
		"  -C, --congestion ALGO  the data connections' congestion control, both\n"
		"                         sides (cubic, the default, or reno)\n"
		"      --fq-rate N[KMG]   pace each data connection at most at N bits/sec\n"
		"                         (SO_MAX_PACING_RATE, both sides)\n"
		"  -h, --help             show this help\n"
		"\n"
		"%s%s"
		"  --pcap FILE            write every frame of that interface to FILE (pcap)\n"
		"\n"
		"K, M and G are 1024-based for sizes and 1000-based for -b, as in iperf3.\n"
		"No --bidir, and UDP with one stream only: a server refuses the others.\n"
		"Exit status, as iperf3's: 0 after a test ran to its summary, 1 on an error\n"
		"(\"tern iperf: error - unable to connect to server: Connection refused\"),\n"
		"a bad option or an interrupt.\n"
		"\n"
		"Example:\n"
		"  tern iperf -c 10.0.0.1 -t 5 --tap tap0 --addr 10.0.0.2/24\n",
		TERN_IPERF_MAX_STREAMS, cli_net_usage, cli_ctl_usage);
}

struct iperf_args {
	struct cli_net net;
	bool help, server, client, time_set;
	struct tern_iperf_opts o;
};

/* "10M", "128K", "1.5G": a size with iperf3's 1024-based suffixes, or a
 * rate (bits) with 1000-based ones. */
static int parse_amount(const char *opt, const char *arg, bool rate, uint64_t max, uint64_t *out)
{
	char *end;
	double v = strtod(arg, &end);
	double mult = 1;
	if (end == arg || v < 0)
		goto bad;
	switch (toupper((unsigned char)*end)) {
	case 'K': mult = rate ? 1e3 : 1024.0; end++; break;
	case 'M': mult = rate ? 1e6 : 1048576.0; end++; break;
	case 'G': mult = rate ? 1e9 : 1073741824.0; end++; break;
	case 'T': mult = rate ? 1e12 : 1099511627776.0; end++; break;
	default: break;
	}
	if (*end != '\0' || v * mult > (double)max)
		goto bad;
	*out = (uint64_t)(v * mult);
	return 0;
bad:
	cli_error(CMD, "invalid value '%s' for %s", arg, opt);
	return -1;
}

static int take_option(void *ctx, int c, const char *arg)
{
	struct iperf_args *a = ctx;
	struct tern_iperf_opts *o = &a->o;
	unsigned long v;
	uint64_t amount;
	switch (c) {
	case 's': a->server = true; o->server = true; return 0;
	case '1': o->one_off = true; return 0;
	case 'R': o->reverse = true; return 0;
	case 'c':
		a->client = true;
		return cli_parse_ip(CMD, "-c", arg, &o->dst) < 0 ? CLI_EXIT_USAGE : 0;
	case 'p':
		if (cli_parse_uint(CMD, "-p", arg, 1, 65535, &v) < 0)
			return CLI_EXIT_USAGE;
		o->port = (uint16_t)v;
		return 0;
	case 't':
		if (cli_parse_uint(CMD, "-t", arg, 1, 86400, &v) < 0)
			return CLI_EXIT_USAGE;
		o->duration = TERN_SEC(v);
		a->time_set = true;
		return 0;
	case 'P':
		if (cli_parse_uint(CMD, "-P", arg, 1, TERN_IPERF_MAX_STREAMS, &v) < 0)
			return CLI_EXIT_USAGE;
		o->parallel = (unsigned)v;
		return 0;
	case 'i':
		if (cli_parse_seconds(CMD, "-i", arg, 0, TERN_SEC(60), &o->interval) < 0)
			return CLI_EXIT_USAGE;
		if (o->interval > 0 && o->interval < TERN_MSEC(100))
			return cli_usage_error(CMD, "-i: the interval is 0 or at least 0.1 s");
		return 0;
	case 'n':
		if (parse_amount("-n", arg, false, UINT64_MAX / 2, &amount) < 0 || amount == 0)
			return CLI_EXIT_USAGE;
		o->bytes = amount;
		return 0;
	case 'l':
		if (parse_amount("-l", arg, false, 1024 * 1024, &amount) < 0 || amount == 0)
			return CLI_EXIT_USAGE;
		o->len = (size_t)amount;
		return 0;
	case 'b':
		if (parse_amount("-b", arg, true, UINT64_MAX / 2, &amount) < 0)
			return CLI_EXIT_USAGE;
		o->rate = amount;
		return 0;
	case 'u': o->udp = true; return 0;
	case 'C':
		/* a name the JSON parameters carry as it is (Linux's
		 * TCP_CA_NAME_MAX: 15 characters) */
		if (!*arg || strlen(arg) > 15 || strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(arg))
			return cli_usage_error(CMD, "-C: not a congestion control name: %s", arg);
		o->congestion = arg;
		return 0;
	case 'F':
		if (parse_amount("--fq-rate", arg, true, UINT64_MAX / 2, &amount) < 0)
			return CLI_EXIT_USAGE;
		o->fq_rate = amount;
		return 0;
	default:
		return CLI_EXIT_USAGE;
	}
}

static int parse_args(struct iperf_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"server", no_argument, NULL, 's'},
		{"client", required_argument, NULL, 'c'},
		{"one-off", no_argument, NULL, '1'},
		{"port", required_argument, NULL, 'p'},
		{"time", required_argument, NULL, 't'},
		{"bytes", required_argument, NULL, 'n'},
		{"parallel", required_argument, NULL, 'P'},
		{"reverse", no_argument, NULL, 'R'},
		{"length", required_argument, NULL, 'l'},
		{"interval", required_argument, NULL, 'i'},
		{"bitrate", required_argument, NULL, 'b'},
		{"bandwidth", required_argument, NULL, 'b'},
		{"udp", no_argument, NULL, 'u'},
		{"congestion", required_argument, NULL, 'C'},
		{"fq-rate", required_argument, NULL, 'F'},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":s1c:p:t:n:P:Rl:i:b:uC:h", longopts, &a->net,
				   take_option, a, &a->help);
	if (rc || a->help)
		return rc;
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (a->server == a->client)
		return cli_usage_error(CMD, "must either be a client (-c) or server (-s)");
	if (a->o.udp && a->o.parallel > 1)
		return cli_usage_error(CMD, "-u: one stream only (no -P)");
	if (a->o.udp && a->o.len && (a->o.len < 12 || a->o.len > 65507))
		return cli_usage_error(CMD, "-l: a UDP datagram is 12 to 65507 bytes");
	if (a->o.bytes && !a->time_set)
		a->o.duration = 0; /* -n alone: until the bytes went, as iperf3 */
	return 0;
}

static bool iperf_done(const void *ip)
{
	return tern_iperf_done(ip);
}

static int run(struct iperf_args *a)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-iperf");
	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_FAIL;
	/* tern ss sees this program's sockets through its control socket. */
	char ctl_name[48];
	struct cli_ctl *ctl = cli_ctl_open(rt, cli_ctl_name(&a->net, CMD, ctl_name, sizeof(ctl_name)),
					   "tern " CMD, a->net.name != NULL);
	a->o.cookie_seed = tern_rt_fresh_seed();
	a->o.diag = stderr;
	a->o.prog = "tern iperf";
	int err, status = CLI_EXIT_FAIL;
	struct tern_iperf *ip = tern_iperf_start(tern_rt_stack(rt), &a->o, stdout, tern_rt_now(rt), &err);
	if (ip) {
		int rc = cli_run_app(rt, CMD, iperf_done, ip);
		if (!tern_iperf_done(ip))
			tern_iperf_interrupt(ip); /* Ctrl-C: iperf3's summary and message */
		status = tern_iperf_finish(ip);
		if (rc < 0)
			status = CLI_EXIT_FAIL;
		/* what the connections still hold (the TERMINATE byte after a
		 * Ctrl-C too, so the flag is cleared; a second Ctrl-C ends it)
		 * leaves before the stack goes, as the kernel would send it */
		cli_stop = 0;
		cli_tcp_linger(rt);
	}
	cli_ctl_close(ctl);
	tern_rt_destroy(rt);
	return status;
}

int iperf_cmdline(int argc, char **argv, struct tern_iperf_opts *o)
{
	struct iperf_args a;
	memset(&a, 0, sizeof(a));
	tern_iperf_opts_init(&a.o);
	a.net.max_taps = 1;
	int rc = parse_args(&a, argc, argv);
	if (rc == 0)
		rc = cli_net_unused(&a.net, CMD, a.help);
	*o = a.o;
	return rc;
}

int cmd_iperf(int argc, char **argv)
{
	struct iperf_args a;
	memset(&a, 0, sizeof(a));
	tern_iperf_opts_init(&a.o);
	a.net.max_taps = 1;
	int rc = parse_args(&a, argc, argv);
	if (rc != 0)
		return CLI_EXIT_FAIL; /* iperf3 exits 1 on a parameter error */
	if (a.help) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (cli_net_check(&a.net, CMD, true) < 0)
		return CLI_EXIT_FAIL;
	return run(&a);
}
