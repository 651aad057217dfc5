/*
 * tools/common.c — shared pieces of the `tern` subcommands (see common.h):
 * option values parsed with messages that name the option and the bad
 * value, the --tap/--addr/... options that put a tern host on TAP devices
 * through the real-time runner, and the Ctrl-C flag.
 */
#define _GNU_SOURCE /* accept4, open_memstream */
#include "tools/common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tern/apps.h"
#include "tern/err.h"
#include "tern/socket.h"
#include "tern/stack.h"
#include "tools/ss_opts.h"
#include "tern/tcp.h"

volatile sig_atomic_t cli_stop;

static void on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the runner's ppoll() must return */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- messages ---------------------------------------------------------- */

/* Where messages go: stderr, or what cli_set_error_stream chose. */
static FILE *error_stream;

FILE *cli_set_error_stream(FILE *f)
{
	FILE *old = error_stream;
	error_stream = f;
	return old;
}

static FILE *errs(void)
{
	return error_stream ? error_stream : stderr;
}

static void verror(const char *cmd, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(errs(), "tern %s: ", cmd);
	vfprintf(errs(), fmt, ap);
	fputc('\n', errs());
}

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(cmd, fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(cmd, fmt, ap);
	va_end(ap);
	fprintf(errs(), "Try 'tern %s --help' for more information.\n", cmd);
	return CLI_EXIT_USAGE;
}

void cli_bad_option_text(int c, char **argv, char *buf, size_t len)
{
	/* With opterr off, getopt leaves a short option's letter in optopt;
	 * for a long one optopt is 0 (unknown) or its value (>= 256 here),
	 * and the option is the argument getopt just stepped over. */
	bool is_short = optopt > 0 && optopt < 256;
	const char *arg = optind > 0 ? argv[optind - 1] : "?";
	char opt[128];
	if (is_short)
		snprintf(opt, sizeof(opt), "-%c", optopt);
	else
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="), arg);
	if (c == ':')
		snprintf(buf, len, "option '%s' needs a value", opt);
	else
		snprintf(buf, len, "unknown option '%s'", opt);
}

int cli_bad_option(const char *cmd, int c, char **argv)
{
	char msg[256];
	cli_bad_option_text(c, argv, msg, sizeof(msg));
	return cli_usage_error(cmd, "%s", msg);
}

/* ---- value parsers ------------------------------------------------------- */

