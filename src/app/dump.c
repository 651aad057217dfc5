/*
 * app/dump.c — decoding captured frames into tcpdump-style lines, with
 * tern's own wire parsers (src/wire/), and a small pcap-filter language
 * to pick them (tern/dump.h). `tern dump` reads pcap files around it.
 *
 * Every frame goes through the same validating parsers the stack uses
 * (checksums not verified: fragments cannot be); what a parser refuses
 * is printed as its drop reason. TCP sequence numbers are shown relative
 * to the SYN each direction was seen with, as tcpdump does, from a fixed
 * table of the last 256 directions (no allocation per frame).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tern/dump.h"
#include "tern/stats.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"
#include "wire/udp.h"

#define DUMP_MAX_FLOWS 256
#define DUMP_MAX_TERMS 64

/* ---- the filter ------------------------------------------------------------------ */

enum term_kind { T_HOST, T_PORT, T_PROTO, T_AND, T_OR, T_NOT };
enum { DIR_ANY, DIR_SRC, DIR_DST };
enum { P_ARP, P_IP, P_ICMP, P_UDP, P_TCP };

struct term {
	enum term_kind kind;
	int dir;
	uint32_t value;          /* address, port, protocol */
	int a, b;                /* operands of and, or, not */
};

struct filter {
	struct term t[DUMP_MAX_TERMS];
	int n, root;             /* root -1: everything */
	char **w;
	int nw, pos;
	char err[200];
};

static int add_term(struct filter *f, struct term t)
{
	if (f->n == DUMP_MAX_TERMS) {
		snprintf(f->err, sizeof(f->err), "filter too long");
		return -1;
	}
	f->t[f->n] = t;
	return f->n++;
}

static const char *peek(const struct filter *f)
{
	return f->pos < f->nw ? f->w[f->pos] : NULL;
}

static bool is(const char *w, const char *a, const char *b)
{
	return w && (strcmp(w, a) == 0 || (b && strcmp(w, b) == 0));
}

static int parse_or(struct filter *f);

static int parse_primitive(struct filter *f)
{
	const char *w = peek(f);
	if (!w) {
		snprintf(f->err, sizeof(f->err), "filter ends where a primitive should be");
		return -1;
	}
	if (is(w, "not", "!")) {
		f->pos++;
		int a = parse_primitive(f);
		return a < 0 ? -1 : add_term(f, (struct term){.kind = T_NOT, .a = a});
	}
	static const char *const protos[] = {"arp", "ip", "icmp", "udp", "tcp"};
	for (uint32_t i = 0; i < 5; i++)
		if (strcmp(w, protos[i]) == 0) {
			f->pos++;
			return add_term(f, (struct term){.kind = T_PROTO, .value = i});
		}
	int dir = DIR_ANY;
	if (is(w, "src", NULL) || is(w, "dst", NULL)) {
		dir = w[0] == 's' ? DIR_SRC : DIR_DST;
		f->pos++;
		w = peek(f);
	}
	const char *v = f->pos + 1 < f->nw ? f->w[f->pos + 1] : NULL;
	if (is(w, "host", NULL) && v) {
		tern_ip4_t a;
		if (tern_ip4_parse(v, &a) < 0) {
			snprintf(f->err, sizeof(f->err), "'host %.40s': expected an IPv4 address", v);
			return -1;
		}
		f->pos += 2;
		return add_term(f, (struct term){.kind = T_HOST, .dir = dir, .value = a});
	}
	if (is(w, "port", NULL) && v) {
		char *end;
		unsigned long p = strtoul(v, &end, 10);
		if (!*v || *end || p > 65535) {
			snprintf(f->err, sizeof(f->err), "'port %.40s': expected 0 to 65535", v);
			return -1;
		}
		f->pos += 2;
		return add_term(f, (struct term){.kind = T_PORT, .dir = dir, .value = (uint32_t)p});
	}
	snprintf(f->err, sizeof(f->err), "cannot read the filter at '%.40s' (expected [src|dst] "
		 "host ADDR, [src|dst] port PORT, arp, ip, icmp, udp, tcp or not)", w ? w : "");
	return -1;
}

static int parse_and(struct filter *f)
{
	int a = parse_primitive(f);
	while (a >= 0 && is(peek(f), "and", "&&")) {
		f->pos++;
		int b = parse_primitive(f);
		a = b < 0 ? -1 : add_term(f, (struct term){.kind = T_AND, .a = a, .b = b});
	}
	return a;
}

