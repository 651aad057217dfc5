/*
 * tools/common.h — what the `tern` subcommands share: the options that put
 * a tern host on TAP devices (--tap, --addr, --gw, --mtu, --pcap, --route,
 * --arp),
 * value parsers that explain what was wrong, the Ctrl-C flag, and the
 * conventions for usage errors (message naming the option, exit 2).
 */
#ifndef TERN_TOOLS_COMMON_H
#define TERN_TOOLS_COMMON_H

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/rt.h"
#include "tern/types.h"

#ifndef TERN_VERSION_STRING
#define TERN_VERSION_STRING "0.1.0"
#endif

/* Exit statuses, as iputils uses them. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Subcommand entry points (argv[0] is the subcommand's name). */
int cmd_ping(int argc, char **argv);
int cmd_traceroute(int argc, char **argv);
int cmd_hping(int argc, char **argv);
int cmd_host(int argc, char **argv);
int cmd_ss(int argc, char **argv);
int cmd_nc(int argc, char **argv);
int cmd_http(int argc, char **argv);
int cmd_curl(int argc, char **argv);
int cmd_iperf(int argc, char **argv);
int cmd_rr(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_lab(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* ---- Ctrl-C ----------------------------------------------------------------- */

/* Set by SIGINT / SIGTERM once cli_catch_signals() ran; the only global
 * mutable state in tern, and it lives in the program, not the library. */
extern volatile sig_atomic_t cli_stop;
/* Install the handlers without SA_RESTART, so a signal wakes the runner. */
void cli_catch_signals(void);

/* ---- messages ------------------------------------------------------------- */

/* "tern CMD: <message>\n" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send these messages (cli_error, cli_usage_error) to f instead of
 * stderr (NULL: stderr again); returns the previous choice. `tern lab`
 * collects a tool's complaint about a step's command line this way. */
FILE *cli_set_error_stream(FILE *f);
/* Report a usage error and point at --help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt_long returned '?' or ':' (opterr is off and the optstring starts
 * with ':'): name the option that was unknown or lacked its value.
 * Returns CLI_EXIT_USAGE. */
int cli_bad_option(const char *cmd, int c, char **argv);
/* The same message ("unknown option '-x'", "option '--tap' needs a
 * value") into buf, for callers that report it elsewhere. */
void cli_bad_option_text(int c, char **argv, char *buf, size_t len);

/* ---- value parsers -------------------------------------------------------- */
/* Each returns 0, or prints "tern CMD: invalid value 'V' for OPT: why" and
 * returns -1. */

int cli_parse_uint(const char *cmd, const char *opt, const char *arg, unsigned long min,
		   unsigned long max, unsigned long *out);
/* Seconds as a decimal ("0.2", "5"), min <= value <= max. */
int cli_parse_seconds(const char *cmd, const char *opt, const char *arg, tern_time_t min,
		      tern_time_t max, tern_time_t *out);
int cli_parse_ip(const char *cmd, const char *opt, const char *arg, tern_ip4_t *out);
int cli_parse_prefix(const char *cmd, const char *opt, const char *arg, tern_ip4_t *addr,
		     unsigned *plen);

/* ---- a host on TAP devices -------------------------------------------------- */

#define CLI_MAX_TAPS 8
#define CLI_MAX_ROUTES 32
#define CLI_MAX_ARP_STATIC 32
#define CLI_MAX_SYSCTL 64

struct cli_tap {
	const char *ifname;
	const char *addr;        /* "A/P", may be NULL */
	uint32_t mtu;            /* --mtu after this --tap; 0: the global one */
};
struct cli_route {
	const char *prefix;      /* "10.1.0.0/16" */
	const char *nexthop;     /* NULL: on-link */
};

struct cli_arp_static {
	tern_ip4_t ip;
	struct tern_mac mac;
};

struct cli_net {
	struct cli_tap taps[CLI_MAX_TAPS];
	unsigned ntaps;
	struct cli_route routes[CLI_MAX_ROUTES];
	unsigned nroutes;
	bool arp_strict;         /* --arp strict */
	struct cli_arp_static arp_static[CLI_MAX_ARP_STATIC]; /* --arp static,IP,MAC */
	unsigned narp_static;
	const char *sysctl[CLI_MAX_SYSCTL]; /* --sysctl NAME=VALUE, applied in order */
	unsigned nsysctl;
	const char *gw;
	uint32_t mtu;            /* --mtu before any --tap; 0: 1500 */
	struct tern_fault_params fault; /* --loss, --delay ...: impair every TAP */
	bool has_fault;
	const char *pcap;        /* a file (one TAP) or a directory (host) */
	bool pcap_is_dir;
	bool probe;              /* RFC 5227 probing for the addresses */
	bool forward;
	const char *name;
	unsigned max_taps;       /* how many --tap this command accepts */
	bool allow_routes;       /* --route accepted */
	bool used;               /* any of these options was given */
};

/* Long options the TAP-host commands share; their getopt values. */
enum {
	CLI_OPT_TAP = 1000,
	CLI_OPT_ADDR,
	CLI_OPT_GW,
	CLI_OPT_MTU,
	CLI_OPT_PCAP,
	CLI_OPT_ROUTE,
	CLI_OPT_FORWARD,
	CLI_OPT_NAME,
	CLI_OPT_PROBE,
	CLI_OPT_HELP,
	CLI_OPT_LOSS,
	CLI_OPT_DELAY,
	CLI_OPT_JITTER,
	CLI_OPT_DUPLICATE,
	CLI_OPT_CORRUPT,
	CLI_OPT_REORDER,
	CLI_OPT_RATE,
	CLI_OPT_FAULT_SEED,
	CLI_OPT_FAULT_DIR,
	CLI_OPT_ARP,
	CLI_OPT_SYSCTL,
	CLI_OPT_CE,
	CLI_OPT_QUEUE,
};
#define CLI_NET_LONGOPTS                                                \
	{"tap", required_argument, NULL, CLI_OPT_TAP},                  \
	{"addr", required_argument, NULL, CLI_OPT_ADDR},                \
	{"gw", required_argument, NULL, CLI_OPT_GW},                    \
	{"mtu", required_argument, NULL, CLI_OPT_MTU},                  \
	{"pcap", required_argument, NULL, CLI_OPT_PCAP},                \
	{"loss", required_argument, NULL, CLI_OPT_LOSS},                \
	{"delay", required_argument, NULL, CLI_OPT_DELAY},              \
	{"jitter", required_argument, NULL, CLI_OPT_JITTER},            \
	{"duplicate", required_argument, NULL, CLI_OPT_DUPLICATE},      \
	{"corrupt", required_argument, NULL, CLI_OPT_CORRUPT},          \
	{"reorder", required_argument, NULL, CLI_OPT_REORDER},          \
	{"rate", required_argument, NULL, CLI_OPT_RATE},                \
	{"fault-seed", required_argument, NULL, CLI_OPT_FAULT_SEED},    \
	{"fault-dir", required_argument, NULL, CLI_OPT_FAULT_DIR},      \
	{"ce", required_argument, NULL, CLI_OPT_CE},                    \
	{"queue", required_argument, NULL, CLI_OPT_QUEUE},              \
	{"arp", required_argument, NULL, CLI_OPT_ARP},                  \
	{"name", required_argument, NULL, CLI_OPT_NAME},                \
	{"sysctl", required_argument, NULL, CLI_OPT_SYSCTL}

/* Take one of the options above. Returns 1 if it was one (0 if not, so
 * the caller handles it), or -1 after printing what was wrong. */
int cli_net_option(struct cli_net *n, const char *cmd, int opt, const char *arg);
/* For a command line in a lab file: none of these options (nor -h) may
 * appear. 0, or CLI_EXIT_USAGE after saying so. */
int cli_net_unused(const struct cli_net *n, const char *cmd, bool help);
/* Check the combination (a --tap, an --addr for each when required). */
int cli_net_check(const struct cli_net *n, const char *cmd, bool need_addr);
/* Build the runner: stack (named, seeded from the clock; --arp strict
 * sets its ARP mode; the --sysctl settings), TAP devices with their
 * addresses, captures, routes, static ARP entries. NULL after printing
 * why. */
struct tern_rt *cli_net_up(const struct cli_net *n, const char *cmd,
			   const struct tern_stack_config *cfg);

/* The option loop every TAP-host command shares: getopt_long over argv
 * (opterr off; shortopts must start with ':'), the options above go to net,
 * -h sets *help and stops, anything else goes to take(ctx, opt, arg), which
 * returns 0 or non-zero after printing what was wrong. Leaves optind at
 * the first operand. Returns 0 or CLI_EXIT_USAGE. */
typedef int (*cli_take_fn)(void *ctx, int opt, const char *arg);
int cli_parse_options(const char *cmd, int argc, char **argv, const char *shortopts,
		      const struct option *longopts, struct cli_net *net, cli_take_fn take,
		      void *ctx, bool *help);

/* Drive the runner until done(app) is true or Ctrl-C. A device error is
 * reported ("device error: ...") and returned (negative); else 0. */
int cli_run_app(struct tern_rt *rt, const char *cmd, bool (*done)(const void *app),
		const void *app);

/* ---- the control socket ------------------------------------------------------ */

/* Serve DIR/NAME.sock (DIR: $TERN_RUN_DIR or /run/tern) from rt's loop, so
 * tern ss (and socat) can ask this program for its sockets, counters and
 * routes. NULL if there is none (in use by a live program, no permission
 * ...): after a warning naming prog ("tern host") if warn. */
struct cli_ctl;
struct cli_ctl *cli_ctl_open(struct tern_rt *rt, const char *name, const char *prog, bool warn);
const char *cli_ctl_path(const struct cli_ctl *c);
/* Stop serving and remove the socket file (if still ours); NULL is fine. */
void cli_ctl_close(struct cli_ctl *c);
/* A program's control-socket name: --name, else PROG-PID ("nc-4242"). */
const char *cli_ctl_name(const struct cli_net *n, const char *prog, char *buf, size_t len);

/* sysctl(8) on a stack: `sysctl [-a] [-n|-N] [-q] [-w] [NAME[=VALUE]]...`
 * as procps prints it ("net.ipv4.tcp_sack = 1"; -n: the value alone, -N
 * the name; a NAME=VALUE sets it and prints it back unless -q; errors as
 * sysctl's own messages, on err). argv[0] is the command's name. Returns 0, or 1 if
 * some name failed, 2 for a usage error. */
int cli_sysctl(struct tern_stack *s, int argc, char **argv, FILE *out, FILE *err);
/* mkdir -p PATH (mode 0777 less the umask). 0, or -1 with errno. */
int cli_make_dirs(const char *path);

/* Before exiting: run the stack until every TCP connection, closed ones
 * included, has delivered its data and FIN (at most 60 s; Ctrl-C ends it). */
void cli_tcp_linger(struct tern_rt *rt);

/* The usage text for the options above, to embed in --help. */
extern const char cli_net_usage[];
/* And for --name, in the commands that serve a control socket. */
extern const char cli_ctl_usage[];

/* Defaults for a real host's stack: the stack's, named and seeded from
 * the clock (tern_rt_fresh_seed). */
void cli_stack_config(struct tern_stack_config *cfg, const char *name);

#endif
