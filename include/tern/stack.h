/*
 * tern/stack.h — one host: interfaces, addresses, routes, timers, counters.
 *
 * A tern_stack is one host (or router) and owns everything it uses; there is
 * no global state, so hundreds live in one process. The stack is sans-I/O:
 *
 *   - frames arrive through the devices attached with tern_stack_attach()
 *     (the device calls the stack back with the frame and `now`);
 *   - tern_stack_poll(stack, now) runs every timer due at or before now;
 *   - tern_stack_poll_at(stack) says when it next needs to be polled.
 *
 * Time never goes backwards between calls. The stack never reads a clock,
 * never sleeps and never blocks: runners (the simulator, tern/rt.h on a
 * real TAP device) own time and I/O.
 */
#ifndef TERN_STACK_H
#define TERN_STACK_H

#include <stdio.h>

#include "tern/err.h"
#include "tern/netdev.h"
#include "tern/stats.h"
#include "tern/types.h"

struct tern_stack;

/* ---- configuration ------------------------------------------------------ */

/* How much an ARP packet may teach the neighbour cache (link/arp.c). */
enum tern_arp_mode {
	/* As Linux with arp_accept=0: requests to us and answers to our
	 * requests are learned, unsolicited replies and gratuitous ARP never
	 * create entries; and a known neighbour's MAC never changes on the
	 * word of one packet (the old MAC is asked first). */
	TERN_ARP_MODE_DEFAULT = 0,
	/* Only answers to our own outstanding requests are learned; requests
	 * to us are answered but teach nothing; gratuitous ARP is ignored. */
	TERN_ARP_MODE_STRICT,
};

/* Tunables, BSD-sysctl style: set at creation (tern_stack_config_init
 * fills the defaults shown; the RFC or Linux value each mirrors is noted),
 * and those Linux has too also at run time by Linux's name
 * (tern_sysctl_set below). */
