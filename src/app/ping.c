/*
 * app/ping.c — ping as an application on a tern host: ICMP echo requests
 * out, replies and errors in, and the text iputils ping prints.
 *
 * Sans-I/O like the stack it runs on: a send timer paces the requests
 * (tern_ip_send_raw), an ICMP listener (tern_icmp_listen) sees replies and
 * errors, and an exit timer implements -W and -w. Whoever polls the stack
 * drives the ping; nothing here reads a clock.
 *
 * Behaviour follows iputils ping as observed against the real program:
 *   - the first request leaves at start, then each one interval after the
 *     one before;
 *   - the payload starts with the send time (16 bytes where iputils puts
 *     a struct timeval), then bytes 0x10, 0x11, ... (byte i holds i);
 *     the RTT is read back from the reply's timestamp;
 *   - with -c and no -w, after the last request it waits for replies
 *     max(2 * max RTT, interval) if any reply came, else -W; it also stops
 *     once replies + errors reach the count;
 *   - with -w it keeps sending until the deadline or count replies, and
 *     stops at the first error;
 *   - "time Nms" in the summary is from the first to the last request;
 *   - with interval 0 (-i 0, -f) the next request leaves as soon as the
 *     last one is answered (a reply or an error), else 10 ms after it,
 *     so one is in flight (iputils' pinger with preload 1 and its
 *     MININTERVAL); the summary then adds "ipg/ewma": the mean gap
 *     between requests and the smoothed RTT (gain 1/8, as iputils);
 *   - -f prints '.' per request, a backspace per reply, 'E' per error;
 *   - local errors and the SIGQUIT status line go to the error stream
 *     (stderr in the tool), as iputils prints them with error(3).
 */
#include "tern/apps.h"

#include <stdlib.h>
#include <string.h>

#include "app/format.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define PING_TS_LEN 16                 /* where iputils keeps its timeval */
#define PING_MAX_SIZE (TERN_IPV4_MAX_LEN - TERN_IPV4_HLEN - TERN_ICMP_HLEN)
#define PING_SEQ_SPACE 65536
#define PING_MININTERVAL TERN_MSEC(10) /* iputils' MININTERVAL: -i 0 with a request in flight */

struct tern_ping {
	struct tern_stack *s;
	struct tern_ping_opts o;
	char name[256];                /* destination as typed */
	FILE *out;
	FILE *err;                     /* local errors, the status line */
	int listen;                    /* ICMP listener handle */
	int oif;                       /* -I IFACE: its index + 1 (tern_ip_send.oif); 0: none */
	struct tern_timer send_timer;
	struct tern_timer exit_timer;  /* -W linger after the last send, or -w */
	bool timing;                   /* payload holds a timestamp */
	bool exiting;
	tern_time_t start, last_send;
	unsigned ntransmitted, nreceived, nerrors, nrepeats, nwrong;
	unsigned pipesize;             /* most requests in flight, as iputils' "pipe" */
	uint16_t acked;                /* newest sequence answered (iputils' rts->acked) */
	struct tern_app_rtt rtt;       /* microseconds */
	int64_t rtt8;                  /* 8 x the smoothed RTT in µs (iputils' rts->rtt) */
	uint8_t last_err_type, last_err_code;
	tern_ip4_t last_err_from;
	uint16_t last_err_mtu;
	uint8_t *pkt;                  /* ICMP header + payload being sent */
	size_t pkt_len;
	uint8_t rcvd[PING_SEQ_SPACE / 8]; /* one bit per sequence number: duplicates */
};

void tern_ping_opts_init(struct tern_ping_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval = TERN_SEC(1);
	o->size = 56;
	o->timeout = TERN_SEC(10);
}

/* ---- sequence bookkeeping ------------------------------------------------ */

static bool rcvd_test(const struct tern_ping *p, uint16_t seq)
{
	return p->rcvd[seq >> 3] & (1u << (seq & 7));
}

static void rcvd_set(struct tern_ping *p, uint16_t seq, bool on)
{
	if (on)
		p->rcvd[seq >> 3] |= (uint8_t)(1u << (seq & 7));
	else
		p->rcvd[seq >> 3] &= (uint8_t)~(1u << (seq & 7));
}

/* True if seq names a request we sent (and that has not been overtaken by
 * 32768 newer ones, as iputils reasons about wrapped sequence numbers). */
