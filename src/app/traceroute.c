/*
 * app/traceroute.c — traceroute as an application on a tern host: probes
 * with growing TTLs, ICMP time-exceeded / unreachable / echo-reply answers
 * in, and the text the Linux traceroute (2.x) prints.
 *
 * Probes are numbered as traceroute numbers them: probe n is query
 * n % nqueries of hop n / nqueries + 1, starting at (first_ttl - 1) *
 * nqueries. A UDP probe goes from port `ident` to port `port + n`, so the
 * UDP header quoted in the ICMP answer names the probe; an ICMP probe is an
 * echo request with identifier `ident` and sequence n + 1.
 *
 * Like traceroute's -N, up to sim_queries probes are in flight at once.
 * Results print in probe order as soon as every earlier probe is done, so
 * lines come out hop by hop. A probe expires after -w MAX seconds, or
 * sooner once a probe of the same hop answered (HERE times its RTT) or a
 * later probe answered (NEAR times its RTT), as traceroute's -w
 * MAX,HERE,NEAR does. An answer that ends the trace (the destination's
 * port unreachable, an echo reply, any other unreachable) cuts the run
 * after that probe's hop.
 *
 * Sans-I/O: one timer for the earliest expiry, one ICMP listener; each
 * event calls advance(), which expires, prints, sends and re-arms.
 */
#include "tern/apps.h"

#include <stdlib.h>
#include <string.h>

#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/udp.h"

#define TR_HDR_UDP (TERN_IPV4_HLEN + TERN_UDP_HLEN)
#define TR_HDR_ICMP (TERN_IPV4_HLEN + TERN_ICMP_HLEN)
#define TR_MAX_PACKETLEN 65000        /* traceroute's limit */
#define TR_WAIT_PREC TERN_MSEC(1)     /* added to an RTT before scaling it */

struct probe {
	bool sent, done, final;
	tern_time_t send_time, recv_time; /* recv_time 0: no answer */
	tern_ip4_t from;
	char err[16];                     /* "!H", "!F-1280" ... */
};

struct tern_traceroute {
	struct tern_stack *s;
	struct tern_traceroute_opts o;
	char name[256];
	FILE *out;
	int listen;
	struct tern_timer timer;
	tern_ip4_t src;                   /* for the UDP pseudo-header */
	struct probe *probes;             /* max_ttl * nqueries, indexed by probe number */
	unsigned start;                   /* next probe to print */
	unsigned end;                     /* one past the last probe of the run */
	bool done;
	bool busy, again;                 /* advance() running / asked to run again */
	struct tern_traceroute_result res;
	uint8_t *buf;                     /* transport header + data of a probe */
	size_t l4_len;
};

void tern_traceroute_opts_init(struct tern_traceroute_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->first_ttl = 1;
	o->max_ttl = 30;
	o->nqueries = 3;
	o->port = 33434;
	o->packetlen = 60;
	o->wait = TERN_SEC(5);
	o->wait_here = 3.0;
	o->wait_near = 10.0;
	o->sim_queries = 16;
}

/* ---- timeouts ------------------------------------------------------------ */

static tern_time_t scaled(tern_time_t rtt, double factor, tern_time_t max)
{
	double v = (double)(rtt + TR_WAIT_PREC) * factor;
	return v < (double)max ? (tern_time_t)v : max;
}

static bool answered(const struct probe *pb)
{
	return pb->done && pb->recv_time > pb->send_time;
}

/* How long probe n may stay unanswered: traceroute's -w MAX,HERE,NEAR. A
 * hop that answered quickly is not worth waiting MAX seconds for. */
static tern_time_t probe_timeout(const struct tern_traceroute *t, unsigned n)
{
	unsigned nq = t->o.nqueries;
	if (t->o.wait_here > 0) {
		for (unsigned i = n - n % nq; i < n - n % nq + nq; i++) {
			const struct probe *pb = &t->probes[i];
			if (i != n && answered(pb))
				return scaled(pb->recv_time - pb->send_time, t->o.wait_here, t->o.wait);
		}
	}
	if (t->o.wait_near > 0) {
		for (unsigned i = n + 1; i < t->end && t->probes[i].sent; i++) {
			const struct probe *pb = &t->probes[i];
			if (answered(pb))
				return scaled(pb->recv_time - pb->send_time, t->o.wait_near, t->o.wait);
		}
	}
	return t->o.wait;
}

/* ---- output ---------------------------------------------------------------- */

static void print_addr(const struct tern_traceroute *t, tern_ip4_t a)
{
	char s[TERN_IP4_STRLEN];
	tern_ip4_str(a, s);
	/* Without a resolver the name is the address, as traceroute shows
	 * when the reverse lookup finds nothing. */
	if (t->o.numeric)
		fprintf(t->out, " %s", s);
	else
		fprintf(t->out, " %s (%s)", s, s);
}

