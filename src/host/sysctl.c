/*
 * host/sysctl.c — the stack's tunables by their Linux names, as sysctl(8)
 * and /proc/sys/net present them (Documentation/networking/ip-sysctl.rst).
 *
 * One table, sorted by name (sysctl -a's order): each row names a field of
 * struct tern_stack_config, how it is stored (an integer of some width, a
 * time in some unit, a vector of integers, a string), the range a value
 * must fall in, whether it is read-only, and a hook for rules between
 * names or for state derived from the field. Values are read where they
 * are used (s->cfg), so a change applies the next time the stack looks:
 * the "when" column of README.md's table says when that is per name.
 *
 * Only what tern implements is listed; a Linux name tern has no mechanism
 * for (tcp_retries1, tcp_low_latency) is unknown
 * (TERN_ENOENT) rather than a value that does nothing. Ranges are Linux's
 * where Linux checks one; where Linux takes any int, tern takes what its
 * mechanism can honour (a boolean 0 or 1, a count that fits its field).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "transport/sock.h"
#include "transport/tcp_cc.h"

enum sc_kind {
	SC_INT,     /* an unsigned integer (or bool) of `width` bytes, `count` of them */
	SC_TIME,    /* a tern_time_t shown in units of `unit` */
	SC_CC,      /* tcp_congestion_control: a module's name */
	SC_CC_LIST, /* tcp_available_congestion_control (read-only) */
};

struct sc_entry;
/* A rule between names, checked on the new values before they are
 * stored: 0 or TERN_EINVAL. */
typedef int (*sc_check_fn)(struct tern_stack *s, const struct sc_entry *e, const long long *v);
/* State derived from the field, updated after it changed. */
typedef void (*sc_apply_fn)(struct tern_stack *s);

struct sc_entry {
	const char *name;
	uint8_t kind;
	uint8_t width;      /* SC_INT: sizeof the field (element) */
	uint8_t count;      /* elements: 1, or a vector's length */
	bool ro;
	size_t off;         /* offsetof(struct tern_stack_config, field) */
	long long min, max; /* in the shown unit */
	tern_time_t unit;   /* SC_TIME */
	sc_check_fn check;
	sc_apply_fn apply;
};

#define OFF(f) offsetof(struct tern_stack_config, f)
#define W(f) ((uint8_t)sizeof(((struct tern_stack_config *)0)->f))
#define INT(n, f, lo, hi) {.name = n, .kind = SC_INT, .width = W(f), .count = 1, .off = OFF(f), .min = lo, .max = hi}
#define VEC(n, f, k, lo, hi) {.name = n, .kind = SC_INT, .width = W(f[0]), .count = k, .off = OFF(f), .min = lo, .max = hi}
#define TIME(n, f, u, lo, hi) {.name = n, .kind = SC_TIME, .count = 1, .off = OFF(f), .min = lo, .max = hi, .unit = u}
#define BOOL(n, f) INT(n, f, 0, 1)

static int check_frag_high(struct tern_stack *s, const struct sc_entry *e, const long long *v);
static int check_frag_low(struct tern_stack *s, const struct sc_entry *e, const long long *v);
static int check_rto_min(struct tern_stack *s, const struct sc_entry *e, const long long *v);
static int check_rto_max(struct tern_stack *s, const struct sc_entry *e, const long long *v);
static int check_port_range(struct tern_stack *s, const struct sc_entry *e, const long long *v);
static void apply_frag_high(struct tern_stack *s);

#define SEC TERN_SEC(1)
#define MSEC TERN_MSEC(1)

/* Sorted by name: sysctl -a lists them in this order, and lookups
 * bisect. tests/unit/test_sysctl.c checks the order and every row. */