struct tern_stack_config {
	const char *name;              /* for logs and tools; copied */
	uint64_t seed;                 /* every random choice derives from it */
	bool forwarding;               /* act as a router (RFC 1812); default off */
	uint8_t default_ttl;           /* 64, as Linux */
	/* ARP (RFC 826; timers as Linux's neighbour defaults, simplified) */
	tern_time_t arp_reachable_time;  /* 30 s: entry lifetime */
	tern_time_t arp_retrans_time;    /* 1 s between requests */
	unsigned arp_max_probes;         /* 3 requests, then unreachable */
	unsigned arp_queue_len;          /* 101 packets held per unresolved address (Linux unres_qlen) */
	size_t arp_queue_total_bytes;    /* 2 MiB held for all unresolved addresses together
					  * (ICMP errors included); at most 1/8 of the pool */
	unsigned arp_cache_size;         /* 1024 entries */
	tern_time_t arp_locktime;        /* 1 s, as Linux locktime: a reply claiming another MAC
					  * this soon after an entry changed is ignored (the
					  * first answer wins) */
	enum tern_arp_mode arp_mode;     /* TERN_ARP_MODE_DEFAULT */
	tern_time_t arp_announce_jitter; /* 0: an address added without probing is announced at
					  * once; else after a random delay up to this, so hosts
					  * that start together do not all broadcast at once */
	/* RFC 5227 probing, for addresses added with TERN_ADDR_PROBE */
	tern_time_t dad_probe_wait;      /* PROBE_WAIT 1 s (random 0..1 s first) */
	tern_time_t dad_probe_min, dad_probe_max; /* 1 s, 2 s */
	unsigned dad_probe_num;          /* 3 */
	tern_time_t dad_announce_wait;   /* ANNOUNCE_WAIT 2 s */
	/* IPv4 reassembly (RFC 791; RFC 1122 §3.3.2). When a fragment would
	 * take the datagrams being reassembled past the high mark, the oldest
	 * are evicted down to the low mark (as Linux's ipfrag evictor did). */
	tern_time_t reasm_timeout;       /* 30 s */
	size_t reasm_high_thresh;        /* 4 MiB, as Linux ipfrag_high_thresh; at most 1/4 of the pool */
	size_t reasm_low_thresh;         /* 3 MiB, as Linux ipfrag_low_thresh */
	unsigned reasm_max_frags;        /* 64 fragments per datagram */
	/* ICMP error rate limits (RFC 1812 §4.3.2.8), as Linux: a token
	 * bucket for the whole host, then one per destination host; both
	 * apply only to the types in icmp_ratemask, and never to
	 * "fragmentation needed" (path MTU discovery depends on it). */
	uint32_t icmp_ratelimit_per_sec; /* 1000, as Linux icmp_msgs_per_sec */
	uint32_t icmp_ratelimit_burst;   /* 50, as Linux icmp_msgs_burst */
	tern_time_t icmp_ratelimit;      /* 1 s, as Linux icmp_ratelimit: per destination, one
					  * error per interval after a burst of 6; 0: off */
	uint32_t icmp_ratemask;          /* 0x1818 (types 3, 4, 11, 12), as Linux */
	bool icmp_echo_ignore_broadcasts; /* true, as Linux */
	bool icmp_echo_ignore_all;       /* false, as Linux: echo requests are not answered */
	bool send_redirects;             /* true (routers only) */
	bool accept_redirects;           /* true (hosts only) */
	unsigned redirect_routes_max;    /* 256 host routes learnt from redirects, then refused */
	/* Path MTU discovery (RFC 1191; RFC 4821 for TCP), as Linux's
	 * net.ipv4.route and tcp_mtu_probing names (net/pmtu.h). */
	unsigned ip_no_pmtu_disc;        /* 0, as Linux: sockets default to IP_PMTUDISC_WANT
					  * (TCP sends with DF); 1: DONT, and a message sets
					  * the path to pmtu_min; 3: only what TCP checked
					  * (RFC 5927) updates the cache */
	uint32_t pmtu_min;               /* 552, as Linux route.min_pmtu */
	tern_time_t pmtu_expires;        /* 600 s, as Linux route.mtu_expires */
	unsigned pmtu_cache_size;        /* 1024 destinations, then a set's oldest is replaced */
	bool icmp_frag_needed;           /* true: a router answers a DF datagram too big for
					  * the next hop with "fragmentation needed"; false:
					  * drops it silently, an ICMP black hole (RFC 2923
					  * §2.1), for tests and labs */
	unsigned tcp_mtu_probing;        /* 1 (Linux's default is 0): after a black hole (RTOs
					  * with no ACK) fall to tcp_base_mss and probe up
					  * (RFC 4821); 0: never; 2: probe from the start */
	uint32_t tcp_base_mss;           /* 1024, as Linux tcp_base_mss */
	uint32_t tcp_mtu_probe_floor;    /* 48, as Linux */
	uint32_t tcp_probe_threshold;    /* 8 bytes: the search stops closer than this */
	tern_time_t tcp_probe_interval;  /* 600 s, as Linux: the search starts again */
	/* TCP (RFC 9293; timers as Linux's defaults) */
	tern_time_t tcp_rto_min;         /* 200 ms, as Linux TCP_RTO_MIN */
	tern_time_t tcp_rto_max;         /* 120 s, as Linux TCP_RTO_MAX */
	tern_time_t tcp_rto_initial;     /* 1 s (RFC 6298 §2.1) */
	tern_time_t tcp_delack;          /* 40 ms, as Linux TCP_DELACK_MIN */
	unsigned tcp_quickacks;          /* 16: the first data segments are acknowledged at
					  * once, as Linux (TCP_MAX_QUICKACKS); 0: delayed from
					  * the start, as RFC 1122 §4.2.3.2 alone says */
	tern_time_t tcp_time_wait;       /* 2*MSL: 60 s, as Linux TCP_TIMEWAIT_LEN */
	tern_time_t tcp_fin_timeout;     /* 60 s in FIN-WAIT-2 once orphaned (tcp_fin_timeout) */
	unsigned tcp_syn_retries;        /* 6, as Linux tcp_syn_retries */
	unsigned tcp_synack_retries;     /* 5, as Linux tcp_synack_retries */
	unsigned tcp_retries2;           /* 15, as Linux tcp_retries2 */
	tern_time_t tcp_keepalive_time;  /* 2 h; tcp_keepalive_intvl 75 s; probes 9 */
	tern_time_t tcp_keepalive_intvl;
	unsigned tcp_keepalive_probes;
	bool tcp_timestamps;             /* true, as Linux tcp_timestamps */
	bool tcp_window_scaling;         /* true */
	bool tcp_sack;                   /* true: SACK-permitted offered, and SACK blocks sent
					  * (RFC 2018) where the peer offered it too */
	bool tcp_dsack;                  /* true, as Linux tcp_dsack: duplicates reported in
					  * D-SACK blocks (RFC 2883) */
	bool tcp_header_prediction;      /* true: the ESTABLISHED fast path (tcp_fastpath.c);
					  * tern's own sysctl, Linux has no switch for it */
	unsigned tcp_ecn;                /* 2, as Linux tcp_ecn: ECN (RFC 3168) accepted when a
					  * peer's SYN asks for it; 1: also asked for on our
					  * SYNs; 0: off */
	bool tcp_ecn_fallback;           /* true, as Linux tcp_ecn_fallback: a retransmitted SYN
					  * no longer asks for ECN (RFC 3168 §6.1.1.1) */
	unsigned tcp_recovery;           /* 1, as Linux tcp_recovery: bit 0 = RACK's
					  * time-based loss detection (RFC 8985) */
	unsigned tcp_early_retrans;      /* 3, as Linux tcp_early_retrans: 3 or 4 = tail
					  * loss probes (RFC 8985 §7), 0-2 none */
	unsigned tcp_frto;               /* 2, as Linux tcp_frto: F-RTO (RFC 5682 §2.1) on
					  * connections without timestamps (which have
					  * Eifel, RFC 3522); 1 and 2 alike; 0: off */
	unsigned tcp_fastopen;           /* 1, as Linux tcp_fastopen (RFC 7413): bit 0x1 =
					  * clients may send data on SYNs (MSG_FASTOPEN,
					  * TCP_FASTOPEN_CONNECT), 0x4 = ... without a
					  * cookie (and no option), 0x2 = listeners with
					  * TCP_FASTOPEN accept data on SYNs with a valid
					  * cookie (and give cookies), 0x200 = ... with no
					  * cookie at all, 0x400 = every listener takes
					  * part as if it set TCP_FASTOPEN to its backlog */
	unsigned tcp_max_syn_backlog;    /* 256 half-open connections in all (a budget), and
					  * per listener at most its backlog */
	unsigned tcp_syncookies;         /* 1, as Linux: SYN cookies once the SYN queue or
					  * that budget is full; 0: drop the SYN; 2: cookies
					  * for every SYN */
	uint32_t tcp_challenge_ack_limit; /* about 1000 per second, randomized (RFC 5961 §7) */
	tern_time_t tcp_invalid_ratelimit; /* 500 ms: at most one ACK per this to out-of-window or PAWS-failed pure ACKs, as Linux */
	const char *tcp_congestion_control; /* "cubic" (RFC 9438 with HyStart++), as Linux;
					     * "reno" (NewReno): the module of new connections */
	/* Pacing (Linux's internal pacing, TCP's rate = ratio% of cwnd/srtt):
	 * tcp_pacing_ss_ratio while cwnd < ssthresh/2, tcp_pacing_ca_ratio
	 * after (Linux's sysctls). The rate is always computed (TCP_INFO);
	 * segments are spaced by it only on sockets with SO_MAX_PACING_RATE,
	 * or on every connection created while tcp_pacing is true (tern's
	 * switch, no Linux sysctl: Linux paces every socket only under the
	 * fq qdisc). */
	bool tcp_pacing;                 /* false, as Linux without fq */
	unsigned tcp_pacing_ss_ratio;    /* 200 (percent) */
	unsigned tcp_pacing_ca_ratio;    /* 120 */
	uint16_t ip_local_port_range[2]; /* 32768, 60999: TCP connect's ephemeral ports, as
					  * Linux (UDP's port 0 takes 49152-65535, RFC 6056) */
	unsigned somaxconn;              /* 4096, as Linux net.core.somaxconn: listen()'s cap */
	/* Socket buffers, as Linux's net.core and tcp_rmem/tcp_wmem: a new
	 * socket's SO_RCVBUF/SO_SNDBUF (as getsockopt reports it) is
	 * rmem_default/wmem_default, a TCP socket's tcp_rmem[1]/tcp_wmem[1];
	 * setsockopt caps what it is given at rmem_max/wmem_max (then doubles
	 * it). TCP's [1] is 212992, not Linux's 131072/16384. A TCP buffer the
	 * application did not set grows with the path (transport/
	 * tcp_autotune.c) up to [2]: 32 MiB, not Linux's 6 MiB / 4 MiB, so a
	 * 1 Gbit/s, 100 ms path (a 12.5 MB window, in half the buffer) is
	 * filled; the window scale offered follows from it (10). [0] is
	 * unused. */
	uint32_t rmem_default, wmem_default; /* 212992 */
	uint32_t rmem_max, wmem_max;         /* 212992 */
	uint32_t tcp_rmem[3];                /* 4096 212992 33554432 */
	uint32_t tcp_wmem[3];                /* 4096 212992 33554432 */
	bool tcp_moderate_rcvbuf;            /* true, as Linux: receive buffers auto-tuned */
	/* Memory. Packet buffers come from a pool of the stack's own that grows
	 * on demand up to pkt_pool_max_bytes (buffers counted at their true
	 * size: a frame's costs 2 KiB, a 64 KiB datagram's 64.25 KiB). Each
	 * resource a remote peer can fill charges its own budget in it, capped
	 * at a fixed share of the pool (reassembly 1/4, neighbour queues 1/8,
	 * socket receive queues 1/2), so at least 1/8 stays for everything
	 * else: however one budget is exhausted, frames are still received. */
	size_t pkt_pool_max_bytes;       /* 32 MiB */
	size_t pkt_pool_keep_bytes;      /* 0: free buffers beyond it (and beyond what the
					  * last second needed) go back to malloc once a
					  * second, so an idle host keeps none */
	size_t sock_rcv_total_bytes;     /* 16 MiB in all sockets' receive queues together
					  * (as Linux's udp_mem); each also within SO_RCVBUF */
	size_t tcp_ofo_total_bytes;      /* 4 MiB of TCP out-of-order data in all connections
					  * together, a part of sock_rcv_total_bytes and at most
					  * 1/8 of the pool: in-order data keeps the rest
					  * (tcp.ofo_memory_limit counts what it refuses) */
	/* Log sink for events a user should see (address conflicts). May be NULL. */
	void (*log)(void *ctx, struct tern_stack *s, const char *msg);
	void *log_ctx;
};

