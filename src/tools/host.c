/*
 * tools/host.c — `tern host`: a long-lived tern host (or router, with
 * --forward) on one or more TAP devices. It answers ARP and ping (the
 * stack does that by itself) until SIGINT or SIGTERM, then prints the
 * counters that moved. Tests and scripts wait for the "... up" lines it
 * prints when ready.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tern/err.h"
#include "tern/rt.h"
#include "tools/common.h"

#define CMD "host"
#define PROBE_LIMIT TERN_SEC(30) /* RFC 5227 probing takes under 10 s */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern host --tap IFNAME --addr ADDR/PREFIX [--tap IFNAME --addr ADDR/PREFIX ...]\n"
		"                 [--route PREFIX,NEXTHOP ...] [--gw GATEWAY] [--forward]\n"
		"                 [--mtu N] [--pcap DIR] [--name NAME] [--probe]\n"
		"                 [--loss PCT] [--delay MS] [--jitter MS] [--duplicate PCT]\n"
		"                 [--corrupt PCT] [--reorder PCT] [--rate BITS] [--fault-seed N]\n"
		"\n"
		"Run a tern host on TAP devices until Ctrl-C (SIGINT) or SIGTERM: it answers\n"
		"ARP and ping, and with --forward routes between its interfaces. When every\n"
		"interface is ready it prints one line per interface, e.g.\n"
		"  tern host NAME: tap0 10.0.0.2/24 up\n"
		"and on exit the counters that moved.\n"
		"\n"
		"Options:\n"
		"  --tap IFNAME             a TAP device (created if missing; needs CAP_NET_ADMIN);\n"
		"                           repeat for more interfaces\n"
		"  --addr ADDR/PREFIX       the address of the --tap before it, e.g. 10.0.0.2/24\n"
		"  --route PREFIX,NEXTHOP   a static route, e.g. 10.2.0.0/16,10.0.0.1; repeatable\n"
		"  --gw GATEWAY             default gateway\n"
		"  --forward                forward datagrams between interfaces (be a router)\n"
		"  --mtu N                  interface MTU, 68..9000 (default 1500): after a --tap,\n"
		"                           that interface's; before any, every interface's\n"
		"  --pcap DIR               capture each interface to DIR/NAME-IFNAME.pcap\n"
		"  --name NAME              the host's name in messages and captures (default tern)\n"
		"  --probe                  check that each address is free first (RFC 5227 ARP\n"
		"                           probes); exit 1 if another host has it\n"
		"  --loss/--duplicate/--corrupt/--reorder PCT   impair every frame, both\n"
		"                           directions, with tern's seeded fault injector\n"
		"  --delay MS, --jitter MS  add delay (and uniform jitter) to every frame\n"
		"  --rate BITS              serialize at this rate (bits per second)\n"
		"  --fault-seed N           seed for the impairments (default 1)\n"
		"  -h, --help               show this help\n"
		"\n"
		"Exit status: 0 after a signal, 1 on an address conflict, 2 on errors.\n");
}

struct host_args {
	struct cli_net net;
	bool help;
};

static int take_option(struct host_args *a, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_FORWARD:
		a->net.forward = true;
		return 0;
	case CLI_OPT_PROBE:
		a->net.probe = true;
		return 0;
	case CLI_OPT_NAME:
		if (!*arg || strlen(arg) > 31 || strchr(arg, '/'))
			return cli_usage_error(CMD, "invalid value '%s' for --name: expected 1 to 31 "
					       "characters, no '/'", arg);
		a->net.name = arg;
		return 0;
	default:
		return CLI_EXIT_USAGE;
	}
}

static int parse_args(struct host_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		CLI_NET_LONGOPTS,
		{"route", required_argument, NULL, CLI_OPT_ROUTE},
		{"forward", no_argument, NULL, CLI_OPT_FORWARD},
		{"name", required_argument, NULL, CLI_OPT_NAME},
		{"probe", no_argument, NULL, CLI_OPT_PROBE},
		{NULL, 0, NULL, 0},
	};
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			a->help = true;
			return 0;
		}
		if (c == '?' || c == ':')
			return cli_bad_option(CMD, c, argv);
		int r = cli_net_option(&a->net, CMD, c, optarg);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r == 0 && take_option(a, c, optarg) != 0)
			return CLI_EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
	return 0;
}