static int parse_or(struct filter *f)
{
	int a = parse_and(f);
	while (a >= 0 && is(peek(f), "or", "||")) {
		f->pos++;
		int b = parse_and(f);
		a = b < 0 ? -1 : add_term(f, (struct term){.kind = T_OR, .a = a, .b = b});
	}
	return a;
}

/* What the filter looks at in one frame. */
struct facts {
	bool arp, ip, icmp, udp, tcp, ports;
	tern_ip4_t src, dst;
	uint16_t sport, dport;
};

static bool match(const struct filter *f, int i, const struct facts *x)
{
	const struct term *t = &f->t[i];
	switch (t->kind) {
	case T_AND: return match(f, t->a, x) && match(f, t->b, x);
	case T_OR: return match(f, t->a, x) || match(f, t->b, x);
	case T_NOT: return !match(f, t->a, x);
	case T_PROTO: {
		bool v[] = {x->arp, x->ip, x->icmp, x->udp, x->tcp};
		return v[t->value];
	}
	case T_HOST:
		if (!x->arp && !x->ip)
			return false;
		return (t->dir != DIR_DST && x->src == t->value) ||
		       (t->dir != DIR_SRC && x->dst == t->value);
	case T_PORT:
		if (!x->ports)
			return false;
		return (t->dir != DIR_DST && x->sport == t->value) ||
		       (t->dir != DIR_SRC && x->dport == t->value);
	}
	return false;
}

/* ---- decoding -------------------------------------------------------------------- */

struct flow {
	tern_ip4_t src, dst;
	uint16_t sport, dport;
	uint32_t isn;
};

struct tern_dump {
	bool link, verbose, absolute;
	struct filter filter;
	struct flow flows[DUMP_MAX_FLOWS];
	unsigned nflows, next_flow;
	char line[4096];
	size_t len;
};

static void out(struct tern_dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct tern_dump *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (d->len < sizeof(d->line)) {
		int n = vsnprintf(d->line + d->len, sizeof(d->line) - d->len, fmt, ap);
		if (n > 0)
			d->len += (size_t)n;
	}
	va_end(ap);
}

static struct flow *find_flow(struct tern_dump *d, tern_ip4_t s, uint16_t sp, tern_ip4_t t,
			      uint16_t tp)
{
	for (unsigned i = 0; i < d->nflows; i++) {
		struct flow *f = &d->flows[i];
		if (f->src == s && f->sport == sp && f->dst == t && f->dport == tp)
			return f;
	}
	return NULL;
}

/* A SYN starts (or restarts) a direction's numbering; a full table
 * recycles its oldest entry. */
static void learn_flow(struct tern_dump *d, tern_ip4_t s, uint16_t sp, tern_ip4_t t, uint16_t tp,
		       uint32_t isn)
{
	struct flow *f = find_flow(d, s, sp, t, tp);
	if (!f) {
		if (d->nflows < DUMP_MAX_FLOWS) {
			f = &d->flows[d->nflows++];
		} else {
			f = &d->flows[d->next_flow];
			d->next_flow = (d->next_flow + 1) % DUMP_MAX_FLOWS;
		}
	}
	*f = (struct flow){s, t, sp, tp, isn};
}

static void ip_str(tern_ip4_t a, char *buf)
{
	tern_ip4_str(a, buf);
}