void tern_stack_config_init(struct tern_stack_config *cfg);

struct tern_stack *tern_stack_create(const struct tern_stack_config *cfg);
/* Frees the stack and everything it owns, except attached devices. */
void tern_stack_destroy(struct tern_stack *s);
const char *tern_stack_name(const struct tern_stack *s);
void tern_stack_set_forwarding(struct tern_stack *s, bool on);

/* What the stack's memory holds now: the packet pool and each budget
 * (see tern_stack_config), for tools and for tests that check memory
 * returns to its resting size after an attack. */
struct tern_mem_budget {
	size_t used, limit, peak;
};
struct tern_stack_mem {
	size_t pool_max, pool_made, pool_in_use, pool_peak; /* bytes */
	struct tern_mem_budget reasm, neigh, sock_rx;
	struct tern_mem_budget tcp_ofo; /* TCP out-of-order data (within sock_rx) */
	unsigned tcp_half_open;       /* SYN-RECEIVED connections now ... */
	unsigned tcp_half_open_limit; /* ... and the budget (tcp_max_syn_backlog) */
	unsigned reasm_datagrams;     /* being reassembled */
	unsigned neigh_entries;       /* in the ARP cache */
	unsigned neigh_queued;        /* packets waiting for an address */
};
void tern_stack_mem_get(const struct tern_stack *s, struct tern_stack_mem *m);
/* Print it as six lines: pool, reasm, neigh, sock_rx, tcp_ofo, tcp_syn. */
void tern_stack_mem_print(const struct tern_stack *s, FILE *f);