static bool seq_sent(const struct tern_ping *p, uint16_t seq)
{
	uint16_t diff = (uint16_t)((uint16_t)p->ntransmitted - seq);
	if (p->ntransmitted < PING_SEQ_SPACE && (seq == 0 || seq > p->ntransmitted))
		return false;
	return diff <= 0x7fff;
}

/* A reply or error for seq arrived: track how many requests were in flight
 * at most, which iputils reports as "pipe N", and the newest answered. */
static void acknowledge(struct tern_ping *p, uint16_t seq)
{
	uint16_t diff = (uint16_t)((uint16_t)p->ntransmitted - seq);
	if (diff > 0x7fff)
		return;
	if ((unsigned)diff + 1 > p->pipesize)
		p->pipesize = (unsigned)diff + 1;
	if ((int16_t)(uint16_t)(seq - p->acked) > 0 ||
	    (uint16_t)((uint16_t)p->ntransmitted - p->acked) > 0x7fff)
		p->acked = seq;
}

/* Requests sent after the newest answered one (iputils' in_flight). */
static unsigned in_flight(const struct tern_ping *p)
{
	uint16_t diff = (uint16_t)((uint16_t)p->ntransmitted - p->acked);
	if (diff <= 0x7fff)
		return diff;
	return p->ntransmitted - p->nreceived - p->nerrors;
}

/* -f's progress marks; written at once, as iputils writes them unbuffered. */
static void flood_put(struct tern_ping *p, const char *marks)
{
	fputs(marks, p->out);
	fflush(p->out);
}

/* ---- stopping ------------------------------------------------------------- */

static void stop(struct tern_ping *p)
{
	p->exiting = true;
	tern_timer_cancel(p->s, &p->send_timer);
	tern_timer_cancel(p->s, &p->exit_timer);
}

/* After each reply or error: iputils stops once every request counted is
 * answered one way or the other, and a deadline run stops at an error. */
static void check_done(struct tern_ping *p)
{
	if (p->o.count && p->nreceived + p->nerrors >= p->o.count)
		stop(p);
	else if (p->o.deadline && p->nerrors)
		stop(p);
}

/* The last request is out: wait for stragglers, twice the worst RTT seen
 * (at least one interval), or the full -W when nothing came back yet. */
static void schedule_exit(struct tern_ping *p, tern_time_t now)
{
	tern_time_t wait = p->o.timeout;
	if (p->nreceived) {
		wait = 2 * p->rtt.max * 1000;
		if (wait < p->o.interval)
			wait = p->o.interval;
	}
	tern_timer_arm(p->s, &p->exit_timer, now + wait);
}

static void exit_timer_fn(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_ping *p = TERN_CONTAINER_OF(t, struct tern_ping, exit_timer);
	stop(p);
}

/* ---- sending ---------------------------------------------------------------- */

static void wr64(uint8_t *b, uint64_t v)
{
	wr32(b, (uint32_t)(v >> 32));
	wr32(b + 4, (uint32_t)v);
}

static uint64_t rd64(const uint8_t *b)
{
	return ((uint64_t)rd32(b) << 32) | rd32(b + 4);
}

/* The payload byte iputils puts at offset i (after the timestamp). */
static uint8_t pattern_byte(size_t i)
{
	return (uint8_t)i;
}

static void fill_payload(struct tern_ping *p)
{
	uint8_t *d = p->pkt + TERN_ICMP_HLEN;
	for (size_t i = 0; i < p->o.size; i++)
		d[i] = pattern_byte(i);
}

static void build_request(struct tern_ping *p, uint16_t seq, tern_time_t now)
{
	uint8_t *d = p->pkt + TERN_ICMP_HLEN;
	if (p->timing) {
		wr64(d, (uint64_t)now);
		memset(d + 8, 0, PING_TS_LEN - 8);
	}
	struct tern_icmp_repr r = {
		.type = TERN_ICMP_ECHO,
		.code = 0,
		.u.echo = {.id = p->o.ident, .seq = seq},
		.data = d,
		.data_len = p->o.size,
	};
	tern_icmp_emit(&r, p->pkt);
}

/* A send the stack refused. iputils learns of a too-big datagram from its
 * error queue (a local error naming the MTU, counted as an error); any
 * other failure is a failed sendmsg, reported but not counted. Both on
 * the error stream, or an 'E' with -f. */
