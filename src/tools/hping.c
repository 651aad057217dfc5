/*
 * tools/hping.c — `tern hping`: hping3's TCP SYN mode from a tern host on a
 * TAP device, the subset a SYN-flood experiment needs (-S -p -s -c -i
 * --fast --faster -a --rand-source -q -w). The engine is src/app/hping.c;
 * this file parses options (also for lab steps, hping_cmdline) and runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tools/cmdline.h"
#include "tools/common.h"

#define CMD "hping"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tern hping -S [options] --tap IFNAME --addr ADDR/PREFIX HOST\n"
		"\n"
		"Send TCP SYNs to HOST (an IPv4 address) as hping3 does, and print the\n"
		"answers (SYN-ACK from a listening port, RST from a closed one):\n"
		"  len=44 ip=10.0.0.2 ttl=64 DF id=0 sport=80 flags=SA seq=0 win=64240 rtt=0.4 ms\n"
		"seq= is the probe the answer is for: the source port grows by one per probe.\n"
		"\n"
		"Options:\n"
		"  -S, --syn          set SYN (required: tern hping sends SYNs only)\n"
		"  -p, --destport N   destination port (default 0)\n"
		"  -s, --baseport N   first source port (default random)\n"
		"  -c, --count N      stop after N probes (and one second more for answers)\n"
		"  -i, --interval T   wait T seconds, or uT microseconds, between probes\n"
		"                     (default 1)\n"
		"      --fast         10 probes a second (-i u100000)\n"
		"      --faster       100 probes a second (-i u10000)\n"
		"  -a, --spoof ADDR   send from ADDR (answers go there, not here)\n"
		"      --rand-source  send each probe from a new random address: a SYN flood\n"
		"                     whose answers go nowhere\n"
		"  -w, --win N        the window the SYNs offer (default 64)\n"
		"  -q, --quiet        print only the first line and the statistics\n"
		"  -h, --help         show this help\n"
		"\n"
		"%s"
		"  --pcap FILE        write every frame of that interface to FILE (pcap)\n"
		"\n"
		"The statistics go to stderr, as hping3's.\n"
		"Exit status, as hping3's: 0 if anything was answered, 1 if not; 2 on errors.\n",
		cli_net_usage);
}

struct hp_args {
	struct tern_hping_opts o;
	struct cli_net net;
	bool help, syn;
};

static int take_option(void *ctx, int c, const char *arg)
{
	struct hp_args *a = ctx;
	unsigned long v = 0;
	switch (c) {
	case 'S':
		a->syn = true;
		return 0;
	case 'q':
		a->o.quiet = true;
		return 0;
	case 'p':
	case 's':
		if (cli_parse_uint(CMD, c == 'p' ? "-p" : "-s", arg, c == 'p' ? 0 : 1, 65535, &v) < 0)
			return CLI_EXIT_USAGE;
		if (c == 'p')
			a->o.dport = (uint16_t)v;
		else
			a->o.sport = (uint16_t)v;
		return 0;
	case 'w':
		if (cli_parse_uint(CMD, "-w", arg, 0, 65535, &v) < 0)
			return CLI_EXIT_USAGE;
		a->o.window = (uint16_t)v;
		return 0;
	case 'c':
		if (cli_parse_uint(CMD, "-c", arg, 1, 0xffffffffUL, &v) < 0)
			return CLI_EXIT_USAGE;
		a->o.count = v;
		return 0;
	case 'i':
		if (arg[0] == 'u') {
			if (cli_parse_uint(CMD, "-i", arg + 1, 1, 3600000000UL, &v) < 0)
				return CLI_EXIT_USAGE;
			a->o.interval = TERN_USEC(v);
			return 0;
		}
		return cli_parse_seconds(CMD, "-i", arg, 0, TERN_SEC(3600),
					 &a->o.interval) < 0 ? CLI_EXIT_USAGE : 0;
	case 'F': /* --fast */
		a->o.interval = TERN_MSEC(100);
		return 0;
	case 'G': /* --faster */
		a->o.interval = TERN_MSEC(10);
		return 0;
	case 'r':
		a->o.rand_source = true;
		return 0;
	case 'a':
		if (tern_ip4_parse(arg, &a->o.spoof) < 0)
			return cli_usage_error(CMD, "invalid address '%s' for -a", arg);
		return 0;
	default:
		return CLI_EXIT_USAGE;
	}
}

static int parse_args(struct hp_args *a, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"syn", no_argument, NULL, 'S'},
		{"quiet", no_argument, NULL, 'q'},
		{"destport", required_argument, NULL, 'p'},
		{"baseport", required_argument, NULL, 's'},
		{"count", required_argument, NULL, 'c'},
		{"interval", required_argument, NULL, 'i'},
		{"fast", no_argument, NULL, 'F'},
		{"faster", no_argument, NULL, 'G'},
		{"spoof", required_argument, NULL, 'a'},
		{"rand-source", no_argument, NULL, 'r'},
		{"win", required_argument, NULL, 'w'},
		CLI_NET_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int rc = cli_parse_options(CMD, argc, argv, ":Sqp:s:c:i:a:w:h", longopts, &a->net,
				   take_option, a, &a->help);
	if (rc || a->help)
		return rc;
	if (optind >= argc)
		return cli_usage_error(CMD, "missing HOST");
	if (optind + 1 < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
	a->o.dst_name = argv[optind];
	if (tern_ip4_parse(argv[optind], &a->o.dst) < 0)
		return cli_usage_error(CMD, "invalid HOST '%s': expected an IPv4 address",
				       argv[optind]);
	if (!a->syn)
		return cli_usage_error(CMD, "only SYN probes are supported: give -S");
	return 0;
}

static bool app_done(const void *app)
{
	return tern_hping_done(app);
}

static int run(struct hp_args *a)
{
	struct tern_stack_config cfg;
	cli_stack_config(&cfg, "tern-hping");
	cli_catch_signals();
	struct tern_rt *rt = cli_net_up(&a->net, CMD, &cfg);
	if (!rt)
		return CLI_EXIT_USAGE;
	a->o.diag = stderr;
	a->o.seed = (uint64_t)getpid();
	int err;
	struct tern_hping *h = tern_hping_start(tern_rt_stack(rt), &a->o, stdout, tern_rt_now(rt),
						&err);
	if (!h) {
		cli_error(CMD, "cannot start: %s", tern_strerror(err));
		tern_rt_destroy(rt);
		return CLI_EXIT_USAGE;
	}
	int fatal = cli_run_app(rt, CMD, app_done, h);
	int status = tern_hping_finish(h, tern_rt_now(rt));
	tern_rt_destroy(rt);
	return fatal < 0 ? CLI_EXIT_USAGE : status;
}

int hping_cmdline(int argc, char **argv, struct tern_hping_opts *o)
{
	struct hp_args a;
	memset(&a, 0, sizeof(a));
	tern_hping_opts_init(&a.o);
	a.net.max_taps = 1;
	int rc = parse_args(&a, argc, argv);
	if (rc == 0)
		rc = cli_net_unused(&a.net, CMD, a.help);
	*o = a.o;
	return rc;
}

int cmd_hping(int argc, char **argv)
{
	struct hp_args a;
	memset(&a, 0, sizeof(a));
	tern_hping_opts_init(&a.o);
	a.net.max_taps = 1;
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