/* One probe's part of its hop's line; the first opens the line, the last
 * ends it. An address prints when it differs from the last one that
 * answered in this hop. */
static void print_probe(struct tern_traceroute *t, unsigned n)
{
	const struct probe *pb = &t->probes[n];
	unsigned nq = t->o.nqueries, np = n % nq, ttl = n / nq + 1;
	unsigned line = ttl - t->o.first_ttl;

	if (np == 0)
		fprintf(t->out, "%2u ", ttl);
	if (!pb->from) {
		fprintf(t->out, " *");
	} else {
		const struct probe *prev = NULL;
		for (unsigned i = n - np; i < n; i++)
			if (t->probes[i].from)
				prev = &t->probes[i];
		if (!prev || prev->from != pb->from)
			print_addr(t, pb->from);
		if (line < TERN_TRACEROUTE_MAX_HOPS && !t->res.hop_addr[line])
			t->res.hop_addr[line] = pb->from;
	}
	if (pb->recv_time)
		fprintf(t->out, "  %.3f ms", (double)(pb->recv_time - pb->send_time) / 1e6);
	if (pb->err[0])
		fprintf(t->out, " %s", pb->err);
	if (np == nq - 1) {
		fputc('\n', t->out);
		t->res.hops++;
	}
	fflush(t->out);
}

/* ---- sending ---------------------------------------------------------------- */

static uint8_t data_byte(size_t i)
{
	return (uint8_t)(0x40 + (i & 0x3f)); /* traceroute's filler */
}

static int send_probe(struct tern_traceroute *t, unsigned n, tern_time_t now)
{
	uint8_t ttl = (uint8_t)(n / t->o.nqueries + 1);
	struct tern_ip_send ip = {.src = t->o.src, .dst = t->o.dst, .ttl = ttl,
				  .df = t->o.dont_fragment};
	uint8_t *data;
	if (t->o.icmp) {
		data = t->buf + TERN_ICMP_HLEN;
		struct tern_icmp_repr r = {
			.type = TERN_ICMP_ECHO,
			.u.echo = {.id = t->o.ident, .seq = (uint16_t)(n + 1)},
			.data = data,
			.data_len = t->l4_len - TERN_ICMP_HLEN,
		};
		tern_icmp_emit(&r, t->buf);
		ip.proto = TERN_IPPROTO_ICMP;
	} else {
		struct tern_udp_repr r = {
			.sport = t->o.ident,
			.dport = (uint16_t)(t->o.port + n),
			.len = (uint16_t)t->l4_len,
		};
		tern_udp_emit(&r, t->buf, t->src, t->o.dst);
		ip.proto = TERN_IPPROTO_UDP;
	}
	struct probe *pb = &t->probes[n];
	pb->sent = true;
	pb->send_time = now;
	return tern_ip_send_raw(t->s, &ip, t->buf, t->l4_len, now);
}

/* -F and a probe too big for our own egress MTU: the error is local, as
 * Linux reports EMSGSIZE on the socket's error queue, and traceroute
 * prints it without an address: " 1  *  0.033 ms !F-1500". It ends the
 * trace like any other "fragmentation needed". */
static void local_too_big(struct tern_traceroute *t, unsigned n)
{
	struct probe *pb = &t->probes[n];
	struct tern_route_result rr;
	int mtu = tern_route_lookup(t->s, t->o.dst, &rr) == 0 ? tern_stack_iface_mtu(t->s, rr.ifindex)
							      : 0;
	pb->done = pb->final = true;
	pb->recv_time = pb->send_time + 1; /* answered, at once */
	snprintf(pb->err, sizeof(pb->err), "!F-%d", mtu > 0 ? mtu : 0);
	unsigned hop_end = (n / t->o.nqueries + 1) * t->o.nqueries;
	if (hop_end < t->end)
		t->end = hop_end;
}

/* ---- the loop ------------------------------------------------------------- */

/* Expire, print what is ready, send more, and arm the timer for the next
 * expiry. Answers may arrive from inside tern_ip_send_raw (a probe to our
 * own address): they only mark their probe and ask for another round. */