static void send_failed(struct tern_ping *p, int err)
{
	if (err == TERN_EMSGSIZE)
		p->nerrors++;
	if (p->o.quiet)
		return;
	if (p->o.flood) {
		flood_put(p, "E");
		return;
	}
	fflush(p->out); /* as error(3) flushes stdout first */
	if (err == TERN_EMSGSIZE) {
		/* Linux reports the MTU it checked: the path's (RFC 1191),
		 * the interface's alone under -M probe. */
		struct tern_route_result rr;
		int mtu = 0;
		if (p->o.pmtudisc == TERN_IP_PMTU_PROBE || (!p->o.pmtudisc && p->o.df)) {
			if (tern_route_lookup(p->s, p->o.dst, &rr) == 0)
				mtu = tern_stack_iface_mtu(p->s, rr.ifindex);
		} else {
			mtu = (int)tern_ip_path_mtu(p->s, p->o.dst);
		}
		fprintf(p->err, "ping: local error: message too long, mtu=%d\n", mtu);
	} else {
		fprintf(p->err, "ping: sendmsg: %s\n", tern_strerror(err));
	}
	fflush(p->err);
}

static void send_one(struct tern_ping *p, tern_time_t now)
{
	/* Bookkeeping first: on loopback the reply can come back from inside
	 * tern_ip_send_raw, and must find the request already counted. */
	uint16_t seq = (uint16_t)(p->ntransmitted + 1);
	p->ntransmitted++;
	p->last_send = now;
	rcvd_set(p, seq, false);
	build_request(p, seq, now);

	struct tern_ip_send ip = {
		.src = p->o.src,
		.dst = p->o.dst,
		.proto = TERN_IPPROTO_ICMP,
		.ttl = p->o.ttl,
		.df = p->o.df,
		.pmtudisc = p->o.pmtudisc,
		.oif = p->oif,
	};
	int rc = tern_ip_send_raw(p->s, &ip, p->pkt, p->pkt_len, now);
	if (rc < 0) {
		send_failed(p, rc);
		check_done(p);
	} else if (p->o.flood && !p->o.quiet) {
		flood_put(p, ".");
	}
}

static bool more_to_send(const struct tern_ping *p)
{
	if (p->exiting)
		return false;
	/* With a deadline iputils keeps sending past the count, until count
	 * replies arrive or time runs out. */
	return !p->o.count || p->ntransmitted < p->o.count || p->o.deadline;
}

static void send_timer_fn(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_ping *p = TERN_CONTAINER_OF(t, struct tern_ping, send_timer);
	send_one(p, now);
	if (p->exiting)
		return;
	if (more_to_send(p)) {
		/* Each request one interval after the previous one left, as
		 * iputils' pinger counts from its last send: lateness adds up
		 * as in iputils ("time 2041ms" for -c 3). It also orders a
		 * request after the ARP timer of the same instant (armed
		 * first, now + retrans as well), so a neighbour that fails
		 * reports the queued requests before the next one starts a
		 * new resolution: Linux's batches of three "Destination Host
		 * Unreachable". With no interval the request just sent is in
		 * flight: wait for its answer (kick_flood), or MININTERVAL. */
		tern_time_t next = now + (p->o.interval ? p->o.interval : PING_MININTERVAL);
		tern_timer_arm(s, &p->send_timer, next);
	} else {
		schedule_exit(p, now); /* the send timer is not armed again */
	}
}

/* ---- receiving -------------------------------------------------------------- */

/* With no interval, an answer that leaves nothing in flight sends the next
 * request at once. */
static void kick_flood(struct tern_ping *p, tern_time_t now)
{
	if (p->o.interval || p->exiting || !more_to_send(p) || in_flight(p))
		return;
	if (tern_timer_armed(&p->send_timer))
		tern_timer_cancel(p->s, &p->send_timer);
	tern_timer_arm(p->s, &p->send_timer, now);
}

/* The text iputils prints for an ICMP error (its pr_icmph), without the
 * newline. */