static void decode_tcp(struct tern_dump *d, const struct tern_ipv4_repr *ip, const uint8_t *p,
		       size_t len)
{
	struct tern_tcp_repr t;
	char s[TERN_IP4_STRLEN], ds[TERN_IP4_STRLEN];
	ip_str(ip->src, s);
	ip_str(ip->dst, ds);
	enum tern_stat st = tern_tcp_parse(p, len, ip->src, ip->dst, TERN_WIRE_NO_CSUM, &t);
	if (st != TERN_STAT_NONE) {
		out(d, "%s > %s: tcp [%s], length %zu", s, ds, tern_stat_name(st), len);
		return;
	}
	out(d, "%s.%u > %s.%u: Flags [", s, t.sport, ds, t.dport);
	static const struct { uint8_t bit; char c; } fl[] = {
		{TERN_TCP_FIN, 'F'}, {TERN_TCP_SYN, 'S'}, {TERN_TCP_RST, 'R'}, {TERN_TCP_PSH, 'P'},
		{TERN_TCP_ACK, '.'}, {TERN_TCP_URG, 'U'}, {TERN_TCP_ECE, 'E'}, {TERN_TCP_CWR, 'W'},
	};
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (t.flags & fl[i].bit)
			out(d, "%c", fl[i].c);
	if (!t.flags)
		out(d, "none");
	out(d, "]");
	bool syn = t.flags & TERN_TCP_SYN;
	if (syn && !d->absolute)
		learn_flow(d, ip->src, t.sport, ip->dst, t.dport, t.seq);
	const struct flow *mine = d->absolute || syn ? NULL
				  : find_flow(d, ip->src, t.sport, ip->dst, t.dport);
	const struct flow *theirs = d->absolute || syn ? NULL
				    : find_flow(d, ip->dst, t.dport, ip->src, t.sport);
	uint32_t seq = mine ? t.seq - mine->isn : t.seq;
	if (t.payload_len)
		out(d, ", seq %u:%u", seq, seq + (uint32_t)t.payload_len);
	else if (t.flags & (TERN_TCP_SYN | TERN_TCP_FIN | TERN_TCP_RST) || !(t.flags & TERN_TCP_ACK))
		out(d, ", seq %u", seq);
	if (t.flags & TERN_TCP_ACK)
		out(d, ", ack %u", theirs ? t.ack - theirs->isn : t.ack);
	out(d, ", win %u", t.window);
	if (t.flags & TERN_TCP_URG)
		out(d, ", urg %u", t.urgent);
	if (t.has_mss || t.sack_perm || t.has_ts || t.has_wscale || t.sack_count || t.has_tfo) {
		const char *sep = "";
		out(d, ", options [");
		if (t.has_mss) {
			out(d, "mss %u", t.mss);
			sep = ",";
		}
		if (t.sack_perm) {
			out(d, "%ssackOK", sep);
			sep = ",";
		}
		if (t.has_ts) {
			out(d, "%sTS val %u ecr %u", sep, t.tsval, t.tsecr);
			sep = ",";
		}
		if (t.has_wscale) {
			out(d, "%swscale %u", sep, t.wscale);
			sep = ",";
		}
		if (t.sack_count) {
			out(d, "%ssack %u", sep, t.sack_count);
			for (unsigned i = 0; i < t.sack_count; i++)
				out(d, " {%u:%u}", theirs ? t.sack[i].left - theirs->isn : t.sack[i].left,
				    theirs ? t.sack[i].right - theirs->isn : t.sack[i].right);
			sep = ",";
		}
		if (t.has_tfo) { /* as tcpdump: "tfo  cookiereq", "tfo  cookie HEX" */
			out(d, "%stfo  %s", sep, t.tfo_len ? "cookie " : "cookiereq");
			for (unsigned i = 0; i < t.tfo_len; i++)
				out(d, "%02x", t.tfo_cookie[i]);
		}
		out(d, "]");
	}
	out(d, ", length %zu", t.payload_len);
}

static const char *proto_name(uint8_t p)
{
	return p == TERN_IPPROTO_ICMP ? "icmp" : p == TERN_IPPROTO_UDP ? "udp"
	       : p == TERN_IPPROTO_TCP ? "tcp" : NULL;
}

/* An ICMP error's quoted datagram: its destination, protocol and port. */
static void quoted(const struct tern_icmp_repr *ic, tern_ip4_t *dst, uint8_t *proto,
		   uint16_t *dport)
{
	const uint8_t *q = ic->data;
	size_t hl = tern_ipv4_hdr_len(q); /* the parser checked hl + 8 bytes are there */
	*dst = rd32(q + 16);
	*proto = q[9];
	*dport = rd16(q + hl + 2);
}