static void advance(struct tern_traceroute *t, tern_time_t now)
{
	if (t->busy) {
		t->again = true;
		return;
	}
	t->busy = true;
	do {
		t->again = false;
		unsigned inflight = 0;
		for (unsigned n = t->start; n < t->end; n++) {
			struct probe *pb = &t->probes[n];
			if (pb->sent && !pb->done && now - pb->send_time >= probe_timeout(t, n))
				pb->done = true;
			if (pb->done) {
				if (n == t->start) {
					print_probe(t, n);
					t->start++;
				}
				continue;
			}
			if (!pb->sent) {
				int rc = send_probe(t, n, now);
				if (rc == TERN_EMSGSIZE && t->o.dont_fragment) {
					local_too_big(t, n);
					t->again = true;
				} else if (rc < 0) {
					pb->done = true; /* as lost: it prints as '*' */
					t->again = true;
				}
				if (t->again)
					break; /* rescan: print it, or honour the answer */
			}
			if (++inflight >= t->o.sim_queries)
				break;
		}
	} while (t->again);
	t->busy = false;

	tern_timer_cancel(t->s, &t->timer);
	if (t->start >= t->end) {
		t->done = true;
		return;
	}
	tern_time_t next = TERN_TIME_NEVER;
	for (unsigned n = t->start; n < t->end; n++) {
		const struct probe *pb = &t->probes[n];
		if (pb->sent && !pb->done) {
			tern_time_t when = pb->send_time + probe_timeout(t, n);
			if (when < next)
				next = when;
		}
	}
	if (next != TERN_TIME_NEVER)
		tern_timer_arm(t->s, &t->timer, next > now ? next : now);
}

static void timer_fn(struct tern_stack *s, struct tern_timer *tm, tern_time_t now)
{
	struct tern_traceroute *t = TERN_CONTAINER_OF(tm, struct tern_traceroute, timer);
	advance(t, now);
}

/* ---- answers ----------------------------------------------------------------- */

/* Which probe an ICMP message answers, or -1. */
static long match_probe(const struct tern_traceroute *t, const struct tern_icmp_msg *m)
{
	uint32_t n;
	if (t->o.icmp && m->type == TERN_ICMP_ECHO_REPLY) {
		if (m->id != t->o.ident)
			return -1;
		n = (uint16_t)(m->seq - 1);
	} else {
		if (!m->has_quote || m->q_dst != t->o.dst)
			return -1;
		if (m->type != TERN_ICMP_TIME_EXCEEDED && m->type != TERN_ICMP_DEST_UNREACH &&
		    m->type != TERN_ICMP_PARAM_PROBLEM)
			return -1;
		if (t->o.icmp) {
			if (m->q_proto != TERN_IPPROTO_ICMP || m->q_l4_len < TERN_ICMP_HLEN ||
			    m->q_l4[0] != TERN_ICMP_ECHO || rd16(m->q_l4 + 4) != t->o.ident)
				return -1;
			n = (uint16_t)(rd16(m->q_l4 + 6) - 1);
		} else {
			if (m->q_proto != TERN_IPPROTO_UDP || m->q_l4_len < 4 ||
			    rd16(m->q_l4) != t->o.ident)
				return -1;
			n = (uint16_t)(rd16(m->q_l4 + 2) - t->o.port);
		}
	}
	if (n < t->start || n >= t->end || !t->probes[n].sent || t->probes[n].done)
		return -1;
	return (long)n;
}

/* traceroute's reading of an answer: time exceeded in transit means "a
 * hop", anything else ends the trace, annotated unless it is the port
 * unreachable that says the destination was reached. */
static void classify(struct tern_traceroute *t, struct probe *pb, const struct tern_icmp_msg *m)
{
	if (m->type == TERN_ICMP_ECHO_REPLY) {
		pb->final = true;
		t->res.reached = true;
		return;
	}
	if (m->type == TERN_ICMP_TIME_EXCEEDED && m->code == TERN_ICMP_EXC_TTL)
		return;
	pb->final = true;
	if (m->type != TERN_ICMP_DEST_UNREACH) {
		snprintf(pb->err, sizeof(pb->err), "!<%u-%u>", m->type, m->code);
		return;
	}
	const char *s = NULL;
	switch (m->code) {
	case TERN_ICMP_PORT_UNREACH:
		t->res.reached = true;
		return;
	case TERN_ICMP_NET_UNREACH: case TERN_ICMP_NET_UNKNOWN: case 8: /* isolated */
	case 11: /* net for TOS */
		s = "!N";
		break;
	case TERN_ICMP_HOST_UNREACH: case TERN_ICMP_HOST_UNKNOWN: case 12: /* host for TOS */
		s = "!H";
		break;
	case TERN_ICMP_NET_PROHIB: case TERN_ICMP_HOST_PROHIB: case TERN_ICMP_ADMIN_PROHIB:
		s = "!X";
		break;
	case TERN_ICMP_PROTO_UNREACH:
		s = "!P";
		break;
	case TERN_ICMP_SR_FAILED:
		s = "!S";
		break;
	case 14: /* host precedence violation */
		s = "!V";
		break;
	case 15: /* precedence cutoff */
		s = "!C";
		break;
	case TERN_ICMP_FRAG_NEEDED:
		snprintf(pb->err, sizeof(pb->err), "!F-%u", m->mtu);
		return;
	default:
		snprintf(pb->err, sizeof(pb->err), "!<%u>", m->code);
		return;
	}
	snprintf(pb->err, sizeof(pb->err), "%s", s);
}