int cli_parse_uint(const char *cmd, const char *opt, const char *arg, unsigned long min,
		   unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (!*arg || *end || arg[0] == '-' || errno == ERANGE || v < min || v > max) {
		cli_usage_error(cmd, "invalid value '%s' for %s: expected an integer from %lu to %lu",
				arg, opt, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_seconds(const char *cmd, const char *opt, const char *arg, tern_time_t min,
		      tern_time_t max, tern_time_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	/* Compare in nanoseconds, after rounding, so "0.0000000001" below a
	 * 1 ns minimum is refused rather than rounded to zero silently. */
	double ns = v * 1e9;
	if (!*arg || *end || errno == ERANGE || !isfinite(v) || ns < (double)min ||
	    ns > (double)max) {
		cli_usage_error(cmd, "invalid value '%s' for %s: expected seconds from %g to %g", arg,
				opt, (double)min / 1e9, (double)max / 1e9);
		return -1;
	}
	*out = (tern_time_t)(ns + 0.5); /* ns >= 0 here; no libm needed */
	return 0;
}

int cli_parse_ip(const char *cmd, const char *opt, const char *arg, tern_ip4_t *out)
{
	if (tern_ip4_parse(arg, out) < 0) {
		cli_usage_error(cmd, "invalid value '%s' for %s: expected an IPv4 address (a.b.c.d)",
				arg, opt);
		return -1;
	}
	return 0;
}

int cli_parse_prefix(const char *cmd, const char *opt, const char *arg, tern_ip4_t *addr,
		     unsigned *plen)
{
	if (tern_ip4_parse_prefix(arg, addr, plen) < 0) {
		cli_usage_error(cmd, "invalid value '%s' for %s: expected ADDRESS/PREFIXLEN "
				"(e.g. 10.0.0.2/24)", arg, opt);
		return -1;
	}
	return 0;
}

/* ---- a host on TAP devices --------------------------------------------- */

const char cli_net_usage[] =
	"Where the tern host lives (it runs on a Linux TAP device):\n"
	"  --tap IFNAME       TAP device to use (created if missing; needs CAP_NET_ADMIN)\n"
	"  --addr ADDR/PREFIX the tern host's address on that device, e.g. 10.0.0.2/24\n"
	"  --gw GATEWAY       default gateway\n"
	"  --mtu N            interface MTU, 68..9000 (default 1500); after a --tap,\n"
	"                     that interface's only\n"
	"  --arp strict       learn neighbours only from answers to our own ARP requests\n"
	"  --arp static,IP,MAC  IP is always at MAC (ARP never changes it); repeatable\n"
	"  --sysctl NAME=VALUE  set a tunable by its Linux name, e.g.\n"
	"                     net.ipv4.tcp_timestamps=0 (README.md lists them); repeatable\n"
	"Impairments, applied to every TAP interface, in both directions unless\n"
	"--fault-dir says otherwise (the kernel here may lack netem; tern's seeded\n"
	"fault injector stands in):\n"
	"  --loss PCT  --duplicate PCT  --corrupt PCT  --reorder PCT   per frame, 0..100\n"
	"  --ce PCT     mark CE on this share of ECN-capable IPv4 packets (RFC 3168 §5:\n"
	"               a congested router's signal instead of a drop)\n"
	"  --queue BYTES | red,min=BYTES,max=BYTES,p=PCT[,limit=BYTES][,weight=PCT][,ecn]\n"
	"               the queue behind --rate: drop-tail at BYTES, or RED (marking CE\n"
	"               instead of dropping with ecn); sizes as 1500, 64K, 1M\n"
	"  --delay MS  --jitter MS      added to every frame (jitter: uniform 0..MS)\n"
	"  --rate BITS  serialize at this many bits per second (e.g. 10000000)\n"
	"  --fault-seed N               seed of the impairments (default 1)\n"
	"  --fault-dir in|out|both      impair only frames tern receives (in) or sends\n"
	"                               (out); default both\n";

const char cli_ctl_usage[] =
	"  --name NAME        the program's name in captures and for tern ss, which asks\n"
	"                     it on /run/tern/NAME.sock ($TERN_RUN_DIR changes the\n"
	"                     directory; default NAME: COMMAND-PID)\n";

/* A percentage 0..100, stored as a probability. */
static int take_percent(const char *cmd, const char *opt, const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !(v >= 0 && v <= 100)) {
		cli_usage_error(cmd, "invalid value '%s' for %s: expected a percentage 0..100", arg,
				opt);
		return -1;
	}
	*out = v / 100.0;
	return 1;
}

/* Milliseconds, possibly fractional, up to a minute. */
static int take_ms(const char *cmd, const char *opt, const char *arg, tern_time_t *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (end == arg || *end || !(v >= 0 && v <= 60000)) {
		cli_usage_error(cmd, "invalid value '%s' for %s: expected milliseconds 0..60000",
				arg, opt);
		return -1;
	}
	*out = (tern_time_t)(v * 1e6);
	return 1;
}

/* A size in bytes: 1500, 64k or 64K (KiB), 1m or 1M (MiB). */
static bool parse_size(const char *s, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno)
		return false;
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	if (*end || v < 1500 || v > (1u << 30))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* --queue BYTES | red,min=BYTES,max=BYTES,p=PCT[,limit=BYTES][,weight=PCT][,ecn] */
static int take_queue(struct tern_fault_params *f, const char *cmd, const char *arg)
{
	char buf[256];
	bool min = false, max = false, p = false;
	if (parse_size(arg, &f->queue_bytes)) {
		f->qdisc = TERN_QDISC_DROPTAIL;
		return 1;
	}
	if (strlen(arg) >= sizeof(buf) || strncmp(arg, "red,", 4) != 0)
		goto bad;
	strcpy(buf, arg + 4);
	f->qdisc = TERN_QDISC_RED;
	f->red = (struct tern_red_params){0};
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		double pct;
		if (!eq && strcmp(tok, "ecn") == 0) {
			f->red.ecn = true;
			continue;
		}
		if (!eq)
			goto bad;
		*eq++ = '\0';
		if (strcmp(tok, "min") == 0 && parse_size(eq, &f->red.min_bytes))
			min = true;
		else if (strcmp(tok, "max") == 0 && parse_size(eq, &f->red.max_bytes))
			max = true;
		else if (strcmp(tok, "limit") == 0 && parse_size(eq, &f->queue_bytes))
			;
		else if ((strcmp(tok, "p") == 0 || strcmp(tok, "weight") == 0) &&
			 (pct = strtod(eq, &end), end != eq && *end == '\0') && pct > 0 &&
			 pct <= 100) {
			pct /= 100;
			if (tok[0] == 'p')
				f->red.max_p = pct, p = true;
			else
				f->red.weight = pct;
		} else
			goto bad;
	}
	uint32_t limit = f->queue_bytes ? f->queue_bytes : 256u << 10;
	if (!min || !max || !p || f->red.min_bytes >= f->red.max_bytes || f->red.max_bytes > limit)
		goto bad;
	if (!f->queue_bytes)
		f->queue_bytes = limit;
	return 1;
bad:
	cli_usage_error(cmd, "invalid value '%s' for --queue: expected BYTES or "
			     "red,min=BYTES,max=BYTES,p=PCT[,limit=BYTES][,weight=PCT][,ecn] with "
			     "min < max <= limit (256K by default)", arg);
	return -1;
}

static int take_fault(struct cli_net *n, const char *cmd, int opt, const char *arg)
{
	struct tern_fault_params *f = &n->fault;
	unsigned long v;
	n->has_fault = true;
	switch (opt) {
	case CLI_OPT_LOSS:
		return take_percent(cmd, "--loss", arg, &f->loss);
	case CLI_OPT_DUPLICATE:
		return take_percent(cmd, "--duplicate", arg, &f->duplicate);
	case CLI_OPT_CORRUPT:
		return take_percent(cmd, "--corrupt", arg, &f->corrupt);
	case CLI_OPT_CE:
		return take_percent(cmd, "--ce", arg, &f->ce);
	case CLI_OPT_QUEUE:
		return take_queue(f, cmd, arg);
	case CLI_OPT_REORDER:
		if (!f->reorder_delay)
			f->reorder_delay = TERN_MSEC(10);
		return take_percent(cmd, "--reorder", arg, &f->reorder);
	case CLI_OPT_DELAY:
		return take_ms(cmd, "--delay", arg, &f->delay);
	case CLI_OPT_JITTER:
		return take_ms(cmd, "--jitter", arg, &f->jitter);
	case CLI_OPT_RATE:
		if (cli_parse_uint(cmd, "--rate", arg, 1000, 100000000000ul, &v) < 0)
			return -1;
		f->rate_bps = v;
		return 1;
	case CLI_OPT_FAULT_SEED:
		if (cli_parse_uint(cmd, "--fault-seed", arg, 0, ~0ul, &v) < 0)
			return -1;
		f->seed = v;
		return 1;
	case CLI_OPT_FAULT_DIR: /* tern_fault_params.directions: bit 0 out, bit 1 in */
		if (strcmp(arg, "in") == 0)
			f->directions = 2;
		else if (strcmp(arg, "out") == 0)
			f->directions = 1;
		else if (strcmp(arg, "both") == 0)
			f->directions = 3;
		else {
			cli_usage_error(cmd, "invalid value '%s' for --fault-dir: expected in, out "
					     "or both", arg);
			return -1;
		}
		return 1;
	}
	return 0;
}

/* --route PREFIX,NEXTHOP (NEXTHOP may be empty for an on-link prefix). */
static int take_route(struct cli_net *n, const char *cmd, char *arg)
{
	tern_ip4_t a;
	unsigned plen;
	if (n->nroutes >= CLI_MAX_ROUTES) {
		cli_usage_error(cmd, "too many --route options (at most %d)", CLI_MAX_ROUTES);
		return -1;
	}
	char *comma = strchr(arg, ',');
	if (!comma) {
		cli_usage_error(cmd, "invalid value '%s' for --route: expected PREFIX,NEXTHOP "
				"(e.g. 10.2.0.0/16,10.0.0.1)", arg);
		return -1;
	}
	*comma = '\0';
	const char *nh = comma + 1;
	if (cli_parse_prefix(cmd, "--route", arg, &a, &plen) < 0) {
		*comma = ',';
		return -1;
	}
	if (*nh && cli_parse_ip(cmd, "--route", nh, &a) < 0) {
		*comma = ',';
		return -1;
	}
	n->routes[n->nroutes++] = (struct cli_route){arg, *nh ? nh : NULL};
	return 1;
}

/* --arp strict | --arp static,IP,MAC */
static int take_arp(struct cli_net *n, const char *cmd, const char *arg)
{
	static const char expected[] = "expected strict or static,IP,MAC "
				       "(e.g. static,10.0.0.1,02:00:00:00:00:01)";
	if (strcmp(arg, "strict") == 0) {
		n->arp_strict = true;
		return 1;
	}
	if (strncmp(arg, "static,", 7) != 0) {
		cli_usage_error(cmd, "invalid value '%s' for --arp: %s", arg, expected);
		return -1;
	}
	if (n->narp_static >= CLI_MAX_ARP_STATIC) {
		cli_usage_error(cmd, "too many --arp static options (at most %d)", CLI_MAX_ARP_STATIC);
		return -1;
	}
	char ip[TERN_IP4_STRLEN];
	const char *mac = strchr(arg + 7, ',');
	struct cli_arp_static *e = &n->arp_static[n->narp_static];
	size_t iplen = mac ? (size_t)(mac - (arg + 7)) : 0;
	if (!mac || iplen >= sizeof(ip)) {
		cli_usage_error(cmd, "invalid value '%s' for --arp: %s", arg, expected);
		return -1;
	}
	memcpy(ip, arg + 7, iplen);
	ip[iplen] = '\0';
	if (tern_ip4_parse(ip, &e->ip) < 0) {
		cli_usage_error(cmd, "invalid value '%s' for --arp: '%s' is not an IPv4 address "
				"(a.b.c.d)", arg, ip);
		return -1;
	}
	if (tern_mac_parse(mac + 1, &e->mac) < 0) {
		cli_usage_error(cmd, "invalid value '%s' for --arp: '%s' is not a MAC address "
				"(e.g. 02:00:00:00:00:01)", arg, mac + 1);
		return -1;
	}
	n->narp_static++;
	return 1;
}

static int take_tap(struct cli_net *n, const char *cmd, const char *arg)
{
	if (n->ntaps >= n->max_taps) {
		if (n->max_taps == 1)
			cli_usage_error(cmd, "--tap given twice ('%s'): this command uses one TAP device",
					arg);
		else
			cli_usage_error(cmd, "too many --tap options (at most %u)", n->max_taps);
		return -1;
	}
	if (!*arg || strlen(arg) >= 16) {
		cli_usage_error(cmd, "invalid value '%s' for --tap: expected an interface name "
				"of 1 to 15 characters", arg);
		return -1;
	}
	n->taps[n->ntaps++] = (struct cli_tap){arg, NULL, 0};
	return 1;
}

static int take_addr(struct cli_net *n, const char *cmd, const char *arg)
{
	tern_ip4_t a;
	unsigned plen;
	if (cli_parse_prefix(cmd, "--addr", arg, &a, &plen) < 0)
		return -1;
	if (n->ntaps == 0) {
		cli_usage_error(cmd, "--addr '%s' given before any --tap (each --addr belongs to "
				"the --tap before it)", arg);
		return -1;
	}
	struct cli_tap *t = &n->taps[n->ntaps - 1];
	if (t->addr) {
		cli_usage_error(cmd, "--addr given twice for --tap %s ('%s' and '%s')", t->ifname,
				t->addr, arg);
		return -1;
	}
	t->addr = arg;
	return 1;
}

int cli_net_option(struct cli_net *n, const char *cmd, int opt, const char *arg)
{
	unsigned long v;
	tern_ip4_t a;
	switch (opt) {
	case CLI_OPT_TAP:
		return take_tap(n, cmd, arg);
	case CLI_OPT_ADDR:
		return take_addr(n, cmd, arg);
	case CLI_OPT_GW:
		if (cli_parse_ip(cmd, "--gw", arg, &a) < 0)
			return -1;
		n->gw = arg;
		return 1;
	case CLI_OPT_MTU:
		if (cli_parse_uint(cmd, "--mtu", arg, 68, TERN_ETH_MAX_MTU, &v) < 0)
			return -1;
		if (n->ntaps)
			n->taps[n->ntaps - 1].mtu = (uint32_t)v;
		else
			n->mtu = (uint32_t)v;
		return 1;
	case CLI_OPT_LOSS:
	case CLI_OPT_DELAY:
	case CLI_OPT_JITTER:
	case CLI_OPT_DUPLICATE:
	case CLI_OPT_CORRUPT:
	case CLI_OPT_REORDER:
	case CLI_OPT_RATE:
	case CLI_OPT_FAULT_SEED:
	case CLI_OPT_FAULT_DIR:
	case CLI_OPT_CE:
	case CLI_OPT_QUEUE:
		return take_fault(n, cmd, opt, arg);
	case CLI_OPT_PCAP:
		if (!*arg) {
			cli_usage_error(cmd, "invalid value '' for --pcap: expected a %s",
					n->pcap_is_dir ? "directory" : "file name");
			return -1;
		}
		n->pcap = arg;
		return 1;
	case CLI_OPT_ROUTE:
		if (!n->allow_routes)
			return 0;
		return take_route(n, cmd, (char *)arg);
	case CLI_OPT_ARP:
		return take_arp(n, cmd, arg);
	case CLI_OPT_NAME:
		if (!*arg || strlen(arg) > 31 || strchr(arg, '/')) {
			cli_usage_error(cmd, "invalid value '%s' for --name: expected 1 to 31 "
					"characters, no '/'", arg);
			return -1;
		}
		n->name = arg;
		return 1;
	case CLI_OPT_SYSCTL:
		if (!strchr(arg, '=') || arg[0] == '=') {
			cli_usage_error(cmd, "invalid value '%s' for --sysctl: expected NAME=VALUE "
				  "(e.g. net.ipv4.tcp_sack=0)", arg);
			return -1;
		}
		if (n->nsysctl >= CLI_MAX_SYSCTL) {
			cli_usage_error(cmd, "too many --sysctl options (at most %d)", CLI_MAX_SYSCTL);
			return -1;
		}
		n->sysctl[n->nsysctl++] = arg;
		return 1;
	default:
		return 0;
	}
}

int cli_net_check(const struct cli_net *n, const char *cmd, bool need_addr)
{
	if (n->ntaps == 0) {
		cli_error(cmd, "--tap is required (tern hosts live on a TAP device or in the "
			  "simulator)");
		return -1;
	}
	for (unsigned i = 0; i < n->ntaps; i++) {
		if (need_addr && !n->taps[i].addr) {
			cli_usage_error(cmd, "--addr is required for --tap %s (e.g. --addr 10.0.0.2/24)",
					n->taps[i].ifname);
			return -1;
		}
	}
	return 0;
}

int cli_net_unused(const struct cli_net *n, const char *cmd, bool help)
{
	if (help)
		return cli_usage_error(cmd, "-h shows the options; it has no place in a lab");
	if (n->used)
		return cli_usage_error(cmd, "--tap, --addr and the other host options have no "
				       "place in a lab: the lab file gives hosts their "
				       "interfaces");
	return 0;
}

void cli_stack_config(struct tern_stack_config *cfg, const char *name)
{
	tern_stack_config_init(cfg);
	cfg->name = name;
	cfg->seed = tern_rt_fresh_seed();
}

static int add_one_tap(struct tern_rt *rt, const struct cli_net *n, const char *cmd, unsigned i)
{
	const struct cli_tap *t = &n->taps[i];
	char path[4096];
	struct tern_fault_params fault = n->fault;
	fault.seed = (n->fault.seed ? n->fault.seed : 1) + i; /* each interface its own stream */
	if (n->has_fault && fault.queue_bytes && !fault.rate_bps) {
		cli_usage_error(cmd, "--queue needs --rate: a queue forms only behind a rate");
		return -1;
	}
	struct tern_rt_tap_opts o = {
		.mtu = t->mtu ? t->mtu : n->mtu,
		.addr_flags = n->probe ? TERN_ADDR_PROBE : 0,
		.fault = n->has_fault ? &fault : NULL,
	};
	if (n->pcap && n->pcap_is_dir) {
		snprintf(path, sizeof(path), "%s/%s-%s.pcap", n->pcap, n->name ? n->name : "tern",
			 t->ifname);
		o.pcap_path = path;
	} else if (n->pcap) {
		o.pcap_path = n->pcap;
	}
	int rc = tern_rt_add_tap(rt, t->ifname, t->addr, &o);
	if (rc < 0) {
		if (rc == TERN_EPERM || rc == TERN_EACCES)
			cli_error(cmd, "cannot open TAP device %s: %s (run as root or with "
				  "CAP_NET_ADMIN)", t->ifname, tern_strerror(rc));
		else
			cli_error(cmd, "cannot set up TAP device %s%s%s: %s", t->ifname,
				  t->addr ? " with " : "", t->addr ? t->addr : "", tern_strerror(rc));
		return -1;
	}
	return 0;
}

/* The --arp static entries, once the interfaces they belong to exist. */
static int add_arp_statics(struct tern_rt *rt, const struct cli_net *n, const char *cmd)
{
	for (unsigned i = 0; i < n->narp_static; i++) {
		const struct cli_arp_static *e = &n->arp_static[i];
		int rc = tern_arp_add_static(tern_rt_stack(rt), 0, e->ip, &e->mac);
		if (rc < 0) {
			char ip[TERN_IP4_STRLEN], mac[TERN_MAC_STRLEN];
			cli_error(cmd, "cannot add static ARP entry %s at %s: %s%s",
				  tern_ip4_str(e->ip, ip), tern_mac_str(&e->mac, mac), tern_strerror(rc),
				  rc == TERN_ENETUNREACH ? " (not on a --tap's subnet)" : "");
			return -1;
		}
	}
	return 0;
}

struct tern_rt *cli_net_up(const struct cli_net *n, const char *cmd,
			   const struct tern_stack_config *cfg)
{
	struct tern_stack_config c = *cfg;
	if (n->arp_strict)
		c.arp_mode = TERN_ARP_MODE_STRICT;
	struct tern_rt *rt = tern_rt_create(&c);
	if (!rt) {
		cli_error(cmd, "cannot create the stack: out of memory");
		return NULL;
	}
	/* Before any device: the first frames already follow them. */
	for (unsigned i = 0; i < n->nsysctl; i++) {
		char name[128];
		const char *eq = strchr(n->sysctl[i], '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - n->sysctl[i]), n->sysctl[i]);
		int rc = tern_sysctl_set(tern_rt_stack(rt), name, eq + 1);
		if (rc < 0) {
			cli_error(cmd, "--sysctl %s: %s", n->sysctl[i],
				  rc == TERN_ENOENT && tern_sysctl_get(tern_rt_stack(rt), name, NULL, 0) == TERN_ENOENT
					  ? "no such tunable"
					  : tern_strerror(rc));
			goto fail;
		}
	}
	/* tern_rt_add_tap polls the stack at the real clock before it
	 * attaches, so announcements are stamped with the time they leave. */
	for (unsigned i = 0; i < n->ntaps; i++) {
		if (add_one_tap(rt, n, cmd, i) < 0)
			goto fail;
	}
	for (unsigned i = 0; i < n->nroutes; i++) {
		int rc = tern_rt_add_route(rt, n->routes[i].prefix, n->routes[i].nexthop);
		if (rc < 0) {
			cli_error(cmd, "cannot add route %s via %s: %s", n->routes[i].prefix,
				  n->routes[i].nexthop ? n->routes[i].nexthop : "(on-link)",
				  tern_strerror(rc));
			goto fail;
		}
	}
	if (n->gw) {
		int rc = tern_rt_add_route(rt, "0.0.0.0/0", n->gw);
		if (rc < 0) {
			cli_error(cmd, "cannot add default route via %s: %s", n->gw, tern_strerror(rc));
			goto fail;
		}
	}
	if (add_arp_statics(rt, n, cmd) < 0)
		goto fail;
	return rt;
fail:
	tern_rt_destroy(rt);
	return NULL;
}

int cli_parse_options(const char *cmd, int argc, char **argv, const char *shortopts,
		      const struct option *longopts, struct cli_net *net, cli_take_fn take,
		      void *ctx, bool *help)
{
	int c;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == 'h') {
			*help = true;
			return 0;
		}
		if (c == '?' || c == ':')
			return cli_bad_option(cmd, c, argv);
		int r = cli_net_option(net, cmd, c, optarg);
		if (r < 0)
			return CLI_EXIT_USAGE;
		if (r > 0)
			net->used = true;
		if (r == 0 && take(ctx, c, optarg) != 0)
			return CLI_EXIT_USAGE;
	}
	return 0;
}