static void describe_icmp(char *buf, size_t n, uint8_t type, uint8_t code, uint32_t info)
{
	static const char *const unreach[] = {
		"Destination Net Unreachable",
		"Destination Host Unreachable",
		"Destination Protocol Unreachable",
		"Destination Port Unreachable",
		NULL, /* frag needed: carries the MTU */
		"Source Route Failed",
		"Destination Net Unknown",
		"Destination Host Unknown",
		"Source Host Isolated",
		"Destination Net Prohibited",
		"Destination Host Prohibited",
		"Destination Net Unreachable for Type of Service",
		"Destination Host Unreachable for Type of Service",
		"Packet filtered",
		"Precedence Violation",
		"Precedence Cutoff",
	};
	static const char *const redirect[] = {
		"Redirect Network",
		"Redirect Host",
		"Redirect Type of Service and Network",
		"Redirect Type of Service and Host",
	};
	char ip[TERN_IP4_STRLEN];

	switch (type) {
	case TERN_ICMP_DEST_UNREACH:
		if (code == TERN_ICMP_FRAG_NEEDED)
			snprintf(buf, n, "Frag needed and DF set (mtu = %u)", (unsigned)info);
		else if (code < sizeof(unreach) / sizeof(unreach[0]))
			snprintf(buf, n, "%s", unreach[code]);
		else
			snprintf(buf, n, "Dest Unreachable, Bad Code: %u", code);
		break;
	case TERN_ICMP_SOURCE_QUENCH:
		snprintf(buf, n, "Source Quench");
		break;
	case TERN_ICMP_REDIRECT:
		if (code < sizeof(redirect) / sizeof(redirect[0]))
			snprintf(buf, n, "%s(New nexthop: %s)", redirect[code],
				 tern_ip4_str(info, ip));
		else
			snprintf(buf, n, "Redirect, Bad Code: %u(New nexthop: %s)", code,
				 tern_ip4_str(info, ip));
		break;
	case TERN_ICMP_TIME_EXCEEDED:
		if (code == TERN_ICMP_EXC_TTL)
			snprintf(buf, n, "Time to live exceeded");
		else if (code == TERN_ICMP_EXC_FRAGTIME)
			snprintf(buf, n, "Frag reassembly time exceeded");
		else
			snprintf(buf, n, "Time exceeded, Bad Code: %u", code);
		break;
	case TERN_ICMP_PARAM_PROBLEM:
		snprintf(buf, n, "Parameter problem: pointer = %u", (unsigned)info);
		break;
	default:
		snprintf(buf, n, "Bad ICMP type: %u", type);
		break;
	}
}

/* Compare the echoed payload with what we sent, from the byte after the
 * timestamp; on the first difference print what iputils prints: the
 * offending byte, then the whole payload 32 bytes a row. */
static void check_data(struct tern_ping *p, const uint8_t *d, size_t len)
{
	size_t from = PING_TS_LEN; /* iputils checks nothing before it, even without a timestamp */
	size_t end = len < p->o.size ? len : p->o.size;
	for (size_t i = from; i < end; i++) {
		if (d[i] == pattern_byte(i))
			continue;
		p->nwrong++;
		if (p->o.quiet)
			return;
		fprintf(p->out, "wrong data byte #%zu should be 0x%x but was 0x%x", i,
			pattern_byte(i), d[i]);
		for (size_t j = from; j < end; j++) {
			if (j % 32 == from % 32)
				fprintf(p->out, "\n#%zu\t", j);
			fprintf(p->out, "%x ", d[j]);
		}
		fputc('\n', p->out);
		return;
	}
}

static void on_reply(struct tern_ping *p, const struct tern_icmp_msg *m, tern_time_t now)
{
	(void)now; /* the RTT ends at m->rx_time */
	if (m->id != p->o.ident || !seq_sent(p, m->seq))
		return;
	acknowledge(p, m->seq);

	bool timed = p->timing && m->data_len >= PING_TS_LEN;
	int64_t us = 0;
	if (timed) {
		tern_time_t sent = (tern_time_t)rd64(m->data);
		us = (m->rx_time - sent) / 1000; /* the reply's arrival, as SO_TIMESTAMP */
		if (us < 0)
			us = 0;
		tern_app_rtt_add(&p->rtt, us);
		if (!p->rtt8)
			p->rtt8 = us * 8;
		else
			p->rtt8 += us - p->rtt8 / 8;
	}

	bool dup = rcvd_test(p, m->seq);
	if (dup) {
		p->nrepeats++;
	} else {
		p->nreceived++;
		rcvd_set(p, m->seq, true);
	}

	if (p->o.flood) {
		if (!p->o.quiet)
			flood_put(p, "\b \b");
		check_done(p);
		kick_flood(p, now);
		return;
	}
	if (!p->o.quiet) {
		char from[TERN_IP4_STRLEN], t[32];
		fprintf(p->out, "%zu bytes from %s: icmp_seq=%u ttl=%u", m->data_len + TERN_ICMP_HLEN,
			tern_ip4_str(m->src, from), m->seq, m->ttl);
		if (timed)
			fprintf(p->out, " time=%s ms", tern_app_fmt_rtt(t, sizeof(t), us));
		if (dup && !p->o.broadcast)
			fprintf(p->out, " (DUP!)");
		if (m->data_len < p->o.size) {
			fprintf(p->out, " (truncated)\n");
			goto done;
		}
		fputc('\n', p->out);
	}
	check_data(p, m->data, m->data_len);
done:
	fflush(p->out);
	check_done(p);
	kick_flood(p, now);
}