/* ---- tunables by Linux's names (sysctl(8)) ------------------------------- */

/* The tunables of struct tern_stack_config that Linux has too, read and
 * set at run time by their Linux names (ip-sysctl.rst): "net.ipv4.tcp_sack"
 * or "net/ipv4/tcp_sack", as sysctl(8) takes them. Values are text as
 * /proc/sys shows them: "1", "4096\t212992\t6291456" (vectors tab-separated;
 * set takes any blanks between them, and fewer values than the vector has
 * change only the first ones, as Linux), times in the unit the name or
 * Linux says (tcp_fin_timeout seconds, icmp_ratelimit ms). A change
 * applies when the stack next reads the value, as Linux's does: the SYN
 * options, buffers, keepalive timers and congestion control of new
 * connections; TTLs, rate limits, redirects and reassembly at once. The
 * table, with each name's range and when it takes effect, is in
 * src/host/sysctl.c and README.md. Names tern does not implement
 * (tcp_retries1, ...) are not there: TERN_ENOENT, as for a typo. */

/* Write the value (NUL-terminated) into buf. Returns its length,
 * TERN_ENOENT for an unknown name, TERN_ENOSPC if len is too small (buf
 * holds what fitted). */
int tern_sysctl_get(struct tern_stack *s, const char *name, char *buf, size_t len);
/* Set it from text (surrounding blanks and a final newline ignored).
 * TERN_ENOENT: unknown name; TERN_EACCES: read-only (as writing a 0444
 * /proc/sys file); TERN_EINVAL: not a number, out of the name's range, or
 * breaking a rule between two names (ipfrag_low_thresh <= high_thresh,
 * tcp_rto_min_us <= tcp_rto_max_ms, port range low <= high);
 * tcp_congestion_control with no such module: TERN_ENOENT, as Linux. */