int cli_run_app(struct tern_rt *rt, const char *cmd, bool (*done)(const void *app),
		const void *app)
{
	while (!cli_stop && !done(app)) {
		int fatal = tern_rt_run_once(rt, TERN_SEC(1));
		if (fatal < 0) {
			cli_error(cmd, "device error: %s", tern_strerror(fatal));
			return fatal;
		}
	}
	return 0;
}

/* ---- the control socket ------------------------------------------------------ */
/*
 * Every tern program with sockets (host, nc, http, curl, iperf) serves one,
 * DIR/NAME.sock, from its runner's loop; tern ss finds them all there (the
 * protocol is described in tools/ss.c).
 */

#define CTL_MAX_CONNS 8
#define CTL_LINE_MAX 2048

struct cli_ctl;
struct ctl_conn {
	struct cli_ctl *ctl;
	int fd;                  /* -1: free */
	size_t len;
	char line[CTL_LINE_MAX];
};

struct cli_ctl {
	struct tern_rt *rt;
	const char *prog;        /* "tern host", "tern nc" ... for messages */
	int lfd;                 /* -1: no control socket */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;               /* the file we bound, so exit removes only ours */
	ino_t ino;
	struct ctl_conn conns[CTL_MAX_CONNS];
};

static void ctl_help(FILE *out)
{
	fprintf(out, "commands (one line; the answer follows, then the connection closes):\n"
		     "  ss [OPTIONS] [-- FILTER]  the sockets, as iproute2 ss (see tern ss --help)\n"
		     "  stats [-a]       the counters that moved (-a: all of them)\n"
		     "  nstat            the counters Linux has too, by nstat's names\n"
		     "  mem              the packet pool and each memory budget, in bytes\n"
		     "  routes           the routing table\n"
		     "  sysctl [-a] [-n|-N] [-q] [-w] [NAME[=VALUE]]...\n"
		     "                   tunables by Linux's names, read and set as\n"
		     "                   sysctl(8) does (net.ipv4.tcp_sack = 1)\n"
		     "  help             this list\n");
}