static const struct sc_entry table[] = {
	INT("net.core.rmem_default", rmem_default, TERN_SOCK_MIN_RCVBUF, INT_MAX / 2),
	INT("net.core.rmem_max", rmem_max, TERN_SOCK_MIN_RCVBUF, INT_MAX / 2),
	INT("net.core.somaxconn", somaxconn, 0, INT_MAX),
	INT("net.core.wmem_default", wmem_default, TERN_SOCK_MIN_SNDBUF, INT_MAX / 2),
	INT("net.core.wmem_max", wmem_max, TERN_SOCK_MIN_SNDBUF, INT_MAX / 2),
	BOOL("net.ipv4.conf.all.accept_redirects", accept_redirects),
	BOOL("net.ipv4.conf.all.forwarding", forwarding),
	BOOL("net.ipv4.conf.all.send_redirects", send_redirects),
	BOOL("net.ipv4.icmp_echo_ignore_all", icmp_echo_ignore_all),
	BOOL("net.ipv4.icmp_echo_ignore_broadcasts", icmp_echo_ignore_broadcasts),
	INT("net.ipv4.icmp_msgs_burst", icmp_ratelimit_burst, 0, INT_MAX),
	INT("net.ipv4.icmp_msgs_per_sec", icmp_ratelimit_per_sec, 0, INT_MAX),
	TIME("net.ipv4.icmp_ratelimit", icmp_ratelimit, MSEC, 0, INT_MAX),
	INT("net.ipv4.icmp_ratemask", icmp_ratemask, 0, UINT32_MAX),
	INT("net.ipv4.ip_default_ttl", default_ttl, 1, 255),
	BOOL("net.ipv4.ip_forward", forwarding),
	{.name = "net.ipv4.ip_local_port_range", .kind = SC_INT, .width = 2, .count = 2,
	 .off = OFF(ip_local_port_range), .min = 1, .max = 65535, .check = check_port_range},
	INT("net.ipv4.ip_no_pmtu_disc", ip_no_pmtu_disc, 0, 3),
	{.name = "net.ipv4.ipfrag_high_thresh", .kind = SC_INT, .width = W(reasm_high_thresh),
	 .count = 1, .off = OFF(reasm_high_thresh), .min = 0, .max = INT_MAX,
	 .check = check_frag_high, .apply = apply_frag_high},
	{.name = "net.ipv4.ipfrag_low_thresh", .kind = SC_INT, .width = W(reasm_low_thresh),
	 .count = 1, .off = OFF(reasm_low_thresh), .min = 0, .max = INT_MAX,
	 .check = check_frag_low},
	TIME("net.ipv4.ipfrag_time", reasm_timeout, SEC, 1, INT_MAX / 1000),
	{.name = "net.ipv4.neigh.default.base_reachable_time_ms", .kind = SC_TIME, .count = 1,
	 .off = OFF(arp_reachable_time), .min = 1, .max = INT_MAX, .unit = MSEC},
	{.name = "net.ipv4.neigh.default.gc_thresh3", .kind = SC_INT, .width = W(arp_cache_size),
	 .count = 1, .off = OFF(arp_cache_size), .ro = true, .min = 0, .max = INT_MAX},
	/* USER_HZ (100) ticks, as Linux shows locktime */
	TIME("net.ipv4.neigh.default.locktime", arp_locktime, TERN_MSEC(10), 0, INT_MAX),
	INT("net.ipv4.neigh.default.mcast_solicit", arp_max_probes, 0, 255),
	TIME("net.ipv4.neigh.default.retrans_time_ms", arp_retrans_time, MSEC, 1, INT_MAX),
	INT("net.ipv4.neigh.default.unres_qlen", arp_queue_len, 0, INT_MAX),
	INT("net.ipv4.route.min_pmtu", pmtu_min, 68, 65535),
	TIME("net.ipv4.route.mtu_expires", pmtu_expires, SEC, 1, INT_MAX / 1000),
	{.name = "net.ipv4.tcp_available_congestion_control", .kind = SC_CC_LIST, .ro = true},
	INT("net.ipv4.tcp_base_mss", tcp_base_mss, 48, 65495),
	INT("net.ipv4.tcp_challenge_ack_limit", tcp_challenge_ack_limit, 0, INT_MAX),
	{.name = "net.ipv4.tcp_congestion_control", .kind = SC_CC, .off = OFF(tcp_congestion_control)},
	BOOL("net.ipv4.tcp_dsack", tcp_dsack),
	INT("net.ipv4.tcp_early_retrans", tcp_early_retrans, 0, 4),
	INT("net.ipv4.tcp_ecn", tcp_ecn, 0, 2),
	BOOL("net.ipv4.tcp_ecn_fallback", tcp_ecn_fallback),
	INT("net.ipv4.tcp_fastopen", tcp_fastopen, 0, 0x7ff),
	TIME("net.ipv4.tcp_fin_timeout", tcp_fin_timeout, SEC, 0, INT_MAX / 1000),
	INT("net.ipv4.tcp_frto", tcp_frto, 0, 2),
	BOOL("net.ipv4.tcp_header_prediction", tcp_header_prediction), /* tern's own */
	TIME("net.ipv4.tcp_invalid_ratelimit", tcp_invalid_ratelimit, MSEC, 0, INT_MAX),
	TIME("net.ipv4.tcp_keepalive_intvl", tcp_keepalive_intvl, SEC, 1, 32767),
	INT("net.ipv4.tcp_keepalive_probes", tcp_keepalive_probes, 1, 127),
	TIME("net.ipv4.tcp_keepalive_time", tcp_keepalive_time, SEC, 1, 32767),
	INT("net.ipv4.tcp_max_syn_backlog", tcp_max_syn_backlog, 0, INT_MAX),
	BOOL("net.ipv4.tcp_moderate_rcvbuf", tcp_moderate_rcvbuf),
	INT("net.ipv4.tcp_mtu_probe_floor", tcp_mtu_probe_floor, 48, 65495),
	INT("net.ipv4.tcp_mtu_probing", tcp_mtu_probing, 0, 2),
	INT("net.ipv4.tcp_pacing_ca_ratio", tcp_pacing_ca_ratio, 0, 1000),
	INT("net.ipv4.tcp_pacing_ss_ratio", tcp_pacing_ss_ratio, 0, 1000),
	TIME("net.ipv4.tcp_probe_interval", tcp_probe_interval, SEC, 0, INT_MAX / 1000),
	INT("net.ipv4.tcp_probe_threshold", tcp_probe_threshold, 0, 65535),
	INT("net.ipv4.tcp_recovery", tcp_recovery, 0, 7),
	INT("net.ipv4.tcp_retries2", tcp_retries2, 0, 255),
	VEC("net.ipv4.tcp_rmem", tcp_rmem, 3, 1, INT_MAX),
	{.name = "net.ipv4.tcp_rto_max_ms", .kind = SC_TIME, .count = 1, .off = OFF(tcp_rto_max),
	 .min = 1000, .max = 120000, .unit = MSEC, .check = check_rto_max},
	{.name = "net.ipv4.tcp_rto_min_us", .kind = SC_TIME, .count = 1, .off = OFF(tcp_rto_min),
	 .min = 1, .max = INT_MAX, .unit = TERN_USEC(1), .check = check_rto_min},
	BOOL("net.ipv4.tcp_sack", tcp_sack),
	INT("net.ipv4.tcp_syn_retries", tcp_syn_retries, 1, 127),
	INT("net.ipv4.tcp_synack_retries", tcp_synack_retries, 0, 255),
	INT("net.ipv4.tcp_syncookies", tcp_syncookies, 0, 2),
	BOOL("net.ipv4.tcp_timestamps", tcp_timestamps),
	BOOL("net.ipv4.tcp_window_scaling", tcp_window_scaling),
	VEC("net.ipv4.tcp_wmem", tcp_wmem, 3, 1, INT_MAX),
};
#define NENTRIES (sizeof(table) / sizeof(table[0]))