int tern_sysctl_set(struct tern_stack *s, const char *name, const char *value);
/* The i-th name in sysctl -a's (alphabetical) order, NULL past the last:
 *   for (unsigned i = 0; (n = tern_sysctl_name(i)); i++) ... */
const char *tern_sysctl_name(unsigned i);
/* Whether the name is read-only (false for unknown names). */
bool tern_sysctl_readonly(const char *name);

/* ---- time ---------------------------------------------------------------- */

void tern_stack_poll(struct tern_stack *s, tern_time_t now);
tern_time_t tern_stack_poll_at(const struct tern_stack *s);
/* For a runner that keeps a schedule of its own (the simulator): fn is
 * called whenever poll_at may have become earlier (a timer armed ahead of
 * the others, a datagram queued to the host itself), from inside the call
 * that did it, whoever made that call. fn may read tern_stack_poll_at but
 * must not call into the stack. NULL turns it off. */
void tern_stack_set_wake(struct tern_stack *s, void (*fn)(void *ctx, struct tern_stack *s),
			 void *ctx);
/* The latest `now` the stack has seen (from input or poll). */
tern_time_t tern_stack_now(const struct tern_stack *s);
/* Packets the stack still holds on their way out: waiting for a
 * neighbour's address (ARP) or on the loopback queue. A program about to
 * exit polls until this is 0 (or ARP gives up), as the kernel would send
 * them after the program is gone. */