/* Answer one command line into out. */
static void ctl_command(struct cli_ctl *c, char *line, FILE *out)
{
	struct tern_stack *s = tern_rt_stack(c->rt);
	char *argv[129], *save = NULL;
	int argc = 0;
	for (char *w = strtok_r(line, " \t\r\n", &save); w && argc < 128;
	     w = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (argc == 0) {
		fprintf(out, "error: empty command (try: help)\n");
	} else if (strcmp(argv[0], "ss") == 0) {
		struct ss_opts o;
		char err[256];
		int rc;
		if (ss_parse(&o, argc, argv, err, sizeof(err)) < 0) {
			fprintf(out, "error: %s\n", err);
		} else if (o.host) {
			fprintf(out, "error: --host is for tern ss, not for the program itself\n");
		} else if (o.help) {
			ctl_help(out);
		} else {
			o.ss.pid = (long)getpid();
			if ((rc = tern_ss_print(s, &o.ss, out)) < 0)
				fprintf(out, "error: %s\n", tern_strerror(rc));
		}
		ss_opts_free(&o);
	} else if (strcmp(argv[0], "stats") == 0 && argc <= 2 &&
		   (argc == 1 || strcmp(argv[1], "-a") == 0)) {
		tern_stack_stats_print(s, out, argc == 1);
	} else if (strcmp(argv[0], "nstat") == 0 && argc == 1) {
		/* As `nstat -a -z` prints them: name, value (no rate column). */
		for (int st = 1; st < TERN_STAT__COUNT; st++) {
			const char *n = tern_stat_nstat_name((enum tern_stat)st);
			if (n)
				fprintf(out, "%-32s%llu\n", n,
					(unsigned long long)tern_stack_stat(s, (enum tern_stat)st));
		}
	} else if (strcmp(argv[0], "mem") == 0 && argc == 1) {
		tern_stack_mem_print(s, out);
	} else if (strcmp(argv[0], "routes") == 0 && argc == 1) {
		tern_route_print(s, out);
	} else if (strcmp(argv[0], "sysctl") == 0) {
		cli_sysctl(s, argc, argv, out, out);
	} else if (strcmp(argv[0], "help") == 0 && argc == 1) {
		ctl_help(out);
	} else {
		fprintf(out, "error: unknown command '%s'%s (try: help)\n", argv[0],
			argc > 1 ? " or arguments" : "");
	}
}

static void ctl_conn_close(struct ctl_conn *cn)
{
	tern_rt_del_fd(cn->ctl->rt, cn->fd);
	close(cn->fd);
	cn->fd = -1;
}

/* The whole line is in: answer, then close. The answer is written in
 * blocking mode with a send timeout: it is small, and a client that does
 * not read stalls the host for at most that long. */
static void ctl_answer(struct ctl_conn *cn)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (out) {
		cn->line[cn->len < CTL_LINE_MAX ? cn->len : CTL_LINE_MAX - 1] = '\0';
		cn->line[strcspn(cn->line, "\n")] = '\0';
		ctl_command(cn->ctl, cn->line, out);
		fclose(out);
	}
	int fl = fcntl(cn->fd, F_GETFL);
	if (fl >= 0)
		fcntl(cn->fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(cn->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (size_t off = 0; text && off < len;) {
		ssize_t n = send(cn->fd, text + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(text);
	ctl_conn_close(cn);
}

static void on_ctl_conn(void *ctx, struct tern_rt *rt, int fd, short revents)
{
	struct ctl_conn *cn = ctx;
	for (;;) {
		ssize_t n = recv(fd, cn->line + cn->len, CTL_LINE_MAX - 1 - cn->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			ctl_conn_close(cn);
			return;
		}
		cn->len += (size_t)n;
		/* A line, end of input or a full buffer: answer what came. */
		if (n == 0 || memchr(cn->line, '\n', cn->len) || cn->len == CTL_LINE_MAX - 1) {
			ctl_answer(cn);
			return;
		}
	}
}

static void on_ctl_accept(void *ctx, struct tern_rt *rt, int fd, short revents)
{
	struct cli_ctl *c = ctx;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return; /* EAGAIN, or an aborted connection: nothing to do */
		struct ctl_conn *cn = NULL;
		for (unsigned i = 0; i < CTL_MAX_CONNS && !cn; i++)
			if (c->conns[i].fd < 0)
				cn = &c->conns[i];
		if (!cn || tern_rt_add_fd(rt, cfd, POLLIN, on_ctl_conn, cn) < 0) {
			static const char busy[] = "error: busy, try again\n";
			(void)!send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(cfd);
			continue;
		}
		cn->fd = cfd;
		cn->len = 0;
	}
}

static int mkdir_p(const char *dir)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Is someone answering on the socket file at path? */
static bool socket_is_live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return live;
}

/* Listen on DIR/NAME.sock. Failing is not fatal: the program runs
 * without a control socket (after a warning if `warn`). */
static void ctl_open(struct cli_ctl *c, struct tern_rt *rt, const char *name, bool warn)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	const char *prog = c->prog;
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->rt = rt;
	c->lfd = -1;
	for (unsigned i = 0; i < CTL_MAX_CONNS; i++)
		c->conns[i] = (struct ctl_conn){.ctl = c, .fd = -1};
	const char *why = NULL;
	if (ss_ctl_path(name, sun.sun_path, sizeof(sun.sun_path)) < 0) {
		why = "the path is too long";
	} else if (mkdir_p(ss_run_dir()) < 0) {
		why = strerror(errno);
	} else if (lstat(sun.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			why = "a file that is not a socket is in the way";
		else if (socket_is_live(&sun))
			why = "another tern program by that name answers on it (give this one "
			      "another --name)";
		else if (unlink(sun.sun_path) < 0) /* stale: its host died */
			why = strerror(errno);
	}
	snprintf(c->path, sizeof(c->path), "%s", sun.sun_path);
	if (!why) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
		    listen(fd, CTL_MAX_CONNS) < 0 || stat(sun.sun_path, &st) < 0) {
			why = strerror(errno);
			if (fd >= 0)
				close(fd);
		} else if (tern_rt_add_fd(rt, fd, POLLIN, on_ctl_accept, c) < 0) {
			why = "too many descriptors";
			unlink(sun.sun_path);
			close(fd);
		} else {
			c->lfd = fd;
			c->dev = st.st_dev;
			c->ino = st.st_ino;
		}
	}
	if (why && warn) {
		fflush(stdout);
		fprintf(stderr, "%s %s: warning: no control socket %s: %s; tern ss --host %s "
			"will not see it\n", c->prog, name, c->path, why, name);
	}
}