/* ---- rules between names ---- */

static int check_frag_high(struct tern_stack *s, const struct sc_entry *e, const long long *v)
{
	(void)e;
	/* Linux: high_thresh >= low_thresh; tern: within reassembly's
	 * share of the pool (tern/stack.h). */
	if ((size_t)v[0] < s->cfg->reasm_low_thresh || (size_t)v[0] > s->cfg->pkt_pool_max_bytes / 4)
		return TERN_EINVAL;
	return 0;
}

static int check_frag_low(struct tern_stack *s, const struct sc_entry *e, const long long *v)
{
	(void)e;
	return (size_t)v[0] <= s->cfg->reasm_high_thresh ? 0 : TERN_EINVAL;
}

static void apply_frag_high(struct tern_stack *s)
{
	s->budget.reasm.limit = s->cfg->reasm_high_thresh;
}

static int check_rto_min(struct tern_stack *s, const struct sc_entry *e, const long long *v)
{
	(void)e;
	return v[0] * TERN_USEC(1) <= s->cfg->tcp_rto_max ? 0 : TERN_EINVAL;
}

static int check_rto_max(struct tern_stack *s, const struct sc_entry *e, const long long *v)
{
	(void)e;
	return v[0] * TERN_MSEC(1) >= s->cfg->tcp_rto_min ? 0 : TERN_EINVAL;
}

