/*
 * tools/rr.c — `tern rr`: request/response rounds over TCP from a tern host
 * on a TAP device, each request written in two writes and its response
 * read whole (write, write, read: the pattern Nagle's algorithm stalls
 * against delayed ACKs). tern's own tool, modelled on netperf's TCP_RR;
 * the engine is src/app/rr.c. This file parses options (also for lab
 * steps, rr_cmdline) and runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tools/cmdline.h"
#include "tools/common.h"

#define CMD "rr"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern rr -c HOST [options] --tap IFNAME --addr ADDR/PREFIX\n"
		"       tern rr -l [-p PORT] --tap IFNAME --addr ADDR/PREFIX\n"
		"\n"
		"Request/response rounds over TCP (tern's own tool; netperf's TCP_RR is the\n"
		"model). Each round the client writes a request in two writes (the first N\n"
		"bytes, then the rest), reads the whole response, and prints\n"
		"  round 1: 0.412 ms\n"
		"then a summary: rounds, transactions/s, round time min/mean/max. With\n"
		"Nagle's algorithm the second write waits for the ACK of the first, which\n"
		"the server delays (40 ms): rounds of write, write, read take ~40 ms\n"
		"instead of one round trip; -N (TCP_NODELAY) sends both at once.\n"
		"A request starts with 8 bytes, its length and the response's (big-endian\n"
		"32-bit), so the server needs no options.\n"
		"\n"
		"Options:\n"
		"  -c, --client HOST    run rounds against the server at HOST (IPv4 address)\n"
		"  -l, --listen         serve: answer every request (until stopped)\n"
		"  -p, --port PORT      server port (default 7777)\n"
		"  -n, --rounds N       stop after N rounds\n"
		"  -t, --time SECS      stop after SECS seconds (default 10 without -n)\n"
		"  -r, --size REQ,RESP  request and response bytes (default 100,100; REQ >= 8)\n"
		"      --split N        the first write's bytes (default REQ / 2; 0..REQ)\n"
		"  -N, --nodelay        set TCP_NODELAY on the client's socket\n"
		"  -q, --quiet          no per-round lines, only the summary\n"
		"  -h, --help           show this help\n"
		"\n"
		"%s"
		"  --pcap FILE          write every frame of that interface to FILE (pcap)\n"
		"\n"
		"Exit status: 0 when every round completed (server: when stopped), 1 when\n"
		"the connection failed or closed early, 2 on errors in the options.\n",
		cli_net_usage);
}

struct rr_args {
	struct tern_rr_opts o;
	struct cli_net net;
	bool help, client, listen, split_set;
};

static int parse_sizes(const char *arg, struct tern_rr_opts *o)
{
	char *end;
	unsigned long req = strtoul(arg, &end, 10), resp;
	if (end == arg || *end != ',' || arg[0] == '-')
		goto bad;
	const char *r = end + 1;
	resp = strtoul(r, &end, 10);
	if (end == r || *end || r[0] == '-' || req < 8 || req > (64ul << 20) || resp > (64ul << 20))
		goto bad;
	o->req = (uint32_t)req;
	o->resp = (uint32_t)resp;
	return 0;
bad:
	return cli_usage_error(CMD, "invalid value '%s' for -r: expected REQ,RESP bytes "
			       "(REQ 8 to 67108864, RESP 0 to 67108864)", arg);
}

static int take_option(void *ctx, int c, const char *arg)
{
	struct rr_args *a = ctx;
	unsigned long v = 0;
	switch (c) {
	case 'c':
		a->client = true;
		if (tern_ip4_parse(arg, &a->o.dst) < 0)
			return cli_usage_error(CMD, "invalid HOST '%s': expected an IPv4 address",
					       arg);
		return 0;
	case 'l':
		a->listen = true;
		a->o.server = true;
		return 0;
	case 'p':
		if (cli_parse_uint(CMD, "-p", arg, 1, 65535, &v) < 0)
			return CLI_EXIT_USAGE;
		a->o.port = (uint16_t)v;
		return 0;
	case 'n':
		if (cli_parse_uint(CMD, "-n", arg, 1, 0xffffffffUL, &v) < 0)
			return CLI_EXIT_USAGE;
		a->o.rounds = (uint32_t)v;
		return 0;
	case 't':
		return cli_parse_seconds(CMD, "-t", arg, TERN_MSEC(1), TERN_SEC(86400),
					 &a->o.duration) < 0 ? CLI_EXIT_USAGE : 0;
	case 'r':
		return parse_sizes(arg, &a->o) < 0 ? CLI_EXIT_USAGE : 0;
	case 'S': /* --split */
		if (cli_parse_uint(CMD, "--split", arg, 0, 64ul << 20, &v) < 0)
			return CLI_EXIT_USAGE;
		a->o.split = (uint32_t)v;
		a->split_set = true;
		return 0;
	case 'N':
		a->o.no_delay = true;
		return 0;
	case 'q':
		a->o.quiet = true;
		return 0;
	default:
		return CLI_EXIT_USAGE;
	}
}