/* An error quoting one of our requests: the quoted ICMP header carries our
 * identifier and the sequence number. */
static bool quotes_ours(const struct tern_ping *p, const struct tern_icmp_msg *m, uint16_t *seq)
{
	if (!m->has_quote || m->q_proto != TERN_IPPROTO_ICMP || m->q_l4_len < TERN_ICMP_HLEN)
		return false;
	if (m->q_l4[0] != TERN_ICMP_ECHO || m->q_dst != p->o.dst || rd16(m->q_l4 + 4) != p->o.ident)
		return false;
	*seq = rd16(m->q_l4 + 6);
	return seq_sent(p, *seq);
}

static void on_error(struct tern_ping *p, const struct tern_icmp_msg *m, tern_time_t now)
{
	uint16_t seq;
	if (!quotes_ours(p, m, &seq))
		return;
	char from[TERN_IP4_STRLEN], what[96];
	tern_ip4_str(m->src, from);

	/* Linux hands redirects and source quench to a raw socket as plain
	 * packets (iputils prints them with a colon and does not count
	 * them); real errors arrive through the error queue. */
	if (m->type == TERN_ICMP_REDIRECT || m->type == TERN_ICMP_SOURCE_QUENCH) {
		describe_icmp(what, sizeof(what), m->type, m->code, m->gateway);
		if (!p->o.quiet && !p->o.flood)
			fprintf(p->out, "From %s: icmp_seq=%u %s\n", from, seq, what);
		fflush(p->out);
		return;
	}

	bool frag_needed = m->type == TERN_ICMP_DEST_UNREACH && m->code == TERN_ICMP_FRAG_NEEDED;
	uint32_t info = frag_needed ? m->mtu : m->type == TERN_ICMP_PARAM_PROBLEM ? m->pointer : 0;
	acknowledge(p, seq);
	p->nerrors++;
	p->last_err_type = m->type;
	p->last_err_code = m->code;
	p->last_err_from = m->src;
	p->last_err_mtu = frag_needed ? m->mtu : 0;
	if (p->o.quiet) {
	} else if (p->o.flood) {
		flood_put(p, "\bE");
	} else {
		describe_icmp(what, sizeof(what), m->type, m->code, info);
		fprintf(p->out, "From %s icmp_seq=%u %s\n", from, seq, what);
		fflush(p->out);
	}
	check_done(p);
	kick_flood(p, now);
}

static void on_icmp(void *ctx, struct tern_stack *s, const struct tern_icmp_msg *m, tern_time_t now)
{
	struct tern_ping *p = ctx;
	if (p->exiting)
		return;
	/* iputils' main loop sends what is due before it reads its socket:
	 * a request due at this instant leaves before this message counts
	 * (so errors that a failing neighbour reports as the next request
	 * is due find it sent, and "pipe" counts it, as on Linux). */
	if (tern_timer_armed(&p->send_timer) && p->send_timer.when <= now) {
		tern_timer_cancel(s, &p->send_timer);
		send_timer_fn(s, &p->send_timer, now);
		if (p->exiting)
			return;
	}
	if (m->type == TERN_ICMP_ECHO_REPLY)
		on_reply(p, m, now);
	else if (tern_icmp_is_error(m->type))
		on_error(p, m, now);
}

/* ---- life cycle ------------------------------------------------------------ */

