/*
 * lab/lab.h — building a checked lab file (lab/topo.h) on the simulator
 * (lab/build.c) and running its scenario (lab/scenario.c).
 *
 * The lab layer knows the tools' engines (tern/apps.h) but not their
 * command lines: those belong to the tools above it, which hand the lab a
 * parser (struct lab_tools) that turns "ping -c 3 10.0.0.2" into the
 * engine's options exactly as `tern ping` would.
 */
#ifndef TERN_LAB_LAB_H
#define TERN_LAB_LAB_H

#include <stdio.h>

#include "lab/topo.h"
#include "tern/apps.h"
#include "tern/sim.h"
#include "tern/simrt.h"

enum lab_app { LAB_APP_PING, LAB_APP_TRACEROUTE, LAB_APP_NC, LAB_APP_SS, LAB_APP_HTTP,
	       LAB_APP_CURL, LAB_APP_IPERF, LAB_APP_HPING, LAB_APP_RR };

#define LAB_MAX_ARGS 64

/* One command line, parsed. The options point into argv's strings. */
struct lab_cmd {
	enum lab_app app;
	union {
		struct tern_ping_opts ping;
		struct tern_traceroute_opts traceroute;
		struct tern_nc_opts nc;
		struct tern_ss_opts ss;
		struct tern_httpd_opts http;
		struct tern_curl_opts curl;
		struct tern_iperf_opts iperf;
		struct tern_hping_opts hping;
		struct tern_rr_opts rr;
	} o;
	const char *path;        /* http: DIR as given (relative to the lab file);
				  * curl: -o FILE (relative to the output directory);
				  * NULL: none */
	int argc;
	char *argv[LAB_MAX_ARGS + 1];
	char *words;             /* the storage argv points into */
};

/* Parse argv (argv[0] the tool: ping, traceroute, nc, ss, http, curl) into
 * cmd->app and cmd->o. Returns 0, or -1 with the tool's own message
 * ("ping: invalid value 'x' for -c: ...") in err. */
struct lab_tools {
	int (*parse)(void *ctx, int argc, char **argv, struct lab_cmd *cmd, char *err,
		     size_t errlen);
	void *ctx;
};

/* Split a command line into words as a shell would for the simple cases:
 * spaces separate, '...' and "..." quote (a backslash escapes " and \
 * inside "..."). 0, or -1 with why in err. */
int lab_split(const char *line, struct lab_cmd *cmd, char *err, size_t errlen);
void lab_cmd_free(struct lab_cmd *cmd);

/* ---- building (lab/build.c) ---- */

struct lab_world {
	struct tern_sim *sim;
	struct tern_stack **stacks;   /* per topo node */
	size_t **net_links;           /* per topo network: its sim link numbers */
	size_t *net_nlinks;
	size_t nnets;
	/* per sim link: the node and interface at its end 0 (the far end is
	 * the switch port, or the network's other interface) */
	size_t *link_node, *link_iface;
	/* realtime (t->realtime): the pacer and the TAP bridges. A bridge's
	 * link has link_node LAB_LINK_TAP and link_iface its network. */
	struct tern_simrt *rt;
};
#define LAB_LINK_TAP ((size_t)-1)

/* Build the checked topology t on a new simulation with this seed,
 * capturing every interface into capture_dir (NULL: none). With
 * t->realtime the simulation is paced to the wall clock and every
 * network's tap is opened and bridged (in the caller's namespace). impairable[n]
 * (may be NULL) marks networks a scenario will impair later. Returns 0,
 * or -1 with why in err (w is then cleaned up). */
int lab_build(const struct lab_topo *t, uint64_t seed, const char *capture_dir,
	      const bool *impairable, struct lab_world *w, char *err, size_t errlen);
void lab_world_free(struct lab_world *w);
/* A network's properties as simulator link options. */
void lab_link_opts(const struct lab_props *p, struct tern_sim_link_opts *o);

/* ---- the scenario (lab/scenario.c) ---- */

/* Check every step's command line with the tools' parser (and that http's
 * directory exists); mistakes are added to t->errs. */
void lab_check_scenario(struct lab_topo *t, const struct lab_tools *tools);

struct lab_run_opts {
	uint64_t seed;
	const char *out_dir;     /* exists; captures, transcript.txt, curl -o files */
	bool quiet;              /* stdout: only error lines and the summary */
	bool json;               /* stdout: one JSON object per line */
	FILE *out;               /* stdout */
	bool no_report;          /* no report.html (lab/report.c) */
};

/* Build and run a checked lab. Returns 0 when the scenario ran to its end
 * (whatever its commands' exit statuses), -1 after printing why it could
 * not run to diag. */
int lab_run(const struct lab_topo *t, const struct lab_tools *tools,
	    const struct lab_run_opts *o, FILE *diag);

#endif