void cli_ctl_close(struct cli_ctl *c)
{
	struct stat st;
	if (!c)
		return;
	if (c->lfd < 0) {
		free(c);
		return;
	}
	for (unsigned i = 0; i < CTL_MAX_CONNS; i++)
		if (c->conns[i].fd >= 0)
			ctl_conn_close(&c->conns[i]);
	tern_rt_del_fd(c->rt, c->lfd);
	close(c->lfd);
	c->lfd = -1;
	/* Only if it is still the file we made (not a successor's). */
	if (stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	free(c);
}

struct cli_ctl *cli_ctl_open(struct tern_rt *rt, const char *name, const char *prog, bool warn)
{
	struct cli_ctl *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->prog = prog;
	ctl_open(c, rt, name, warn);
	if (c->lfd < 0) {
		free(c);
		return NULL;
	}
	return c;
}

const char *cli_ctl_path(const struct cli_ctl *c)
{
	return c->path;
}

const char *cli_ctl_name(const struct cli_net *n, const char *prog, char *buf, size_t len)
{
	if (n->name)
		return n->name;
	snprintf(buf, len, "%s-%ld", prog, (long)getpid());
	return buf;
}

/* ---- sysctl(8) ---------------------------------------------------------------- */

/* The name as sysctl(8) prints it: dots, whatever the separator given. */
static void sysctl_dotted(const char *name, size_t len, char *out, size_t outlen)
{
	size_t i;
	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = name[i] == '/' ? '.' : name[i];
	out[i] = 0;
}

/* What sysctl prints of a name: both (0), -n the value, -N the name. */
enum { SC_SHOW_BOTH, SC_SHOW_VALUE, SC_SHOW_NAME };

static int sysctl_show(struct tern_stack *s, const char *name, int show, FILE *out, FILE *err)
{
	char val[256], dotted[128], path[160];
	sysctl_dotted(name, strlen(name), dotted, sizeof(dotted));
	int rc = tern_sysctl_get(s, dotted, val, sizeof(val));
	if (rc < 0) {
		snprintf(path, sizeof(path), "%s", dotted);
		for (char *p = path; *p; p++)
			if (*p == '.')
				*p = '/';
		fprintf(err, "sysctl: cannot stat /proc/sys/%s: %s\n", path, tern_strerror(rc));
		return 1;
	}
	if (show == SC_SHOW_VALUE)
		fprintf(out, "%s\n", val);
	else if (show == SC_SHOW_NAME)
		fprintf(out, "%s\n", dotted);
	else
		fprintf(out, "%s = %s\n", dotted, val);
	return 0;
}

int cli_sysctl(struct tern_stack *s, int argc, char **argv, FILE *out, FILE *err)
{
	bool all = false, write = false, quiet = false;
	int show = SC_SHOW_BOTH;
	int i, status = 0;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		for (const char *f = argv[i] + 1; *f; f++) {
			if (*f == 'a' || *f == 'A' || *f == 'X')
				all = true;
			else if (*f == 'n')
				show = SC_SHOW_VALUE;
			else if (*f == 'N')
				show = SC_SHOW_NAME;
			else if (*f == 'w')
				write = true;
			else if (*f == 'q')
				quiet = true;
			else {
				fprintf(err, "sysctl: unknown option '-%c' (tern knows -a -n -N -q -w)\n",
					*f);
				return 2;
			}
		}
	}
	if (all) {
		const char *n;
		for (unsigned k = 0; (n = tern_sysctl_name(k)); k++)
			sysctl_show(s, n, show, out, err);
		return 0;
	}
	if (i == argc) {
		fprintf(err, "sysctl: no variables specified (sysctl [-a] [-n] [NAME[=VALUE]]...)\n");
		return 2;
	}
	for (; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (!eq && write) {
			/* procps's words for -w without a value */
			fprintf(err, "sysctl: command line(0): invalid syntax, continuing...\n");
			status = 1;
			continue;
		}
		if (!eq) {
			status |= sysctl_show(s, argv[i], show, out, err);
			continue;
		}
		char dotted[128];
		sysctl_dotted(argv[i], (size_t)(eq - argv[i]), dotted, sizeof(dotted));
		int rc = tern_sysctl_set(s, dotted, eq + 1);
		if (rc == TERN_ENOENT && tern_sysctl_get(s, dotted, NULL, 0) == TERN_ENOENT) {
			status |= sysctl_show(s, dotted, SC_SHOW_BOTH, out, err); /* "cannot stat" */
		} else if (rc < 0) {
			fprintf(err, "sysctl: setting key \"%s\": %s\n", dotted, tern_strerror(rc));
			status = 1;
		} else if (quiet) {
			continue;
		} else if (show == SC_SHOW_VALUE) {
			fprintf(out, "%s\n", eq + 1);
		} else if (show == SC_SHOW_NAME) {
			fprintf(out, "%s\n", dotted);
		} else {
			fprintf(out, "%s = %s\n", dotted, eq + 1); /* as given, as procps echoes it */
		}
	}
	return status;
}

/* The kernel finishes a closed connection after its program exits; a tern
 * stack goes with its process, so the program stays until its TCP
 * connections have delivered everything (or TCP_LINGER_MAX passes, or
 * Ctrl-C). */
#define TCP_LINGER_MAX TERN_SEC(60)

void cli_tcp_linger(struct tern_rt *rt)
{
	tern_time_t end = tern_rt_now(rt) + TCP_LINGER_MAX;
	while (!cli_stop && tern_tcp_pending(tern_rt_stack(rt)) > 0 && tern_rt_now(rt) < end)
		if (tern_rt_run_once(rt, TERN_MSEC(100)) < 0)
			break;
}

int cli_make_dirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0777) < 0 && errno != EEXIST ? -1 : 0;
}