size_t tern_stack_tx_pending(const struct tern_stack *s);

/* Timers, for the stack's own modules and for applications running on the
 * host (ping, traceroute): embed a tern_timer in your object, recover the
 * object in the callback with TERN_CONTAINER_OF. Arming an armed timer
 * moves it. Callbacks run from tern_stack_poll(). */
struct tern_timer;
typedef void (*tern_timer_fn)(struct tern_stack *s, struct tern_timer *t, tern_time_t now);
struct tern_timer {
	tern_time_t when;
	int32_t heap_idx;   /* -1 when not armed */
	tern_timer_fn fn;
};
#define TERN_CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

void tern_timer_init(struct tern_timer *t, tern_timer_fn fn);
void tern_timer_arm(struct tern_stack *s, struct tern_timer *t, tern_time_t when);
void tern_timer_cancel(struct tern_stack *s, struct tern_timer *t);
static inline bool tern_timer_armed(const struct tern_timer *t) { return t->heap_idx >= 0; }

/* ---- interfaces and addresses --------------------------------------------- */

#define TERN_MAX_IFACES 16
#define TERN_MAX_ADDRS 8      /* per interface */
#define TERN_IFINDEX_LOOPBACK 0

/* Attach a device; the stack installs itself as the device's receiver.
 * Returns the interface index (>= 1) or a negative tern_err. The stack
 * does not own the device. */
int tern_stack_attach(struct tern_stack *s, struct tern_netdev *dev);
struct tern_netdev *tern_stack_iface_dev(const struct tern_stack *s, int ifindex);
int tern_stack_iface_count(const struct tern_stack *s); /* loopback included */
int tern_stack_iface_mtu(const struct tern_stack *s, int ifindex);
/* The interface of that name ("lo": loopback), or TERN_ENODEV. */
int tern_stack_iface_find(const struct tern_stack *s, const char *name);
/* Change an interface's MTU (the device's MTU is left alone). */
int tern_stack_iface_set_mtu(struct tern_stack *s, int ifindex, uint32_t mtu);

enum tern_addr_flags {
	TERN_ADDR_PROBE = 1, /* RFC 5227: probe for conflicts before using it */
};
enum tern_addr_state {
	TERN_ADDR_TENTATIVE,  /* probing (RFC 5227 §2.1) */
	TERN_ADDR_PREFERRED,  /* usable */
	TERN_ADDR_CONFLICT,   /* another host has it: not used */
};

/* Add addr/plen to an interface: adds the connected route, sends a
 * gratuitous ARP announcement (or starts probing with TERN_ADDR_PROBE).
 * TERN_EEXIST if the stack already has this address. */
int tern_stack_addr_add(struct tern_stack *s, int ifindex, tern_ip4_t addr, unsigned plen,
			unsigned flags);
int tern_stack_addr_del(struct tern_stack *s, int ifindex, tern_ip4_t addr);
/* State of one of our addresses; TERN_ENOENT if not configured. */
int tern_stack_addr_state(const struct tern_stack *s, tern_ip4_t addr, enum tern_addr_state *out);
/* The first usable address of an interface, or 0. */
tern_ip4_t tern_stack_iface_addr(const struct tern_stack *s, int ifindex);
/* True if addr is one of ours (any interface, loopback range included). */
bool tern_stack_is_local_addr(const struct tern_stack *s, tern_ip4_t addr);

/* ---- routes ----------------------------------------------------------- */

