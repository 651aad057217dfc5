/*
 * lab/topo.h — a lab file as plain data: networks, hosts and routers with
 * their interfaces and routes, and the scenario's steps, each with the
 * line and column it came from so that every mistake can be reported as
 * FILE:LINE:COLUMN. Parsing (lab/topo.c, with libyaml) and checking the
 * model's consistency happen here; building it on the simulator is
 * lab/build.c and running the scenario lab/scenario.c.
 *
 * The file format is described in examples/labs/README.md.
 */
#ifndef TERN_LAB_TOPO_H
#define TERN_LAB_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tern/netdev.h"
#include "tern/types.h"

struct lab_pos {
	unsigned line, col; /* 1-based; 0: unknown */
};

/* Link properties, as a network declares them or a `set:` step changes
 * them. `given` has a bit per field present in the file. */
enum {
	LAB_P_BANDWIDTH = 1u << 0,
	LAB_P_DELAY = 1u << 1,
	LAB_P_JITTER = 1u << 2,
	LAB_P_LOSS = 1u << 3,
	LAB_P_DUPLICATE = 1u << 4,
	LAB_P_REORDER = 1u << 5,
	LAB_P_CORRUPT = 1u << 6,
	LAB_P_MTU = 1u << 7,
	LAB_P_QUEUE = 1u << 8,
};
struct lab_props {
	unsigned given;
	uint64_t rate_bps;       /* 0: infinitely fast */
	tern_time_t delay, jitter;
	double loss, duplicate, reorder, corrupt; /* probabilities 0..1 */
	struct tern_burst_loss burst; /* loss: {model: gilbert-elliott ...}; p 0: none */
	uint32_t mtu;            /* 0: 1500 */
	uint32_t queue_bytes;    /* 0: the link's default (256 KiB) */
	/* queue: {discipline: red, limit: 256KiB, min: 30KiB, max: 90KiB,
	 * probability: 10%, ecn: true}; fixed when the lab starts */
	enum tern_qdisc qdisc;
	struct tern_red_params red;
	struct lab_pos qdisc_pos; /* where the mapping is (set: steps refuse it) */
};

enum lab_net_kind { LAB_NET_SWITCH, LAB_NET_LINK };

struct lab_net {
	char *name;
	struct lab_pos pos;
	enum lab_net_kind kind;
	bool has_prefix;
	tern_ip4_t prefix;
	unsigned plen;
	struct lab_pos prefix_pos;
	struct lab_props props;
	unsigned nifaces;        /* interfaces attached (counted by the checker) */
	/* tap: IFNAME: the network bridged to a Linux TAP device (needs
	 * realtime); NULL: none */
	char *tap;
	struct lab_pos tap_pos;
};

struct lab_iface {
	size_t net;              /* index into topo->nets; valid once checked */
	char *net_name;
	struct lab_pos pos, net_pos, addr_pos;
	bool has_addr;
	tern_ip4_t addr;
	unsigned plen;
	char ifname[16];         /* eth0 ...: filled in by the builder */
};

struct lab_route {
	struct lab_pos pos, to_pos, via_pos;
	tern_ip4_t to;
	unsigned plen;
	tern_ip4_t via;
};

struct lab_node {
	char *name;
	struct lab_pos pos;
	bool router;
	struct lab_iface *ifaces;
	size_t nifaces;
	struct lab_route *routes; /* the gateway is the last, 0.0.0.0/0 */
	size_t nroutes;
	bool bad;                /* an interface had a mistake: its routes go unchecked */
	/* sysctl: {net.ipv4.tcp_ecn: 1}: tunables by Linux's names, set when
	 * the node is made (checked against a stack while parsing) */
	struct lab_sysctl {
		char *name, *value;
	} *sysctls;
	size_t nsysctls;
	bool no_frag_needed;     /* a router with icmp_frag_needed: false (an ICMP black hole) */
};

enum lab_step_kind {
	LAB_STEP_RUN,            /* run: a tool's command line on a host */
	LAB_STEP_WAIT,           /* wait: DURATION */
	LAB_STEP_CUT,            /* cut: NETWORK */
	LAB_STEP_RESTORE,        /* restore: NETWORK */
	LAB_STEP_SET,            /* set: NETWORK, with link properties */
};

struct lab_step {
	enum lab_step_kind kind;
	struct lab_pos pos;
	bool has_at;
	tern_time_t at;          /* absolute virtual time */
	struct lab_pos at_pos;
	size_t node;             /* RUN: index into topo->nodes */
	char *node_name;
	struct lab_pos node_pos;
	char *cmd;               /* RUN: the command line (without a trailing &) */
	struct lab_pos cmd_pos;
	bool background;         /* RUN: "&" at the end, or background: true */
	char *input;             /* RUN: what the tool reads on stdin, then EOF */
	size_t input_len;
	bool has_input;
	tern_time_t wait;        /* WAIT */
	size_t net;              /* CUT, RESTORE, SET: index into topo->nets */
	char *net_name;
	struct lab_pos net_pos;
	struct lab_props props;  /* SET */
};

struct lab_error {
	struct lab_pos pos;
	char *msg;
};

struct lab_topo {
	char *file;              /* as given, for messages */
	char *dir;               /* the file's directory: relative paths start there */
	char *name;              /* name: ..., else the file's base name without extension */
	bool has_seed;
	uint64_t seed;
	tern_time_t duration;    /* duration: the most the run may last; 0: one hour */
	/* realtime: true (or tern lab run --realtime): virtual time paced to
	 * the wall clock (tern/simrt.h) */
	bool realtime;
	struct lab_pos realtime_pos;
	struct lab_net *nets;
	size_t nnets;
	struct lab_node *nodes;
	size_t nnodes;
	struct lab_step *steps;
	size_t nsteps;
	struct lab_error *errs;
	size_t nerrs;
};

/* Parse and check a lab file held in memory (path names it in messages).
 * Never NULL unless out of memory; mistakes are in topo->errs. */
struct lab_topo *lab_topo_parse(const char *path, const char *text, size_t len);
/* Read path and parse it; an unreadable file is an error at 0:0. */
struct lab_topo *lab_topo_load(const char *path);
void lab_topo_free(struct lab_topo *t);

/* A tap (a bridged network) needs realtime: an error at each tap unless
 * t->realtime (the file's realtime: true, or the caller's --realtime). */
void lab_topo_check_realtime(struct lab_topo *t);

/* Record a mistake at pos (printf-style). */
void lab_topo_error(struct lab_topo *t, struct lab_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "FILE:LINE:COLUMN: message" per error, in file order. */
void lab_topo_print_errors(const struct lab_topo *t, FILE *f);

/* Index of the node or network named so, or -1. */
long lab_topo_find_node(const struct lab_topo *t, const char *name);
long lab_topo_find_net(const struct lab_topo *t, const char *name);

/* Value parsers shared with the scenario: "10Mbit", "5ms", "1%". Each
 * returns 0 or -1 with the reason in why. */
int lab_parse_rate(const char *s, uint64_t *bps, char *why, size_t len);
int lab_parse_duration(const char *s, tern_time_t *t, char *why, size_t len);
int lab_parse_probability(const char *s, double *p, char *why, size_t len);
int lab_parse_bytes(const char *s, uint32_t *bytes, char *why, size_t len);

#endif