static void decode_icmp(struct tern_dump *d, const struct tern_ipv4_repr *ip, const uint8_t *p,
			size_t len)
{
	struct tern_icmp_repr ic;
	char s[TERN_IP4_STRLEN], ds[TERN_IP4_STRLEN], q[TERN_IP4_STRLEN];
	ip_str(ip->src, s);
	ip_str(ip->dst, ds);
	out(d, "%s > %s: ICMP ", s, ds);
	enum tern_stat st = tern_icmp_parse(p, len, TERN_WIRE_NO_CSUM, &ic);
	if (st != TERN_STAT_NONE) {
		out(d, "[%s], length %zu", tern_stat_name(st), len);
		return;
	}
	tern_ip4_t qd = 0;
	uint8_t qp = 0;
	uint16_t qport = 0;
	if (tern_icmp_is_error(ic.type))
		quoted(&ic, &qd, &qp, &qport);
	ip_str(qd, q);
	switch (ic.type) {
	case TERN_ICMP_ECHO:
	case TERN_ICMP_ECHO_REPLY:
		out(d, "echo %s, id %u, seq %u", ic.type ? "request" : "reply", ic.u.echo.id,
		    ic.u.echo.seq);
		break;
	case TERN_ICMP_TIME_EXCEEDED:
		out(d, "time exceeded %s", ic.code ? "fragment reassembly" : "in-transit");
		break;
	case TERN_ICMP_DEST_UNREACH:
		if (ic.code == TERN_ICMP_PORT_UNREACH && proto_name(qp))
			out(d, "%s %s port %u unreachable", q, proto_name(qp), qport);
		else if (ic.code == TERN_ICMP_FRAG_NEEDED)
			out(d, "%s unreachable - need to frag (mtu %u)", q, ic.u.mtu);
		else if (ic.code == TERN_ICMP_HOST_UNREACH)
			out(d, "host %s unreachable", q);
		else if (ic.code == TERN_ICMP_NET_UNREACH)
			out(d, "net %s unreachable", q);
		else if (ic.code == TERN_ICMP_PROTO_UNREACH)
			out(d, "%s protocol %u unreachable", q, qp);
		else
			out(d, "%s unreachable - code %u", q, ic.code);
		break;
	case TERN_ICMP_REDIRECT: {
		char gw[TERN_IP4_STRLEN];
		out(d, "redirect %s to %s %s", q, ic.code & 1 ? "host" : "net",
		    tern_ip4_str(ic.u.gateway, gw));
		break;
	}
	default:
		out(d, "type-#%u", ic.type);
	}
	out(d, ", length %zu", len);
}

static void decode_ip(struct tern_dump *d, const uint8_t *p, size_t len, struct facts *x)
{
	struct tern_ipv4_repr ip;
	enum tern_stat st = tern_ipv4_parse(p, len, TERN_WIRE_NO_CSUM, &ip);
	if (st != TERN_STAT_NONE) {
		out(d, "IP [%s], length %zu", tern_stat_name(st), len);
		return;
	}
	x->ip = true;
	x->src = ip.src;
	x->dst = ip.dst;
	const uint8_t *pl = p + ip.hlen;
	size_t plen = ip.total_len - ip.hlen;
	bool frag = ip.mf || ip.frag_off;
	x->icmp = ip.proto == TERN_IPPROTO_ICMP;
	x->udp = ip.proto == TERN_IPPROTO_UDP;
	x->tcp = ip.proto == TERN_IPPROTO_TCP;
	if (!d->link)
		out(d, "IP ");
	if (d->verbose) {
		const char *pn = ip.proto == 1 ? "ICMP" : ip.proto == 17 ? "UDP"
				 : ip.proto == 6 ? "TCP" : "unknown";
		/* tcpdump names the ECN codepoint after the TOS (RFC 3168 §5) */
		static const char *const ecn[] = {"", ",ECT(1)", ",ECT(0)", ",CE"};
		out(d, "(tos 0x%x%s, ttl %u, id %u, offset %u, flags [%s], proto %s (%u), length %u)\n"
		       "    ", ip.tos, ecn[ip.tos & 3], ip.ttl, ip.id, ip.frag_off,
		    ip.df ? "DF" : ip.mf ? "+" : "none", pn, ip.proto, ip.total_len);
	}
	char s[TERN_IP4_STRLEN], ds[TERN_IP4_STRLEN];
	ip_str(ip.src, s);
	ip_str(ip.dst, ds);
	if (ip.frag_off) {
		out(d, "%s > %s: ip-proto-%u", s, ds, ip.proto);
	} else if (x->icmp) {
		decode_icmp(d, &ip, pl, plen);
	} else if (x->tcp) {
		if (plen >= 4) {
			x->ports = true;
			x->sport = rd16(pl);
			x->dport = rd16(pl + 2);
		}
		if (frag)
			out(d, "%s.%u > %s.%u: tcp", s, x->sport, ds, x->dport);
		else
			decode_tcp(d, &ip, pl, plen);
	} else if (x->udp) {
		struct tern_udp_repr u;
		if (plen >= 4) {
			x->ports = true;
			x->sport = rd16(pl);
			x->dport = rd16(pl + 2);
		}
		if (!frag && tern_udp_parse(pl, plen, ip.src, ip.dst, TERN_WIRE_NO_CSUM, &u) ==
				     TERN_STAT_NONE)
			out(d, "%s.%u > %s.%u: UDP, length %u", s, u.sport, ds, u.dport,
			    u.len - TERN_UDP_HLEN);
		else if (x->ports && frag)
			out(d, "%s.%u > %s.%u: UDP, length %u", s, x->sport, ds, x->dport,
			    plen >= 6 ? rd16(pl + 4) - TERN_UDP_HLEN : 0);
		else
			out(d, "%s > %s: udp [bad header], length %zu", s, ds, plen);
	} else {
		out(d, "%s > %s: ip-proto-%u %zu", s, ds, ip.proto, plen);
	}
	if (frag)
		out(d, " (frag %u:%zu@%u%s)", ip.id, plen, ip.frag_off, ip.mf ? "+" : "");
}