static int parse_args(struct rr_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"client", required_argument, NULL, 'c'},
		{"listen", no_argument, NULL, 'l'},
		{"port", required_argument, NULL, 'p'},
		{"rounds", required_argument, NULL, 'n'},
		{"time", required_argument, NULL, 't'},
		{"size", required_argument, NULL, 'r'},
		{"split", required_argument, NULL, 'S'},
		{"nodelay", no_argument, NULL, 'N'},
		{"quiet", no_argument, NULL, 'q'},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":c:lp:n:t:r:Nqh", longopts, &a->net,
				   take_option, a, &a->help);
	if (rc || a->help)
		return rc;
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	if (a->client == a->listen)
		return cli_usage_error(CMD, "give either -c HOST (client) or -l (server)");
	if (a->listen && (a->o.rounds || a->o.duration || a->o.no_delay || a->split_set))
		return cli_usage_error(CMD, "-n, -t, -N and --split are the client's (-c)");
	if (a->split_set && a->o.split > a->o.req)
		return cli_usage_error(CMD, "--split %u is more than the request's %u bytes",
				       a->o.split, a->o.req);
	if (!a->split_set)
		a->o.split = a->o.req / 2;
	return 0;
}

static bool app_done(const void *app)
{
	return tern_rr_done(app);
}

static int run(struct rr_args *a)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-rr");
	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;
	a->o.diag = stderr;
	int err;
	struct tern_rr *rr = tern_rr_start(tern_rt_stack(rt), &a->o, stdout, tern_rt_now(rt), &err);
	if (!rr) {
		cli_error(CMD, "cannot start: %s", tern_strerror(err));
		tern_rt_destroy(rt);
		return CLI_EXIT_USAGE;
	}
	int fatal = cli_run_app(rt, CMD, app_done, rr);
	int status = tern_rr_finish(rr);
	fflush(stdout);
	tern_rt_destroy(rt);
	return fatal < 0 ? CLI_EXIT_USAGE : status;
}

static void args_init(struct rr_args *a)
{
	memset(a, 0, sizeof(*a));
	tern_rr_opts_init(&a->o);
	a->net.max_taps = 1;
}

int rr_cmdline(int argc, char **argv, struct tern_rr_opts *o)
{
	struct rr_args a;
	args_init(&a);
	int rc = parse_args(&a, argc, argv);
	if (rc == 0)
		rc = cli_net_unused(&a.net, CMD, a.help);
	*o = a.o;
	return rc;
}

int cmd_rr(int argc, char **argv)
{
	struct rr_args a;
	args_init(&a);
	int rc = parse_args(&a, argc, argv);
	if (rc != 0)
		return rc;
	if (a.help) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (cli_net_check(&a.net, CMD, true) < 0)
		return CLI_EXIT_USAGE;
	return run(&a);
}