/* Add a route to dst/plen via gateway (0: directly connected) out of
 * ifindex (0: the interface whose connected route covers the gateway).
 * A default gateway is 0.0.0.0/0. Longest prefix wins; among equal
 * prefixes, the lower metric. TERN_EEXIST for a duplicate,
 * TERN_ENETUNREACH if the gateway is not on a connected network. */
int tern_route_add(struct tern_stack *s, tern_ip4_t dst, unsigned plen, tern_ip4_t gateway,
		   int ifindex, unsigned metric);
int tern_route_del(struct tern_stack *s, tern_ip4_t dst, unsigned plen, tern_ip4_t gateway);

struct tern_route_result {
	int ifindex;
	tern_ip4_t next_hop;  /* the gateway, or the destination itself */
	tern_ip4_t src;       /* preferred source address on ifindex */
	tern_ip4_t dst;       /* the matched route's prefix and length */
	unsigned plen;
	bool local;           /* dst is one of our addresses */
};
int tern_route_lookup(const struct tern_stack *s, tern_ip4_t dst, struct tern_route_result *out);
/* The same for a socket bound to interface ifindex (SO_BINDTODEVICE): the
 * longest match among that interface's routes, and if it has none the
 * destination taken as on-link there, as Linux's ip_route_output_key does
 * for a given output interface. TERN_ENODEV for no such interface. */
int tern_route_lookup_dev(const struct tern_stack *s, tern_ip4_t dst, int ifindex,
			  struct tern_route_result *out);
/* Print the table like `ip route` does. */
void tern_route_print(const struct tern_stack *s, FILE *f);

/* ---- the neighbour cache ------------------------------------------------- */

/* A static (permanent) neighbour, as `ip neigh replace ... nud permanent`:
 * ip on ifindex (0: the interface whose connected route covers ip) is
 * always at mac. It replaces any learned entry (datagrams waiting for it
 * leave for mac), never expires, is never evicted, and no ARP packet
 * changes it (arp.static_refused counts those that try). TERN_EINVAL for
 * an address that cannot be a neighbour (0, multicast, broadcast, ours)
 * or a multicast or zero mac, TERN_ENETUNREACH if ifindex 0 finds no
 * interface, TERN_ENODEV for a bad or loopback ifindex, TERN_ENOSPC if the
 * cache is full of entries that may not be evicted. */
int tern_arp_add_static(struct tern_stack *s, int ifindex, tern_ip4_t ip,
			const struct tern_mac *mac);
/* Remove a static entry (ifindex 0 as above); TERN_ENOENT if ip has none
 * there (learned entries are left alone). */
int tern_arp_del_static(struct tern_stack *s, int ifindex, tern_ip4_t ip);

/* ---- counters and tracing -------------------------------------------------- */

uint64_t tern_stack_stat(const struct tern_stack *s, enum tern_stat st);
/* Print counters grouped by protocol, netstat -s style; with nonzero_only,
 * only counters that moved. */
void tern_stack_stats_print(const struct tern_stack *s, FILE *f, bool nonzero_only);

enum tern_trace_kind { TERN_TRACE_RX, TERN_TRACE_TX, TERN_TRACE_DROP };
enum tern_trace_layer { TERN_LAYER_LINK, TERN_LAYER_IP };
struct tern_trace_event {
	enum tern_trace_kind kind;
	enum tern_trace_layer layer; /* what `data` starts with */
	int ifindex;                  /* -1 if none yet (locally generated) */
	const uint8_t *data;
	size_t len;
	enum tern_stat reason;        /* for TERN_TRACE_DROP */
	tern_time_t now;
};
typedef void (*tern_trace_fn)(void *ctx, struct tern_stack *s, const struct tern_trace_event *ev);
/* Subscribe to frames in, out and dropped. Returns a handle >= 0 for
 * unsubscribing, or TERN_ENOSPC (at most 8 subscribers). */
int tern_stack_trace_subscribe(struct tern_stack *s, tern_trace_fn fn, void *ctx);
void tern_stack_trace_unsubscribe(struct tern_stack *s, int handle);