static void log_to_stderr(void *ctx, struct tern_stack *s, const char *msg)
{
	const char *name = ctx;
	fflush(stdout);
	fprintf(stderr, "tern host %s: %s\n", name, msg);
}

/* Wait for RFC 5227 probing to settle. Returns 0 when every address is
 * usable, 1 after reporting a conflict, 2 on a device error, or -1 when
 * interrupted. */
static int settle_addresses(struct tern_rt *rt, const struct cli_net *n, const char *name)
{
	struct tern_stack *s = tern_rt_stack(rt);
	tern_time_t limit = tern_rt_now(rt) + PROBE_LIMIT;
	while (!cli_stop && tern_rt_now(rt) < limit) {
		bool tentative = false;
		for (unsigned i = 0; i < n->ntaps; i++) {
			tern_ip4_t a;
			unsigned plen;
			enum tern_addr_state st;
			tern_ip4_parse_prefix(n->taps[i].addr, &a, &plen);
			if (tern_stack_addr_state(s, a, &st) < 0)
				continue;
			if (st == TERN_ADDR_CONFLICT) {
				char ip[TERN_IP4_STRLEN];
				fprintf(stderr, "tern host %s: giving up: %s on %s belongs to another "
					"host\n", name, tern_ip4_str(a, ip), n->taps[i].ifname);
				return CLI_EXIT_FAIL;
			}
			tentative |= st == TERN_ADDR_TENTATIVE;
		}
		if (!tentative)
			return 0;
		int rc = tern_rt_run_once(rt, TERN_MSEC(100));
		if (rc < 0) {
			cli_error(CMD, "device error: %s", tern_strerror(rc));
			return CLI_EXIT_USAGE;
		}
	}
	return cli_stop ? -1 : 0;
}

static void print_ready(const struct cli_net *n, const char *name)
{
	for (unsigned i = 0; i < n->ntaps; i++)
		printf("tern host %s: %s %s up%s\n", name, n->taps[i].ifname, n->taps[i].addr,
		       n->forward ? " (forwarding)" : "");
	fflush(stdout);
}

static int make_pcap_dir(const char *dir)
{
	if (mkdir(dir, 0777) == 0 || errno == EEXIST)
		return 0;
	cli_error(CMD, "cannot create capture directory %s: %s", dir, strerror(errno));
	return -1;
}

static int run(struct host_args *a)
{
	const char *name = a->net.name ? a->net.name : "tern";
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, name);
	cfg.forwarding = a->net.forward;
	cfg.log = log_to_stderr;
	cfg.log_ctx = (void *)name;

	if (a->net.pcap && make_pcap_dir(a->net.pcap) < 0)
		return CLI_EXIT_USAGE;
	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;

	int status = a->net.probe ? settle_addresses(rt, &a->net, name) : 0;
	if (status == 0) {
		print_ready(&a->net, name);
		while (!cli_stop) {
			int rc = tern_rt_run_once(rt, TERN_SEC(1));
			if (rc < 0) {
				cli_error(CMD, "device error: %s", tern_strerror(rc));
				status = CLI_EXIT_USAGE;
				break;
			}
		}
	}
	if (status <= 0) {
		tern_stack_stats_print(tern_rt_stack(rt), stdout, true);
		fflush(stdout);
		status = status < 0 ? CLI_EXIT_OK : status;
	}
	tern_rt_destroy(rt);
	return status;
}

int cmd_host(int argc, char **argv)
{
	struct host_args a;
	memset(&a, 0, sizeof(a));
	a.net.max_taps = CLI_MAX_TAPS;
	a.net.allow_routes = true;
	a.net.pcap_is_dir = true;

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