static int check_port_range(struct tern_stack *s, const struct sc_entry *e, const long long *v)
{
	(void)s;
	(void)e;
	return v[0] <= v[1] ? 0 : TERN_EINVAL; /* Linux's ipv4_local_port_range */
}

/* ---- names ---- */

/* sysctl(8) takes "net/ipv4/tcp_sack" as "net.ipv4.tcp_sack" (no tern
 * name has a dot inside a component). */
static const struct sc_entry *lookup(const char *name)
{
	char key[96];
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= sizeof(key))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		key[i] = name[i] == '/' ? '.' : name[i];
	size_t lo = 0, hi = NENTRIES;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(key, table[mid].name);
		if (c == 0)
			return &table[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *tern_sysctl_name(unsigned i)
{
	return i < NENTRIES ? table[i].name : NULL;
}

bool tern_sysctl_readonly(const char *name)
{
	const struct sc_entry *e = lookup(name);
	return e && e->ro;
}

/* ---- values ---- */

static const void *field(const struct tern_stack *s, const struct sc_entry *e)
{
	return (const char *)s->cfg + e->off;
}

/* The same field in the host's own copy, to change it; NULL without
 * memory. */
static void *field_own(struct tern_stack *s, const struct sc_entry *e)
{
	struct tern_stack_config *own = tern_stack_cfg_own(s);
	return own ? (char *)own + e->off : NULL;
}

static long long load_int(const void *p, unsigned width)
{
	switch (width) {
	case 1: return *(const uint8_t *)p;
	case 2: return *(const uint16_t *)p;
	case 4: return *(const uint32_t *)p;
	default: return (long long)*(const uint64_t *)p;
	}
}

static void store_int(void *p, unsigned width, long long v)
{
	switch (width) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: *(uint16_t *)p = (uint16_t)v; break;
	case 4: *(uint32_t *)p = (uint32_t)v; break;
	default: *(uint64_t *)p = (uint64_t)v; break;
	}
}

/* What the entry holds now, in its shown unit. */
static void load(struct tern_stack *s, const struct sc_entry *e, long long *v)
{
	const char *p = field(s, e);
	for (unsigned i = 0; i < e->count; i++) {
		if (e->kind == SC_TIME)
			v[i] = *(const tern_time_t *)(const void *)p / e->unit;
		else if (e->width == 1 && e->max == 1)
			v[i] = *(const bool *)(const void *)p;
		else
			v[i] = load_int(p + i * e->width, e->width);
	}
}

/* Append to buf, snprintf-style: the length it would have. */
static size_t put(char *buf, size_t len, size_t at, const char *str)
{
	size_t n = strlen(str);
	if (at < len) {
		size_t room = len - at - 1;
		memcpy(buf + at, str, n < room ? n : room);
		buf[at + (n < room ? n : room)] = 0;
	}
	return at + n;
}