static void on_icmp(void *ctx, struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now)
{
	struct tern_traceroute *t = ctx;
	if (t->done)
		return;
	long n = match_probe(t, m);
	if (n < 0)
		return;
	struct probe *pb = &t->probes[n];
	pb->done = true;
	pb->from = m->src;
	/* An answer in the same instant still took some time on a real
	 * network; keep recv_time > send_time so "answered" holds. */
	pb->recv_time = now > pb->send_time ? now : pb->send_time + 1;
	classify(t, pb, m);
	if (pb->final) {
		unsigned hop_end = ((unsigned)n / t->o.nqueries + 1) * t->o.nqueries;
		if (hop_end < t->end)
			t->end = hop_end;
	}
	advance(t, now);
}

/* ---- life cycle ------------------------------------------------------------ */

static int check_opts(const struct tern_traceroute_opts *o)
{
	if (o->first_ttl < 1 || o->max_ttl < o->first_ttl || o->nqueries < 1 || o->nqueries > 10 ||
	    o->sim_queries < 1 || o->wait < 0 || o->packetlen > TR_MAX_PACKETLEN)
		return TERN_EINVAL;
	return 0;
}

struct tern_traceroute *tern_traceroute_start(struct tern_stack *s,
					      const struct tern_traceroute_opts *o, FILE *out,
					      tern_time_t now, int *err)
{
	int rc = check_opts(o);
	struct tern_route_result rr;
	if (rc == 0 && tern_route_lookup(s, o->dst, &rr) < 0)
		rc = TERN_ENETUNREACH;
	if (rc < 0) {
		*err = rc;
		return NULL;
	}
	struct tern_traceroute *t = calloc(1, sizeof(*t));
	if (!t) {
		*err = TERN_ENOMEM;
		return NULL;
	}
	t->s = s;
	t->o = *o;
	t->out = out;
	char dst[TERN_IP4_STRLEN];
	tern_ip4_str(o->dst, dst);
	snprintf(t->name, sizeof(t->name), "%s", o->dst_name ? o->dst_name : dst);
	t->o.dst_name = t->name;
	/* traceroute raises a packet length below the headers to the headers. */
	size_t hdr = o->icmp ? TR_HDR_ICMP : TR_HDR_UDP;
	if (t->o.packetlen < hdr)
		t->o.packetlen = hdr;
	t->l4_len = t->o.packetlen - TERN_IPV4_HLEN;
	t->src = o->src ? o->src : rr.src;
	t->probes = calloc((size_t)t->o.max_ttl * t->o.nqueries, sizeof(*t->probes));
	t->buf = malloc(t->l4_len);
	if (!t->probes || !t->buf)
		goto nomem;
	size_t l4h = o->icmp ? TERN_ICMP_HLEN : TERN_UDP_HLEN;
	for (size_t i = 0; i < t->l4_len - l4h; i++)
		t->buf[l4h + i] = data_byte(i);
	tern_timer_init(&t->timer, timer_fn);
	t->listen = tern_icmp_listen(s, on_icmp, t);
	if (t->listen < 0) {
		*err = t->listen;
		free(t->buf);
		free(t->probes);
		free(t);
		return NULL;
	}
	t->start = (unsigned)(t->o.first_ttl - 1) * t->o.nqueries;
	t->end = (unsigned)t->o.max_ttl * t->o.nqueries;

	fprintf(out, "traceroute to %s (%s), %u hops max, %zu byte packets\n", t->name, dst,
		t->o.max_ttl, t->o.packetlen);
	fflush(out);
	*err = 0;
	advance(t, now);
	return t;
nomem:
	free(t->buf);
	free(t->probes);
	free(t);
	*err = TERN_ENOMEM;
	return NULL;
}

bool tern_traceroute_done(const struct tern_traceroute *t)
{
	return t->done;
}

void tern_traceroute_get_result(const struct tern_traceroute *t, struct tern_traceroute_result *r)
{
	*r = t->res;
}

int tern_traceroute_finish(struct tern_traceroute *t, tern_time_t now)
{
	tern_timer_cancel(t->s, &t->timer);
	tern_icmp_unlisten(t->s, t->listen);
	/* Stopped early (Ctrl-C): end the half-printed line as traceroute's
	 * exit would. */
	if (!t->done && t->start % t->o.nqueries != 0)
		fputc('\n', t->out);
	fflush(t->out);
	int status = t->res.reached ? 0 : 1;
	free(t->buf);
	free(t->probes);
	free(t);
	return status;
}