/* ---- raw IP, for tools until they move to sockets -------------------------- */

struct tern_ip_send {
	tern_ip4_t src;    /* 0: the route's preferred source */
	tern_ip4_t dst;
	uint8_t proto;
	uint8_t ttl;       /* 0: the stack's default */
	uint8_t tos;
	bool df;           /* with pmtudisc DEFAULT: DF set, as TERN_IP_PMTU_PROBE */
	uint8_t pmtudisc;  /* enum tern_ip_pmtu */
	int oif;           /* bound to an interface (SO_BINDTODEVICE): its index + 1;
	                    * 0: any (tern_route_lookup_dev) */
};
/* Path MTU discovery per datagram, as Linux's IP_MTU_DISCOVER modes
 * (each is Linux's IP_PMTUDISC_* + 1; net/pmtu.h): DONT: no DF,
 * fragmented to the path MTU; WANT: DF if it fits the path MTU, else
 * fragmented without; DO: DF, EMSGSIZE if larger than the path MTU; PROBE:
 * DF, the interface MTU alone (the cache is not looked at). DEFAULT: df
 * decides (set: PROBE, clear: DONT). */
enum tern_ip_pmtu {
	TERN_IP_PMTU_DEFAULT = 0,
	TERN_IP_PMTU_DONT,
	TERN_IP_PMTU_WANT,
	TERN_IP_PMTU_DO,
	TERN_IP_PMTU_PROBE,
};
/* Send payload as one IP datagram (fragmented to the egress MTU unless df).
 * TERN_ENETUNREACH without a route, TERN_EMSGSIZE if DF and too big for
 * the path MTU (see pmtudisc) or > 65535 total, TERN_ENOBUFS. */
int tern_ip_send_raw(struct tern_stack *s, const struct tern_ip_send *p, const uint8_t *payload,
		     size_t len, tern_time_t now);

/* The path MTU towards dst as IP output uses it: the route's interface
 * MTU, or less if "fragmentation needed" taught a smaller one (RFC 1191;
 * forgotten after net.ipv4.route.mtu_expires). 0 without a route. */
uint32_t tern_ip_path_mtu(struct tern_stack *s, tern_ip4_t dst);

/* An ICMP message delivered to this host, parsed. For errors, the quoted
 * datagram's header fields and the first bytes of its payload. */
struct tern_icmp_msg {
	tern_ip4_t src, dst;
	uint8_t ttl;
	uint16_t ip_total_len;
	uint8_t type, code;
	uint16_t id, seq;           /* echo / echo reply */
	uint16_t mtu;               /* frag needed */
	tern_ip4_t gateway;         /* redirect */
	uint8_t pointer;            /* parameter problem: the octet at fault */
	const uint8_t *data;        /* after the ICMP header */
	size_t data_len;
	/* errors only: the datagram that caused it */
	bool has_quote;
	tern_ip4_t q_src, q_dst;
	uint8_t q_proto, q_ttl;
	uint16_t q_id;
	const uint8_t *q_l4;        /* first bytes of its transport header */
	size_t q_l4_len;
	/* When the datagram was received, in the stack's clock: the time its
	 * frame arrived (on TAP, read per frame as it was read; in the
	 * simulator, the exact virtual time), as Linux's SO_TIMESTAMPNS. It
	 * can be earlier than the callback's `now`. */
	tern_time_t rx_time;
};
typedef void (*tern_icmp_fn)(void *ctx, struct tern_stack *s, const struct tern_icmp_msg *m,
			     tern_time_t now);
/* Observe every valid ICMP message delivered locally (after the stack has
 * handled it: echo requests are answered by the stack). Returns a handle
 * >= 0 or TERN_ENOSPC. */
int tern_icmp_listen(struct tern_stack *s, tern_icmp_fn fn, void *ctx);
void tern_icmp_unlisten(struct tern_stack *s, int handle);

#endif