static void decode_frame(struct tern_dump *d, const uint8_t *f, size_t len, struct facts *x)
{
	struct tern_eth_repr e;
	enum tern_stat st = tern_eth_parse(f, len, &e);
	if (st != TERN_STAT_NONE) {
		out(d, "[%s], length %zu", tern_stat_name(st), len);
		return;
	}
	const char *tn = e.ethertype == TERN_ETHERTYPE_IPV4 ? "IPv4"
			 : e.ethertype == TERN_ETHERTYPE_ARP ? "ARP"
			 : e.ethertype == TERN_ETHERTYPE_IPV6 ? "IPv6" : "Unknown";
	if (d->link) {
		char a[TERN_MAC_STRLEN], b[TERN_MAC_STRLEN];
		out(d, "%s > %s, ethertype %s (0x%04x), length %zu: ", tern_mac_str(&e.src, a),
		    tern_mac_str(&e.dst, b), tn, e.ethertype, len);
	}
	const uint8_t *p = f + TERN_ETH_HLEN;
	size_t plen = len - TERN_ETH_HLEN;
	if (e.ethertype == TERN_ETHERTYPE_IPV4) {
		decode_ip(d, p, plen, x);
	} else if (e.ethertype == TERN_ETHERTYPE_ARP) {
		struct tern_arp_repr a;
		x->arp = true;
		if (!d->link)
			out(d, "ARP, ");
		st = tern_arp_parse(p, plen, &a);
		if (st != TERN_STAT_NONE) {
			out(d, "[%s], length %zu", tern_stat_name(st), plen);
			return;
		}
		x->src = a.spa;
		x->dst = a.tpa;
		char s[TERN_IP4_STRLEN], t[TERN_IP4_STRLEN], m[TERN_MAC_STRLEN];
		tern_ip4_str(a.spa, s);
		tern_ip4_str(a.tpa, t);
		if (a.op == TERN_ARP_OP_REQUEST)
			out(d, "Request who-has %s tell %s, length %zu", t, s, plen);
		else
			out(d, "Reply %s is-at %s, length %zu", s, tern_mac_str(&a.sha, m), plen);
	} else {
		if (!d->link)
			out(d, "ethertype %s (0x%04x), ", tn, e.ethertype);
		out(d, "length %zu", plen);
	}
}

/* ---- the API ------------------------------------------------------------------------ */

struct tern_dump *tern_dump_create(const struct tern_dump_opts *o)
{
	struct tern_dump *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (o) {
		d->link = o->link;
		d->verbose = o->verbose;
		d->absolute = o->absolute;
	}
	d->filter.root = -1;
	return d;
}

void tern_dump_destroy(struct tern_dump *d)
{
	free(d);
}

int tern_dump_set_filter(struct tern_dump *d, int nwords, char **words, char *err, size_t errlen)
{
	struct filter *f = &d->filter;
	memset(f, 0, sizeof(*f));
	f->root = -1;
	if (nwords <= 0)
		return 0;
	f->w = words;
	f->nw = nwords;
	int root = parse_or(f);
	if (root >= 0 && f->pos < f->nw) {
		snprintf(f->err, sizeof(f->err), "unexpected '%.40s' in the filter (join primitives "
			 "with and, or)", f->w[f->pos]);
		root = -1;
	}
	f->w = NULL;
	if (root < 0) {
		snprintf(err, errlen, "%s", f->err);
		f->n = 0;
		return -1;
	}
	f->root = root;
	return 0;
}

bool tern_dump_frame(struct tern_dump *d, const uint8_t *frame, size_t len, const char **line)
{
	struct facts x = {0};
	d->len = 0;
	d->line[0] = '\0';
	decode_frame(d, frame, len, &x);
	if (d->len >= sizeof(d->line))
		d->len = sizeof(d->line) - 1;
	d->line[d->len] = '\0';
	*line = d->line;
	return d->filter.root < 0 || match(&d->filter, d->filter.root, &x);
}