static void print_banner(struct tern_ping *p)
{
	char dst[TERN_IP4_STRLEN], src[TERN_IP4_STRLEN];
	fprintf(p->out, "PING %s (%s) ", p->name, tern_ip4_str(p->o.dst, dst));
	/* iputils names the source only when one was asked for (-I ADDR or
	 * -I IFACE), followed by the device name, empty for an address. */
	if (p->o.src)
		fprintf(p->out, "from %s %s: ", tern_ip4_str(p->o.src, src),
			p->o.device ? p->o.device : "");
	fprintf(p->out, "%zu(%zu) bytes of data.\n", p->o.size,
		p->o.size + TERN_ICMP_HLEN + TERN_IPV4_HLEN);
	fflush(p->out);
}

static int check_opts(struct tern_stack *s, const struct tern_ping_opts *o)
{
	if (o->size > PING_MAX_SIZE || o->interval < 0 || o->timeout < 0 || o->deadline < 0)
		return TERN_EINVAL;
	struct tern_route_result rr;
	int ifindex = o->device ? tern_stack_iface_find(s, o->device) : -1;
	if (o->device && ifindex < 0)
		return TERN_ENODEV;
	if ((ifindex >= 0 ? tern_route_lookup_dev(s, o->dst, ifindex, &rr)
			  : tern_route_lookup(s, o->dst, &rr)) < 0)
		return TERN_ENETUNREACH;
	if (o->src && !tern_stack_is_local_addr(s, o->src))
		return TERN_EADDRNOTAVAIL;
	return 0;
}

struct tern_ping *tern_ping_start(struct tern_stack *s, const struct tern_ping_opts *o,
				  FILE *out, tern_time_t now, int *err)
{
	int rc = check_opts(s, o);
	if (rc < 0) {
		*err = rc;
		return NULL;
	}
	struct tern_ping *p = calloc(1, sizeof(*p));
	if (p)
		p->pkt = malloc(TERN_ICMP_HLEN + o->size);
	if (!p || !p->pkt) {
		if (p)
			free(p);
		*err = TERN_ENOMEM;
		return NULL;
	}
	p->s = s;
	p->o = *o;
	p->out = out;
	if (o->device) {
		/* -I IFACE binds the requests to the device (iputils'
		 * SO_BINDTODEVICE): routes by it alone, else on its link, and
		 * the source it would pick there unless -I gave one too. */
		int ifindex = tern_stack_iface_find(s, o->device);
		struct tern_route_result rr;
		p->oif = ifindex + 1;
		if (!p->o.src && tern_route_lookup_dev(s, o->dst, ifindex, &rr) == 0)
			p->o.src = rr.src;
	}
	p->err = o->err ? o->err : out;
	char dst[TERN_IP4_STRLEN];
	snprintf(p->name, sizeof(p->name), "%s", o->dst_name ? o->dst_name : tern_ip4_str(o->dst, dst));
	p->o.dst_name = p->name;
	p->pkt_len = TERN_ICMP_HLEN + o->size;
	p->timing = o->size >= PING_TS_LEN;
	tern_app_rtt_init(&p->rtt);
	fill_payload(p);
	tern_timer_init(&p->send_timer, send_timer_fn);
	tern_timer_init(&p->exit_timer, exit_timer_fn);

	p->listen = tern_icmp_listen(s, on_icmp, p);
	if (p->listen < 0) {
		*err = p->listen;
		free(p->pkt);
		free(p);
		return NULL;
	}
	print_banner(p);
	p->start = now;
	if (o->deadline)
		tern_timer_arm(s, &p->exit_timer, now + o->deadline);
	send_timer_fn(s, &p->send_timer, now);
	*err = 0;
	return p;
}

bool tern_ping_done(const struct tern_ping *p)
{
	return p->exiting;
}

void tern_ping_get_stats(const struct tern_ping *p, struct tern_ping_stats *st)
{
	int64_t avg, mdev;
	tern_app_rtt_result(&p->rtt, &avg, &mdev);
	memset(st, 0, sizeof(*st));
	st->transmitted = p->ntransmitted;
	st->received = p->nreceived;
	st->errors = p->nerrors;
	st->duplicates = p->nrepeats;
	st->wrong_data = p->nwrong;
	st->pipe = p->pipesize;
	if (p->rtt.n) {
		st->rtt_min = TERN_USEC(p->rtt.min);
		st->rtt_avg = TERN_USEC(avg);
		st->rtt_max = TERN_USEC(p->rtt.max);
		st->rtt_mdev = TERN_USEC(mdev);
	}
	st->elapsed = p->ntransmitted ? p->last_send - p->start : 0;
	st->rtt_ewma = TERN_USEC(p->rtt8 / 8);
	st->last_err_type = p->last_err_type;
	st->last_err_code = p->last_err_code;
	st->last_err_from = p->last_err_from;
	st->last_err_mtu = p->last_err_mtu;
}