int tern_sysctl_get(struct tern_stack *s, const char *name, char *buf, size_t len)
{
	const struct sc_entry *e = lookup(name);
	if (!e)
		return TERN_ENOENT;
	if (!buf || !len)
		return TERN_ENOSPC;
	buf[0] = 0;
	size_t at = 0;
	if (e->kind == SC_CC) {
		/* resolved where TCP keeps it, in the host's own socket table */
		struct tern_sock_table *t = tern_sock_table_own(s);
		if (!t)
			return TERN_ENOMEM;
		at = put(buf, len, 0, t->tcp.cc_default->name);
	} else if (e->kind == SC_CC_LIST) {
		/* Space-separated, as Linux's tcp_get_available_congestion_control. */
		const struct tern_cc_ops *cc;
		for (size_t i = 0; (cc = tern_cc_at(i)); i++) {
			if (i)
				at = put(buf, len, at, " ");
			at = put(buf, len, at, cc->name);
		}
	} else {
		long long v[3];
		load(s, e, v);
		for (unsigned i = 0; i < e->count; i++) {
			char num[24];
			snprintf(num, sizeof(num), "%s%lld", i ? "\t" : "", v[i]);
			at = put(buf, len, at, num);
		}
	}
	return at < len ? (int)at : TERN_ENOSPC;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Up to e->count integers separated by blanks, as proc_dointvec reads
 * them; the ones not given keep their value. */
static int parse_ints(const struct sc_entry *e, const char *value, long long *v)
{
	const char *p = value;
	unsigned n = 0;
	for (;;) {
		while (blank(*p))
			p++;
		if (!*p)
			break;
		if (n == e->count)
			return TERN_EINVAL;
		char *end;
		errno = 0;
		long long x = strtoll(p, &end, 10);
		if (end == p || errno || (*end && !blank(*end)))
			return TERN_EINVAL;
		if (x < e->min || x > e->max)
			return TERN_EINVAL;
		v[n++] = x;
		p = end;
	}
	return n ? 0 : TERN_EINVAL;
}

static int set_cc(struct tern_stack *s, const char *value)
{
	char want[16];
	while (blank(*value))
		value++;
	size_t n = strlen(value);
	while (n && blank(value[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(want))
		return n ? TERN_ENOENT : TERN_EINVAL;
	memcpy(want, value, n);
	want[n] = 0;
	const struct tern_cc_ops *cc = tern_cc_find(want);
	if (!cc)
		return TERN_ENOENT; /* Linux: no such module */
	struct tern_sock_table *t = tern_sock_table_own(s);
	struct tern_stack_config *own = tern_stack_cfg_own(s);
	if (!t || !own)
		return TERN_ENOMEM;
	own->tcp_congestion_control = cc->name;
	t->tcp.cc_default = cc;
	return 0;
}

int tern_sysctl_set(struct tern_stack *s, const char *name, const char *value)
{
	const struct sc_entry *e = lookup(name);
	if (!e)
		return TERN_ENOENT;
	if (e->ro)
		return TERN_EACCES;
	if (!value)
		return TERN_EINVAL;
	if (e->kind == SC_CC)
		return set_cc(s, value);
	long long v[3];
	load(s, e, v);
	int err = parse_ints(e, value, v);
	if (err < 0 || (e->check && (err = e->check(s, e, v)) < 0))
		return err;
	char *p = field_own(s, e);
	if (!p)
		return TERN_ENOMEM;
	for (unsigned i = 0; i < e->count; i++) {
		if (e->kind == SC_TIME)
			*(tern_time_t *)(void *)p = (tern_time_t)v[i] * e->unit;
		else if (e->width == 1 && e->max == 1)
			*(bool *)(void *)p = v[i] != 0;
		else
			store_int(p + i * e->width, e->width, v[i]);
	}
	if (e->apply)
		e->apply(s);
	return 0;
}