/* iputils' closing lines: counts, then the RTT line and/or "pipe N", then a
 * newline that leaves an empty line when there is neither. */
static void print_summary(const struct tern_ping *p)
{
	struct tern_ping_stats st;
	char loss[32], a[32], b[32], c[32], d[32];
	tern_ping_get_stats(p, &st);

	fprintf(p->out, "\n--- %s ping statistics ---\n", p->name);
	fprintf(p->out, "%u packets transmitted, %u received", st.transmitted, st.received);
	if (st.duplicates)
		fprintf(p->out, ", +%u duplicates", st.duplicates);
	if (st.errors)
		fprintf(p->out, ", +%u errors", st.errors);
	if (st.transmitted)
		fprintf(p->out, ", %s%% packet loss, time %lldms",
			tern_app_fmt_loss(loss, sizeof(loss), st.transmitted, st.received),
			(long long)tern_app_ms_round(st.elapsed));
	fputc('\n', p->out);

	const char *sep = "";
	if (p->rtt.n) { /* timed replies came back; the figures are in µs */
		fprintf(p->out, "rtt min/avg/max/mdev = %s/%s/%s/%s ms",
			tern_app_fmt_ms3(a, sizeof(a), st.rtt_min / 1000),
			tern_app_fmt_ms3(b, sizeof(b), st.rtt_avg / 1000),
			tern_app_fmt_ms3(c, sizeof(c), st.rtt_max / 1000),
			tern_app_fmt_ms3(d, sizeof(d), st.rtt_mdev / 1000));
		sep = ", ";
	}
	if (st.pipe > 1) {
		fprintf(p->out, "%spipe %u", sep, st.pipe);
		sep = ", ";
	}
	/* The mean gap between requests and the smoothed RTT, when requests
	 * were not paced by an interval (iputils' finish()). */
	if (st.received && (!p->o.interval || p->o.flood) && st.transmitted > 1) {
		int64_t ipg = st.elapsed / 1000 / (st.transmitted - 1); /* µs */
		int64_t ewma = p->rtt8 / 8;
		fprintf(p->out, "%sipg/ewma %lld.%03lld/%lld.%03lld ms", sep, (long long)(ipg / 1000),
			(long long)(ipg % 1000), (long long)(ewma / 1000), (long long)(ewma % 1000));
	}
	fputc('\n', p->out);
	fflush(p->out);
}

void tern_ping_status(const struct tern_ping *p)
{
	unsigned loss = 0;
	if (p->ntransmitted)
		loss = (unsigned)(((uint64_t)(p->ntransmitted - p->nreceived) * 100) / p->ntransmitted);
	fflush(p->out);
	fprintf(p->err, "\r%u/%u packets, %u%% loss", p->nreceived, p->ntransmitted, loss);
	if (p->nreceived && p->rtt.n) {
		char a[32], b[32], c[32], d[32];
		int64_t avg = p->rtt.sum / p->rtt.n;
		fprintf(p->err, ", min/avg/ewma/max = %s/%s/%s/%s ms",
			tern_app_fmt_ms3(a, sizeof(a), p->rtt.min),
			tern_app_fmt_ms3(b, sizeof(b), avg),
			tern_app_fmt_ms3(c, sizeof(c), p->rtt8 / 8),
			tern_app_fmt_ms3(d, sizeof(d), p->rtt.max));
	}
	fputc('\n', p->err);
	fflush(p->err);
}

int tern_ping_finish(struct tern_ping *p, tern_time_t now)
{
	stop(p);
	tern_icmp_unlisten(p->s, p->listen);
	print_summary(p);
	/* iputils: failure if nothing came back, or if a deadline run got
	 * fewer replies than asked for. */
	int status = 0;
	if (!p->nreceived || (p->o.deadline && p->o.count && p->nreceived < p->o.count))
		status = 1;
	free(p->pkt);
	free(p);
	return status;
}

void tern_ping_free(struct tern_ping *p)
{
	stop(p);
	tern_icmp_unlisten(p->s, p->listen);
	free(p->pkt);
	free(p);
}
