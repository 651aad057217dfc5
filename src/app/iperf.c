/*
 * app/iperf.c — TCP throughput tests speaking iperf3's protocol (as iperf3
 * 3.12, Debian 12, speaks it), client and server, with iperf3's interval
 * reports and summaries: `tern iperf`, and the simulator's.
 *
 * The protocol, as observed on the wire between two iperf3 3.12:
 *
 *   client                                   server
 *   connect ctrl, send the cookie  ------->  (37 bytes: 36 characters of
 *                                             [a-z2-7] and a NUL)
 *                                  <-------  PARAM_EXCHANGE (one byte, 9)
 *   the parameters                 ------->  (4-byte big-endian length, then
 *                                             JSON: "tcp", "time", "num",
 *                                             "parallel", "len", "reverse" ...)
 *                                  <-------  CREATE_STREAMS (10)
 *   connect each data stream, one
 *   after the other, each sending
 *   the same cookie                ------->
 *                                  <-------  TEST_START (1), TEST_RUNNING (2)
 *   data flows (server to client with -R) for the time or the bytes
 *   TEST_END (4)                   ------->  (the client decides the end)
 *                                  <-------  EXCHANGE_RESULTS (13)
 *   its results (length + JSON)    ------->
 *                                  <-------  its results (length + JSON)
 *                                  <-------  DISPLAY_RESULTS (14)
 *   IPERF_DONE (16)                ------->
 *
 * A results object carries "streams": [{"id", "bytes", "retransmits",
 * "jitter", "errors", "packets", "start_time", "end_time"}]; both sides
 * number their streams 1, 3, 4, 5 ... in creation order (iperf3's
 * iperf_add_stream), and the ids must match. The server closes the data
 * connections when TEST_END arrives, so data still in flight then is not
 * counted: a tern client that sends waits until its streams' data has
 * been acknowledged before it sends TEST_END (iperf3 does not wait), which
 * keeps the two sides' byte counts together.
 *
 * With -u ("udp":true) each stream is a connected UDP socket pair instead:
 * the client sends "9876" to the server's port, the server connects to
 * its sender and answers "6789"; datagrams then carry the send time
 * (seconds, microseconds) and a sequence number from 1, and the results
 * carry the receiver's jitter (seconds), lost ("errors") and highest
 * sequence number ("packets").
 *
 * Sans-I/O like nc: socket callbacks and stack timers drive it, reports go
 * to a FILE *. The control connection's messages are parsed from a
 * bounded buffer; a length over IP_JSON_MAX, JSON that does not parse or
 * lacks what the exchange needs, or an unknown state byte ends the test
 * with iperf3's error, never more.
 */
#include "tern/apps.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tern/err.h"
#include "tern/socket.h"
#include "tern/tcp.h"

#include "app/format.h"
#include "app/json.h"
#include "app/sock_util.h"
#include "wire/bytes.h"

#define IP_COOKIE_LEN 37              /* iperf3's COOKIE_SIZE: 36 characters + NUL */
#define IP_JSON_MAX (64 * 1024)       /* longest parameters or results accepted */
#define IP_CTRL_IN (IP_JSON_MAX + 4)
#define IP_CTRL_OUT (64 * 1024)
#define IP_JSON_NODES 2048            /* 128 streams x 9 members, and some */
#define IP_MAX_LEN (1024 * 1024)      /* iperf3's MAX_BLOCKSIZE */
#define IP_DEFAULT_LEN (128 * 1024)
#define IP_DEFAULT_PORT 5201
#define IP_DRAIN_POLL TERN_MSEC(5)    /* how often a finished sender looks at its queues */
#define IP_DRAIN_MAX TERN_SEC(5)      /* and for how long at most */
#define IP_PACE TERN_MSEC(1)          /* -b: iperf3's pacing_timer, 1000 us */
#define IP_IDLE TERN_SEC(120)         /* iperf3's --rcv-timeout default: a test with no
				       * byte moving for this long is dropped */

/* iperf3's state bytes (iperf_api.h) */
enum {
	TEST_START = 1,
	TEST_RUNNING = 2,
	TEST_END = 4,
	PARAM_EXCHANGE = 9,
	CREATE_STREAMS = 10,
	SERVER_TERMINATE = 11,
	CLIENT_TERMINATE = 12,
	EXCHANGE_RESULTS = 13,
	DISPLAY_RESULTS = 14,
	IPERF_START = 15,
	IPERF_DONE = 16,
	ACCESS_DENIED = -1,
	SERVER_ERROR = -2,
};
#define IE_UNIMP 13                   /* iperf3's i_errno IEUNIMP */
/* UDP streams: the client's first datagram and the server's answer, the
 * bytes iperf3 writes ("9876", "6789": its 0x36373839 and 0x39383736 in
 * host order on a little-endian machine) */
static const uint8_t udp_hello[4] = {'9', '8', '7', '6'};
static const uint8_t udp_reply[4] = {'6', '7', '8', '9'};
#define IP_UDP_HDR 12                 /* sec, usec, seq: 32 bits each, big-endian */
#define IP_UDP_HDR64 16               /* with "udp_counters_64bit": a 64-bit seq */
#define IP_UDP_DEFAULT_RATE 1048576   /* iperf3's UDP default, 1 Mbit/s */
#define IP_UDP_BURST 64               /* datagrams per pacing tick at most */

enum phase {
	PH_IDLE,        /* server: listening, no test */
	PH_CONNECTING,  /* client: the control connection */
	PH_COOKIE,      /* server: reading the control connection's cookie */
	PH_PARAMS,      /* exchanging parameters */
	PH_STREAMS,     /* creating the data streams */
	PH_RUNNING,     /* data flowing */
	PH_DRAINING,    /* client sender: waiting for its data to be acknowledged */
	PH_RESULTS,     /* TEST_END sent or received: exchanging results */
	PH_DONE_WAIT,   /* server: results shown, waiting for IPERF_DONE */
	PH_DONE,
};

struct ip_stream {
	struct tern_iperf *ip;
	int sd;
	int id, label;            /* the protocol's id; the "[  5]" of the reports */
	bool connecting, ready;   /* ready: cookie sent (client) or checked (server) */
	bool eof;
	uint8_t cookie[IP_COOKIE_LEN];
	size_t cookie_len;
	struct tern_sockaddr_in local, peer;
	uint64_t bytes, iv_bytes; /* during the test; in this interval */
	uint32_t retr_base, retr_iv;
	bool retr_kept;           /* retr_final taken (the connection may be gone) */
	int64_t retr_final;
	/* UDP: datagrams sent, or (receiving) the highest sequence number seen,
	 * as iperf3 counts them, the gaps as lost, and RFC 3550's jitter */
	uint64_t packets, iv_packets_base;
	int64_t lost, iv_lost_base;
	uint64_t out_of_order;
	double jitter, prev_transit;
	bool have_transit;
	/* the other side's results */
	bool peer_have;
	uint64_t peer_bytes;
	int64_t peer_retr;
	double peer_end;
	double peer_jitter;
	int64_t peer_lost, peer_packets;
};

struct tern_iperf {
	struct tern_stack *s;
	struct tern_iperf_opts o;
	FILE *out;
	bool server;
	int lsd, csd;
	enum phase ph;
	bool done, busy, again;
	int status;
	char cookie[IP_COOKIE_LEN];
	uint64_t rng;
	unsigned test_no;
	/* this test */
	unsigned nstreams;
	bool reverse, sender;     /* sender: this side writes the data */
	bool udp, udp64;          /* UDP streams; 64-bit sequence numbers */
	int usd;                  /* server, UDP: the socket waiting for the next stream */
	size_t blksize;
	uint64_t bytes_limit, rate;
	char congestion[16];            /* the data connections' TCP_CONGESTION, "": default */
	uint64_t fq_rate;               /* bits/s for SO_MAX_PACING_RATE, 0: none */
	tern_time_t duration;
	bool stop_sending;
	bool nodelay;             /* -N: the data streams without Nagle */
	unsigned next_connect;    /* client: the stream connecting now */
	unsigned accepted;        /* server: streams whose cookie checked */
	struct ip_stream st[TERN_IPERF_MAX_STREAMS];
	tern_time_t t_start, t_iv, t_end, t_drain_start;
	struct tern_timer iv_timer, end_timer, aux_timer, idle_timer;
	tern_time_t last_io;      /* a byte read or written on any of the test's sockets */
	bool header_done, last_sep;
	unsigned intervals;
	bool want_json;           /* the next control message is length + JSON */
	bool peer_results;
	int64_t peer_has_retr;
	uint8_t *cin;
	size_t cin_len;
	uint8_t *cout;
	size_t cout_len, cout_off;
	uint8_t *data;
	size_t data_cap;
	struct tern_iperf_result res;
	struct tj_node nodes[IP_JSON_NODES];
};

void tern_iperf_opts_init(struct tern_iperf_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->port = IP_DEFAULT_PORT;
	o->duration = TERN_SEC(10);
	o->parallel = 1;
	o->interval = TERN_SEC(1);
}

static tern_time_t now_of(const struct tern_iperf *ip)
{
	return tern_stack_now(ip->s);
}

static const char *prog(const struct tern_iperf *ip)
{
	return ip->o.prog ? ip->o.prog : "iperf3";
}

static void say(struct tern_iperf *ip, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct tern_iperf *ip, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(ip->out, fmt, ap);
	va_end(ap);
	fflush(ip->out);
}

/* "PROG: MESSAGE" on diag, as iperf3's iperf_err. */
static void diag(struct tern_iperf *ip, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diag(struct tern_iperf *ip, const char *fmt, ...)
{
	if (!ip->o.diag)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(ip->o.diag, "%s: ", prog(ip));
	vfprintf(ip->o.diag, fmt, ap);
	fputc('\n', ip->o.diag);
	va_end(ap);
	fflush(ip->o.diag);
}

static double rel(const struct tern_iperf *ip, tern_time_t t)
{
	return (double)(t - ip->t_start) / 1e9;
}

/* ---- sockets ---------------------------------------------------------------- */

static void pump(struct tern_iperf *ip);
static void io_seen(struct tern_iperf *ip);

static void on_socket(void *ctx, struct tern_stack *s, int sd, unsigned events)
{
	(void)s;
	(void)sd;
	(void)events;
	pump(ctx);
}

/* The control connection's state bytes must leave at once: without
 * TCP_NODELAY, Nagle held TEST_START behind the unacknowledged
 * CREATE_STREAMS until the peer's delayed ACK, 40 ms, and the two sides'
 * clocks of the test started that far apart. */
static void ctrl_nodelay(struct tern_iperf *ip, int sd)
{
	int one = 1;
	tern_setsockopt(ip->s, sd, TERN_IPPROTO_TCP, TERN_TCP_NODELAY, &one, sizeof(one));
}

static void close_streams(struct tern_iperf *ip)
{
	for (unsigned i = 0; i < TERN_IPERF_MAX_STREAMS; i++)
		tern_app_close(ip->s, &ip->st[i].sd);
}

static bool tcp_info(struct tern_iperf *ip, int sd, struct tern_tcp_info *ti)
{
	size_t len = sizeof(*ti);
	memset(ti, 0, sizeof(*ti));
	return sd >= 0 && tern_getsockopt(ip->s, sd, TERN_IPPROTO_TCP, TERN_TCP_INFO, ti, &len) == 0;
}

/* Queue control bytes; sent as the socket takes them. */
static bool ctrl_queue(struct tern_iperf *ip, const void *p, size_t n)
{
	if (ip->cout_off == ip->cout_len)
		ip->cout_off = ip->cout_len = 0;
	if (n > IP_CTRL_OUT - ip->cout_len)
		return false;
	memcpy(ip->cout + ip->cout_len, p, n);
	ip->cout_len += n;
	return true;
}

static void ctrl_flush(struct tern_iperf *ip)
{
	while (ip->csd >= 0 && ip->cout_off < ip->cout_len) {
		int n = tern_send(ip->s, ip->csd, ip->cout + ip->cout_off, ip->cout_len - ip->cout_off, 0);
		if (n <= 0)
			return; /* EAGAIN; an error shows on the read side */
		ip->cout_off += (size_t)n;
		io_seen(ip);
	}
}

static void send_state(struct tern_iperf *ip, int state)
{
	uint8_t b = (uint8_t)(int8_t)state;
	ctrl_queue(ip, &b, 1);
	ctrl_flush(ip);
}

static bool send_json(struct tern_iperf *ip, const struct tj_writer *w)
{
	uint8_t len[4] = {(uint8_t)(w->len >> 24), (uint8_t)(w->len >> 16), (uint8_t)(w->len >> 8),
			  (uint8_t)w->len};
	if (w->overflow || w->len + 4 > IP_CTRL_OUT - (ip->cout_len - ip->cout_off))
		return false;
	ctrl_queue(ip, len, 4);
	ctrl_queue(ip, w->buf, w->len);
	ctrl_flush(ip);
	return true;
}

/* ---- the end of a test or of the program ------------------------------------- */

static void stop_timers(struct tern_iperf *ip)
{
	tern_timer_cancel(ip->s, &ip->iv_timer);
	tern_timer_cancel(ip->s, &ip->end_timer);
	tern_timer_cancel(ip->s, &ip->aux_timer);
	tern_timer_cancel(ip->s, &ip->idle_timer);
}

/* Something moved: the idle guard starts over (armed lazily: it fires
 * at most once per IP_IDLE and re-arms itself for the rest). */
static void io_seen(struct tern_iperf *ip)
{
	ip->last_io = now_of(ip);
	if (!tern_timer_armed(&ip->idle_timer))
		tern_timer_arm(ip->s, &ip->idle_timer, ip->last_io + IP_IDLE);
}

static void server_banner(struct tern_iperf *ip)
{
	say(ip, "-----------------------------------------------------------\n"
		"Server listening on %u (test #%u)\n"
		"-----------------------------------------------------------\n",
	    ip->o.port, ip->test_no);
}

/* The server's test is over (well or not): back to listening, or done. */
static void server_reset(struct tern_iperf *ip, bool ok)
{
	stop_timers(ip);
	close_streams(ip);
	tern_app_close(ip->s, &ip->usd);
	tern_app_close(ip->s, &ip->csd);
	ip->ph = PH_IDLE;
	ip->cin_len = ip->cout_len = ip->cout_off = 0;
	ip->want_json = false;
	if (!ok)
		ip->status = 1;
	if (ip->o.one_off) {
		ip->done = true;
		ip->ph = PH_DONE;
		return;
	}
	ip->test_no++;
	server_banner(ip);
}

/* iperf3's "error - MESSAGE": the client ends with status 1, the server
 * drops the test and listens again. */
static void fail(struct tern_iperf *ip, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct tern_iperf *ip, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag(ip, "error - %s", msg);
	ip->res.failed++;
	if (ip->server) {
		server_reset(ip, false);
		return;
	}
	stop_timers(ip);
	close_streams(ip);
	tern_app_close(ip->s, &ip->csd);
	ip->status = 1;
	ip->done = true;
	ip->ph = PH_DONE;
}

/* ---- reports ------------------------------------------------------------------ */

static const char *unit(char *buf, size_t n, double v, bool bits)
{
	return tern_app_fmt_iperf_unit(buf, n, v, bits);
}

static double rate_of(uint64_t bytes, double secs)
{
	return secs > 0 ? (double)bytes / secs : 0.0;
}

/* Whether this side's lines carry Retr and Cwnd: the client's header always
 * does (as iperf3's, TCP_INFO being there), a server's when it sends. */
static bool header_retr(const struct tern_iperf *ip)
{
	return !ip->server || ip->sender;
}

static void separator(struct tern_iperf *ip)
{
	say(ip, "- - - - - - - - - - - - - - - - - - - - - - - - -\n");
	ip->last_sep = true;
}

/* One interval report [t_iv, now]. At the end of the test a last, short
 * interval is shown only if it moved data or lasted a tenth of -i (as
 * iperf3 keeps it); with -i 0 the end's is the only one, the whole test. */
static void interval_report(struct tern_iperf *ip, tern_time_t now, bool final)
{
	if (ip->o.interval <= 0 && !final)
		return;
	tern_time_t dur = now - ip->t_iv;
	uint64_t total = 0;
	for (unsigned i = 0; i < ip->nstreams; i++)
		total += ip->st[i].iv_bytes;
	if ((final && dur <= 0) ||
	    (final && ip->o.interval > 0 && total == 0 && dur * 10 < ip->o.interval)) {
		ip->t_iv = now;
		return;
	}
	if (!ip->header_done) {
		if (ip->udp)
			say(ip, ip->sender ? "[ ID] Interval           Transfer     Bitrate         Total Datagrams\n"
					   : "[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams\n");
		else
			say(ip, header_retr(ip) ? "[ ID] Interval           Transfer     Bitrate         Retr  Cwnd\n"
						: "[ ID] Interval           Transfer     Bitrate\n");
		ip->header_done = true;
	}
	double a = rel(ip, ip->t_iv), b = rel(ip, now), secs = (double)dur / 1e9;
	char tb[32], rb[32], cb[32];
	uint32_t retr_sum = 0;
	for (unsigned i = 0; i < ip->nstreams; i++) {
		struct ip_stream *st = &ip->st[i];
		unit(tb, sizeof(tb), (double)st->iv_bytes, false);
		unit(rb, sizeof(rb), rate_of(st->iv_bytes, secs), true);
		if (ip->udp) {
			uint64_t pk = st->packets - st->iv_packets_base;
			int64_t lost = st->lost - st->iv_lost_base;
			st->iv_packets_base = st->packets;
			st->iv_lost_base = st->lost;
			if (ip->sender)
				say(ip, "[%3d] %6.2f-%-6.2f sec  %ss  %ss/sec  %llu  \n", st->label, a, b, tb,
				    rb, (unsigned long long)pk);
			else
				say(ip, "[%3d] %6.2f-%-6.2f sec  %ss  %ss/sec  %5.3f ms  %lld/%llu (%.2g%%)  \n",
				    st->label, a, b, tb, rb, st->jitter * 1000.0, (long long)lost,
				    (unsigned long long)pk, pk ? 100.0 * (double)lost / (double)pk : 0.0);
		} else if (ip->sender) {
			struct tern_tcp_info ti;
			tcp_info(ip, st->sd, &ti);
			uint32_t retr = ti.tcpi_total_retrans - st->retr_iv;
			st->retr_iv = ti.tcpi_total_retrans;
			retr_sum += retr;
			unit(cb, sizeof(cb), (double)ti.tcpi_snd_cwnd * ti.tcpi_snd_mss, false);
			say(ip, "[%3d] %6.2f-%-6.2f sec  %ss  %ss/sec  %3u   %ss       \n", st->label, a, b,
			    tb, rb, retr, cb);
		} else {
			say(ip, "[%3d] %6.2f-%-6.2f sec  %ss  %ss/sec                  \n", st->label, a, b,
			    tb, rb);
		}
		st->iv_bytes = 0;
	}
	if (ip->nstreams > 1) {
		unit(tb, sizeof(tb), (double)total, false);
		unit(rb, sizeof(rb), rate_of(total, secs), true);
		if (ip->sender)
			say(ip, "[SUM] %6.2f-%-6.2f sec  %ss  %ss/sec  %3d             \n", a, b, tb, rb,
			    (int)retr_sum);
		else
			say(ip, "[SUM] %6.2f-%-6.2f sec  %ss  %ss/sec                  \n", a, b, tb, rb);
		separator(ip);
	} else {
		ip->last_sep = false;
	}
	ip->intervals++;
	ip->t_iv = now;
}

static void on_interval(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_iperf *ip = TERN_CONTAINER_OF(t, struct tern_iperf, iv_timer);
	(void)s;
	if (ip->ph != PH_RUNNING)
		return;
	interval_report(ip, now, false);
	tern_timer_arm(ip->s, &ip->iv_timer, ip->t_iv + ip->o.interval);
}

/* A sending stream's retransmissions during the test: TCP_INFO's count,
 * kept at the end (keep_retr) since a server closes its data connections
 * on TEST_END. */
static int64_t own_retr(struct tern_iperf *ip, struct ip_stream *st)
{
	if (st->retr_kept)
		return st->retr_final;
	struct tern_tcp_info ti;
	if (!tcp_info(ip, st->sd, &ti))
		return 0;
	return (int64_t)(uint32_t)(ti.tcpi_total_retrans - st->retr_base);
}

static void keep_retr(struct tern_iperf *ip)
{
	for (unsigned i = 0; i < ip->nstreams; i++) {
		ip->st[i].retr_final = own_retr(ip, &ip->st[i]);
		ip->st[i].retr_kept = true;
	}
}

/* One summary line: "sender" (with Retr when known) or "receiver". */
static void summary_line(struct tern_iperf *ip, int label, uint64_t bytes, double secs,
			 bool sender, int64_t retr)
{
	char tb[32], rb[32], id[16];
	unit(tb, sizeof(tb), (double)bytes, false);
	unit(rb, sizeof(rb), rate_of(bytes, secs), true);
	if (label < 0)
		snprintf(id, sizeof(id), "SUM");
	else
		snprintf(id, sizeof(id), "%3d", label);
	if (sender && retr >= 0)
		say(ip, "[%s] %6.2f-%-6.2f sec  %ss  %ss/sec  %3u             sender\n", id, 0.0, secs,
		    tb, rb, (unsigned)retr);
	else
		say(ip, "[%s] %6.2f-%-6.2f sec  %ss  %ss/sec                  %s\n", id, 0.0, secs, tb,
		    rb, sender ? "sender" : "receiver");
}

/* The totals both sides know once results are exchanged. */
static void fill_result(struct tern_iperf *ip)
{
	struct tern_iperf_result *r = &ip->res;
	double own_secs = rel(ip, ip->t_end);
	uint64_t own = 0, peer = 0;
	int64_t retr = 0;
	double peer_secs = 0;
	bool retr_known = true;
	for (unsigned i = 0; i < ip->nstreams; i++) {
		own += ip->st[i].bytes;
		peer += ip->st[i].peer_bytes;
		if (ip->st[i].peer_end > peer_secs)
			peer_secs = ip->st[i].peer_end;
		if (ip->sender) {
			retr += own_retr(ip, &ip->st[i]);
		} else if (ip->st[i].peer_retr >= 0) {
			retr += ip->st[i].peer_retr;
		} else {
			retr_known = false;
		}
	}
	r->tests++;
	r->streams = ip->nstreams;
	r->sender_bytes = ip->sender ? own : peer;
	r->receiver_bytes = ip->sender ? peer : own;
	r->sender_seconds = ip->sender ? own_secs : peer_secs;
	r->receiver_seconds = ip->sender ? peer_secs : own_secs;
	r->retransmits = retr_known && !ip->udp ? retr : -1;
	r->intervals = ip->intervals;
	r->jitter = 0;
	r->lost = 0;
	r->packets = 0;
	for (unsigned i = 0; ip->udp && i < ip->nstreams; i++) {
		const struct ip_stream *st = &ip->st[i];
		r->jitter = ip->sender ? st->peer_jitter : st->jitter;
		r->lost += ip->sender ? st->peer_lost : st->lost;
		r->packets += ip->sender ? (uint64_t)st->peer_packets : st->packets;
	}
}

/* A UDP summary line: jitter, lost/total as iperf3 prints them. */
static void udp_line(struct tern_iperf *ip, int label, uint64_t bytes, double secs, double jitter,
		     int64_t lost, int64_t total, const char *role)
{
	char tb[32], rb[32];
	unit(tb, sizeof(tb), (double)bytes, false);
	unit(rb, sizeof(rb), rate_of(bytes, secs), true);
	say(ip, "[%3d] %6.2f-%-6.2f sec  %ss  %ss/sec  %5.3f ms  %lld/%lld (%.2g%%)  %s\n", label, 0.0,
	    secs, tb, rb, jitter * 1000.0, (long long)lost, (long long)total,
	    total > 0 ? 100.0 * (double)lost / (double)total : 0.0, role);
}

/* UDP (one stream): the sender's line shows its datagrams, no loss and no
 * jitter; the receiver's its jitter and what it found missing. */
static void udp_summary(struct tern_iperf *ip)
{
	say(ip, "[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams\n");
	double own_secs = rel(ip, ip->t_end);
	for (unsigned i = 0; i < ip->nstreams; i++) {
		struct ip_stream *st = &ip->st[i];
		bool own_first = ip->sender;
		for (int k = 0; k < 2; k++) {
			bool own = (k == 0) == own_first;
			if (ip->server && !own)
				continue;
			bool sending = own ? ip->sender : !ip->sender;
			if (own)
				udp_line(ip, st->label, st->bytes, own_secs, sending ? 0 : st->jitter,
					 sending ? 0 : st->lost, (int64_t)st->packets,
					 sending ? "sender" : "receiver");
			else
				udp_line(ip, st->label, st->peer_bytes, st->peer_end,
					 sending ? 0 : st->peer_jitter, sending ? 0 : st->peer_lost,
					 st->peer_packets, sending ? "sender" : "receiver");
		}
	}
	fill_result(ip);
}

/* The summary: the client shows both sides per stream, a server its own. */
static void summary(struct tern_iperf *ip)
{
	if (!ip->last_sep)
		separator(ip);
	if (ip->udp) {
		udp_summary(ip);
		return;
	}
	say(ip, header_retr(ip) ? "[ ID] Interval           Transfer     Bitrate         Retr\n"
				: "[ ID] Interval           Transfer     Bitrate\n");
	double own_secs = rel(ip, ip->t_end);
	uint64_t own_sum = 0, peer_sum = 0;
	int64_t retr_sum = 0;
	double peer_max = 0;
	bool retr_known = true;
	for (unsigned i = 0; i < ip->nstreams; i++) {
		struct ip_stream *st = &ip->st[i];
		int64_t retr = -1;
		if (ip->sender) {
			retr = own_retr(ip, st);
		} else if (ip->peer_has_retr == 1) {
			retr = st->peer_retr;
		}
		if (retr < 0)
			retr_known = false;
		else
			retr_sum += retr;
		own_sum += st->bytes;
		peer_sum += st->peer_bytes;
		if (st->peer_end > peer_max)
			peer_max = st->peer_end;
		if (ip->server) {
			summary_line(ip, st->label, st->bytes, own_secs, ip->sender, retr);
		} else if (ip->sender) {
			summary_line(ip, st->label, st->bytes, own_secs, true, retr);
			summary_line(ip, st->label, st->peer_bytes, st->peer_end, false, -1);
		} else {
			summary_line(ip, st->label, st->peer_bytes, st->peer_end, true, retr);
			summary_line(ip, st->label, st->bytes, own_secs, false, -1);
		}
	}
	if (ip->nstreams > 1) {
		int64_t r = retr_known ? retr_sum : -1;
		if (ip->server) {
			summary_line(ip, -1, own_sum, own_secs, ip->sender, r);
		} else if (ip->sender) {
			summary_line(ip, -1, own_sum, own_secs, true, r);
			summary_line(ip, -1, peer_sum, peer_max, false, -1);
		} else {
			summary_line(ip, -1, peer_sum, peer_max, true, r);
			summary_line(ip, -1, own_sum, own_secs, false, -1);
		}
	}
	fill_result(ip);
}

/* ---- results and parameters as JSON ------------------------------------------------ */

static int stream_id(unsigned i)
{
	return i == 0 ? 1 : (int)i + 2; /* iperf3's iperf_add_stream numbering */
}

static bool send_results(struct tern_iperf *ip)
{
	char *buf = malloc(IP_JSON_MAX);
	if (!buf)
		return false;
	struct tj_writer w;
	tj_w_init(&w, buf, IP_JSON_MAX);
	tj_w_open(&w, NULL, '{');
	tj_w_double(&w, "cpu_util_total", 0);
	tj_w_double(&w, "cpu_util_user", 0);
	tj_w_double(&w, "cpu_util_system", 0);
	tj_w_int(&w, "sender_has_retransmits", ip->sender ? (ip->udp ? 0 : 1) : -1);
	/* what the first data connection runs (iperf3 reads TCP_CONGESTION) */
	char cc[16] = "";
	size_t cclen = sizeof(cc);
	if (ip->nstreams == 0 || ip->st[0].sd < 0 ||
	    tern_getsockopt(ip->s, ip->st[0].sd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, cc, &cclen) != 0) {
		cclen = sizeof(cc); /* UDP, or no stream: the control connection's */
		if (tern_getsockopt(ip->s, ip->csd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, cc, &cclen) != 0)
			snprintf(cc, sizeof(cc), "%s", "cubic");
	}
	cc[sizeof(cc) - 1] = 0;
	tj_w_str(&w, "congestion_used", cc);
	tj_w_open(&w, "streams", '[');
	double secs = rel(ip, ip->t_end);
	for (unsigned i = 0; i < ip->nstreams; i++) {
		struct ip_stream *st = &ip->st[i];
		int64_t retr = -1;
		if (ip->sender && !ip->udp)
			retr = own_retr(ip, st);
		tj_w_open(&w, NULL, '{');
		tj_w_int(&w, "id", st->id);
		tj_w_int(&w, "bytes", (int64_t)st->bytes);
		tj_w_int(&w, "retransmits", retr);
		if (ip->udp && !ip->sender)
			tj_w_double(&w, "jitter", st->jitter);
		else
			tj_w_int(&w, "jitter", 0);
		tj_w_int(&w, "errors", ip->udp && !ip->sender ? st->lost : 0);
		tj_w_int(&w, "packets", ip->udp ? (int64_t)st->packets : 0);
		tj_w_int(&w, "start_time", 0);
		tj_w_double(&w, "end_time", secs);
		tj_w_close(&w, '}');
	}
	tj_w_close(&w, ']');
	tj_w_close(&w, '}');
	bool ok = send_json(ip, &w);
	free(buf);
	return ok;
}

/* The other side's results: every stream id must be one of ours. */
static bool take_results(struct tern_iperf *ip, const char *text, size_t len)
{
	const struct tj_node *n = ip->nodes;
	int used = tj_parse(text, len, ip->nodes, IP_JSON_NODES);
	if (used < 0 || n[0].type != TJ_OBJ)
		return false;
	int64_t has_retr = -1;
	double d;
	if (!tj_get_int(n, &n[0], "sender_has_retransmits", &has_retr) ||
	    !tj_get_num(n, &n[0], "cpu_util_total", &d))
		return false;
	const struct tj_node *streams = tj_get(n, &n[0], "streams");
	if (!streams || streams->type != TJ_ARR)
		return false;
	for (int c = streams->child; c >= 0; c = n[c].next) {
		int64_t id, bytes, retr = -1, lost = 0, packets = 0;
		double end = 0, jitter = 0;
		if (!tj_get_int(n, &n[c], "id", &id) || !tj_get_int(n, &n[c], "bytes", &bytes) ||
		    !tj_get_int(n, &n[c], "retransmits", &retr) ||
		    !tj_get_num(n, &n[c], "jitter", &jitter) || !tj_get_int(n, &n[c], "errors", &lost) ||
		    !tj_get_int(n, &n[c], "packets", &packets))
			return false;
		tj_get_num(n, &n[c], "end_time", &end);
		struct ip_stream *st = NULL;
		for (unsigned i = 0; i < ip->nstreams; i++)
			if (ip->st[i].id == id)
				st = &ip->st[i];
		if (!st || bytes < 0 || !(end >= 0 && end < 1e9))
			return false;
		st->peer_have = true;
		st->peer_bytes = (uint64_t)bytes;
		st->peer_retr = retr;
		st->peer_end = end;
		st->peer_jitter = jitter >= 0 && jitter < 1e6 ? jitter : 0;
		st->peer_lost = lost;
		st->peer_packets = packets;
	}
	ip->peer_has_retr = has_retr;
	ip->peer_results = true;
	return true;
}

static bool send_params(struct tern_iperf *ip)
{
	char buf[512];
	struct tj_writer w;
	tj_w_init(&w, buf, sizeof(buf));
	tj_w_open(&w, NULL, '{');
	tj_w_bool(&w, ip->udp ? "udp" : "tcp", true);
	tj_w_int(&w, "omit", 0);
	tj_w_int(&w, "time", (int64_t)((ip->duration + TERN_MSEC(500)) / TERN_SEC(1)));
	tj_w_int(&w, "num", (int64_t)ip->bytes_limit);
	tj_w_int(&w, "blockcount", 0);
	tj_w_int(&w, "parallel", ip->nstreams);
	if (ip->reverse)
		tj_w_bool(&w, "reverse", true);
	if (ip->nodelay)
		tj_w_bool(&w, "nodelay", true);
	tj_w_int(&w, "len", (int64_t)ip->blksize);
	if (ip->rate)
		tj_w_int(&w, "bandwidth", (int64_t)ip->rate);
	if (ip->fq_rate)
		tj_w_int(&w, "fqrate", (int64_t)ip->fq_rate);
	tj_w_int(&w, "pacing_timer", 1000);
	if (ip->congestion[0])
		tj_w_str(&w, "congestion", ip->congestion);
	tj_w_str(&w, "client_version", "3.12");
	tj_w_close(&w, '}');
	return send_json(ip, &w);
}

static bool alloc_data(struct tern_iperf *ip, size_t len)
{
	size_t want = len < 65536 ? 65536 : len;
	if (ip->data_cap >= want)
		return true;
	uint8_t *p = realloc(ip->data, want);
	if (!p)
		return false;
	/* a repeating pattern, as iperf3 --repeating-payload */
	for (size_t i = 0; i < want; i++)
		p[i] = (uint8_t)('0' + i % 10);
	ip->data = p;
	ip->data_cap = want;
	return true;
}

/* The server takes the client's parameters; what it cannot do refuses the
 * test (*unsupported says what). */
static bool take_params(struct tern_iperf *ip, const char *text, size_t len,
			const char **unsupported)
{
	const struct tj_node *n = ip->nodes;
	int used = tj_parse(text, len, ip->nodes, IP_JSON_NODES);
	if (used < 0 || n[0].type != TJ_OBJ)
		return false;
	bool b = false;
	int64_t v;
	if (tj_get_bool(n, &n[0], "sctp", &b) && b) {
		*unsupported = "only TCP and UDP tests are supported";
		return false;
	}
	ip->udp = tj_get_bool(n, &n[0], "udp", &b) && b;
	ip->udp64 = tj_get_int(n, &n[0], "udp_counters_64bit", &v) && v != 0;
	if (tj_get_bool(n, &n[0], "bidirectional", &b) && b) {
		*unsupported = "bidirectional tests are not supported";
		return false;
	}
	ip->nstreams = 1;
	if (tj_get_int(n, &n[0], "parallel", &v)) {
		if (v < 1 || v > TERN_IPERF_MAX_STREAMS)
			return false;
		ip->nstreams = (unsigned)v;
	}
	if (ip->udp && ip->nstreams > 1) {
		*unsupported = "UDP tests have one stream here";
		return false;
	}
	ip->blksize = IP_DEFAULT_LEN;
	if (tj_get_int(n, &n[0], "len", &v)) {
		if (v < 1 || v > IP_MAX_LEN || (ip->udp && (v < IP_UDP_HDR64 || v > TERN_UDP_MAX_PAYLOAD)))
			return false;
		ip->blksize = (size_t)v;
	}
	ip->bytes_limit = tj_get_int(n, &n[0], "num", &v) && v > 0 ? (uint64_t)v : 0;
	ip->rate = tj_get_int(n, &n[0], "bandwidth", &v) && v > 0 ? (uint64_t)v : 0;
	ip->duration = tj_get_int(n, &n[0], "time", &v) && v > 0 && v < 86400 * 365 ? TERN_SEC(v) : 0;
	ip->reverse = tj_get_bool(n, &n[0], "reverse", &b) && b;
	ip->nodelay = tj_get_bool(n, &n[0], "nodelay", &b) && b;
	ip->sender = ip->reverse;
	ip->fq_rate = tj_get_int(n, &n[0], "fqrate", &v) && v > 0 ? (uint64_t)v : 0;
	ip->congestion[0] = 0;
	const struct tj_node *cc = tj_get(n, &n[0], "congestion");
	if (cc && cc->type == TJ_STR && cc->str_len < sizeof(ip->congestion)) {
		memcpy(ip->congestion, cc->str, cc->str_len);
		ip->congestion[cc->str_len] = 0;
	}
	return alloc_data(ip, ip->blksize);
}

/* ---- the test ------------------------------------------------------------------- */

static void reset_streams(struct tern_iperf *ip)
{
	for (unsigned i = 0; i < TERN_IPERF_MAX_STREAMS; i++) {
		struct ip_stream *st = &ip->st[i];
		int sd = st->sd;
		memset(st, 0, sizeof(*st));
		st->ip = ip;
		st->sd = sd;
		st->id = stream_id(i);
		st->label = ip->server ? 5 + 3 * (int)i : 5 + 2 * (int)i;
		st->peer_retr = -1;
	}
	ip->accepted = ip->next_connect = 0;
	ip->header_done = ip->last_sep = ip->stop_sending = ip->peer_results = false;
	ip->intervals = 0;
	ip->peer_has_retr = -1;
}

static void test_start(struct tern_iperf *ip)
{
	tern_time_t now = now_of(ip);
	ip->t_start = ip->t_iv = ip->t_end = now;
	for (unsigned i = 0; i < ip->nstreams; i++) {
		struct tern_tcp_info ti;
		tcp_info(ip, ip->st[i].sd, &ti);
		ip->st[i].retr_base = ip->st[i].retr_iv = ti.tcpi_total_retrans;
	}
}

static void test_running(struct tern_iperf *ip)
{
	ip->ph = PH_RUNNING;
	if (ip->o.interval > 0)
		tern_timer_arm(ip->s, &ip->iv_timer, ip->t_start + ip->o.interval);
	if (!ip->server && ip->duration > 0)
		tern_timer_arm(ip->s, &ip->end_timer, ip->t_start + ip->duration);
}

/* All data acknowledged on every stream? */
static bool drained(struct tern_iperf *ip)
{
	for (unsigned i = 0; i < ip->nstreams; i++) {
		struct tern_sock_info si;
		if (ip->st[i].sd >= 0 && tern_socket_info(ip->s, ip->st[i].sd, &si) == 0 &&
		    si.tx_queue > 0)
			return false;
	}
	return true;
}

static void client_send_end(struct tern_iperf *ip)
{
	tern_timer_cancel(ip->s, &ip->aux_timer);
	send_state(ip, TEST_END);
	ip->ph = PH_RESULTS;
}

/* The client's test is over (time or bytes): report, then TEST_END, a
 * sender once its data is acknowledged. */
static void client_end(struct tern_iperf *ip)
{
	if (ip->ph != PH_RUNNING)
		return;
	tern_time_t now = now_of(ip);
	ip->t_end = now;
	ip->stop_sending = true;
	tern_timer_cancel(ip->s, &ip->end_timer);
	tern_timer_cancel(ip->s, &ip->iv_timer);
	interval_report(ip, now, true);
	if (ip->sender && !ip->udp && !drained(ip)) {
		ip->ph = PH_DRAINING;
		ip->t_drain_start = now;
		tern_timer_arm(ip->s, &ip->aux_timer, now + IP_DRAIN_POLL);
		return;
	}
	client_send_end(ip);
}

static void on_end(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_iperf *ip = TERN_CONTAINER_OF(t, struct tern_iperf, end_timer);
	(void)s;
	(void)now;
	client_end(ip);
	pump(ip);
}

/* aux: the drain check, or -b's pacing tick. */
static void on_aux(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_iperf *ip = TERN_CONTAINER_OF(t, struct tern_iperf, aux_timer);
	(void)s;
	if (ip->ph == PH_DRAINING) {
		if (drained(ip) || now - ip->t_drain_start >= IP_DRAIN_MAX)
			client_send_end(ip);
		else
			tern_timer_arm(ip->s, &ip->aux_timer, now + IP_DRAIN_POLL);
	}
	pump(ip);
}

static uint64_t total_bytes(const struct tern_iperf *ip)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < ip->nstreams; i++)
		t += ip->st[i].bytes;
	return t;
}

/* How much the next write may carry: -l's block, cut to what -n leaves;
 * 0 once -n is reached (sending stops, and a client ends the test). */
static size_t next_chunk(struct tern_iperf *ip)
{
	size_t chunk = ip->blksize;
	if (!ip->bytes_limit)
		return chunk;
	uint64_t sent = total_bytes(ip);
	if (sent >= ip->bytes_limit) {
		ip->stop_sending = true;
		if (!ip->server)
			client_end(ip);
		return 0;
	}
	return ip->bytes_limit - sent < chunk ? (size_t)(ip->bytes_limit - sent) : chunk;
}

/* UDP: datagrams of blksize bytes, each headed by the send time (seconds,
 * microseconds) and a sequence number from 1, paced by the aux timer (a
 * UDP socket never calls back for room): at most rate x elapsed, and
 * IP_UDP_BURST a tick. */
static void udp_send(struct tern_iperf *ip, struct ip_stream *st)
{
	tern_time_t now = now_of(ip);
	size_t hdr = ip->udp64 ? IP_UDP_HDR64 : IP_UDP_HDR;
	for (unsigned k = 0; k < IP_UDP_BURST && !ip->stop_sending && st->sd >= 0; k++) {
		size_t chunk = next_chunk(ip);
		if (!chunk)
			return;
		if (chunk < hdr)
			chunk = hdr;
		if (ip->rate &&
		    (double)st->bytes >= (double)ip->rate / 8.0 * (double)(now - ip->t_start) / 1e9)
			break;
		uint64_t seq = st->packets + 1;
		wr32(ip->data, (uint32_t)(now / TERN_SEC(1)));
		wr32(ip->data + 4, (uint32_t)(now % TERN_SEC(1) / TERN_USEC(1)));
		if (ip->udp64) {
			wr32(ip->data + 8, (uint32_t)(seq >> 32));
			wr32(ip->data + 12, (uint32_t)seq);
		} else {
			wr32(ip->data + 8, (uint32_t)seq);
		}
		int n = tern_send(ip->s, st->sd, ip->data, chunk, 0);
		if (n < 0)
			break; /* a full queue, or an ICMP error reported once: next tick */
		st->packets++;
		st->bytes += (uint64_t)n;
		st->iv_bytes += (uint64_t)n;
		io_seen(ip);
	}
	if (!ip->stop_sending && !tern_timer_armed(&ip->aux_timer))
		tern_timer_arm(ip->s, &ip->aux_timer, now + IP_PACE);
}

/* UDP: count a datagram as iperf3 does: the highest sequence number is
 * the total, a jump counts the gap as lost, a late one takes one back;
 * jitter is RFC 3550's running mean of transit-time differences (from
 * the second datagram on: the clocks of two hosts differ). */
static void udp_take(struct tern_iperf *ip, struct ip_stream *st, const uint8_t *p, size_t n)
{
	size_t hdr = ip->udp64 ? IP_UDP_HDR64 : IP_UDP_HDR;
	st->bytes += n;
	st->iv_bytes += n;
	if (n < hdr)
		return;
	uint64_t seq = ip->udp64 ? (uint64_t)rd32(p + 8) << 32 | rd32(p + 12) : rd32(p + 8);
	if (seq >= st->packets + 1) {
		if (seq > st->packets + 1)
			st->lost += (int64_t)(seq - st->packets - 1);
		st->packets = seq;
	} else {
		st->out_of_order++;
		if (st->lost > 0)
			st->lost--;
	}
	double sent = (double)rd32(p) + (double)rd32(p + 4) / 1e6;
	double transit = (double)now_of(ip) / 1e9 - sent;
	if (st->have_transit) {
		double d = transit - st->prev_transit;
		if (d < 0)
			d = -d;
		st->jitter += (d - st->jitter) / 16.0;
	}
	st->prev_transit = transit;
	st->have_transit = true;
}

static void stream_send(struct tern_iperf *ip, struct ip_stream *st)
{
	if (ip->udp) {
		udp_send(ip, st);
		return;
	}
	tern_time_t now = now_of(ip);
	while (!ip->stop_sending && st->sd >= 0) {
		size_t chunk = next_chunk(ip);
		if (!chunk)
			return;
		if (ip->rate) {
			/* -b: no more than rate * elapsed per stream (iperf3's pacing) */
			double allowed = (double)ip->rate / 8.0 * (double)(now - ip->t_start) / 1e9;
			if ((double)st->bytes >= allowed) {
				if (!tern_timer_armed(&ip->aux_timer))
					tern_timer_arm(ip->s, &ip->aux_timer, now + IP_PACE);
				return;
			}
		}
		int n = tern_send(ip->s, st->sd, ip->data, chunk, 0);
		if (n == TERN_EAGAIN || n == 0)
			return;
		if (n < 0) {
			/* the peer reset or the connection failed: it is done */
			st->retr_final = own_retr(ip, st);
			st->retr_kept = true;
			tern_app_close(ip->s, &st->sd);
			return;
		}
		st->bytes += (uint64_t)n;
		st->iv_bytes += (uint64_t)n;
		io_seen(ip);
	}
}

/* Read what a stream has; counted while the test runs (a client stops at
 * its end), drained and dropped otherwise. */
static void stream_recv(struct tern_iperf *ip, struct ip_stream *st, bool count)
{
	while (st->sd >= 0 && !st->eof) {
		int n = tern_recv(ip->s, st->sd, ip->data, ip->data_cap, 0);
		if (n == TERN_EAGAIN)
			return;
		if (ip->udp) {
			if (n < 0)
				continue; /* an ICMP error, reported once */
			io_seen(ip);
			if (count)
				udp_take(ip, st, ip->data, (size_t)n);
			continue;
		}
		if (n <= 0) {
			st->eof = true;
			return;
		}
		io_seen(ip);
		if (count) {
			st->bytes += (uint64_t)n;
			st->iv_bytes += (uint64_t)n;
		}
	}
}

static void streams_io(struct tern_iperf *ip)
{
	bool running = ip->ph == PH_RUNNING;
	for (unsigned i = 0; i < ip->nstreams; i++) {
		struct ip_stream *st = &ip->st[i];
		if (st->sd < 0 || !st->ready)
			continue;
		if (ip->sender) {
			if (running)
				stream_send(ip, st);
		} else {
			stream_recv(ip, st, running);
		}
		running = ip->ph == PH_RUNNING;
	}
	/* a receiving client: -n counts what arrived */
	if (!ip->server && !ip->sender && ip->ph == PH_RUNNING && ip->bytes_limit &&
	    total_bytes(ip) >= ip->bytes_limit)
		client_end(ip);
}

static void on_idle(struct tern_stack *s, struct tern_timer *t, tern_time_t now)
{
	struct tern_iperf *ip = TERN_CONTAINER_OF(t, struct tern_iperf, idle_timer);
	(void)s;
	if (ip->done || ip->ph == PH_IDLE)
		return;
	if (now - ip->last_io < IP_IDLE) {
		tern_timer_arm(ip->s, &ip->idle_timer, ip->last_io + IP_IDLE);
		return;
	}
	fail(ip, "idle timeout for receiving data");
}

/* A data connection's -C and --fq-rate (iperf3: TCP_CONGESTION and
 * SO_MAX_PACING_RATE set on the data sockets); an error as iperf3's
 * IESETCONGESTION. */
static int data_sockopts(struct tern_iperf *ip, int sd)
{
	if (ip->congestion[0] &&
	    tern_setsockopt(ip->s, sd, TERN_IPPROTO_TCP, TERN_TCP_CONGESTION, ip->congestion,
			    strlen(ip->congestion)) != 0)
		return -1;
	if (ip->fq_rate) {
		uint64_t bytes = ip->fq_rate / 8;
		tern_setsockopt(ip->s, sd, TERN_SOL_SOCKET, TERN_SO_MAX_PACING_RATE, &bytes,
				sizeof(bytes));
	}
	return 0;
}

/* ---- the client ------------------------------------------------------------------- */

/* A data stream's socket, owned by "iperf", calling back, connecting to
 * the server: tern_connect's result (EINPROGRESS for TCP), or the
 * socket's error. */
static int open_stream(struct tern_iperf *ip, struct ip_stream *st, int type)
{
	int sd = tern_socket(ip->s, TERN_AF_INET, type, 0);
	if (sd < 0)
		return sd;
	if (ip->nodelay && type == TERN_SOCK_STREAM)
		ctrl_nodelay(ip, sd);
	tern_socket_set_owner(ip->s, sd, "iperf");
	st->sd = sd;
	tern_socket_set_callback(ip->s, sd, on_socket, ip);
	if (type == TERN_SOCK_STREAM && data_sockopts(ip, sd) < 0)
		return TERN_ENOENT; /* the caller's message */
	struct tern_sockaddr_in peer = {ip->o.dst, ip->o.port};
	return tern_connect(ip->s, sd, &peer);
}

static void client_connect_stream(struct tern_iperf *ip)
{
	unsigned i = ip->next_connect;
	struct ip_stream *st = &ip->st[i];
	int rc = open_stream(ip, st, TERN_SOCK_STREAM);
	if (rc == TERN_ENOENT && ip->congestion[0]) {
		fail(ip, "unable to set TCP_CONGESTION: Supplied congestion control algorithm not "
			 "supported on this host");
		return;
	}
	if (rc < 0 && rc != TERN_EINPROGRESS) {
		fail(ip, "unable to connect stream: %s", tern_strerror(rc));
		return;
	}
	st->connecting = true;
}

static void print_connected(struct tern_iperf *ip, struct ip_stream *st)
{
	char a[TERN_IP4_STRLEN], b[TERN_IP4_STRLEN];
	tern_getsockname(ip->s, st->sd, &st->local);
	tern_getpeername(ip->s, st->sd, &st->peer);
	say(ip, "[%3d] local %s port %u connected to %s port %u\n", st->label,
	    tern_ip4_str(st->local.addr, a), st->local.port, tern_ip4_str(st->peer.addr, b),
	    st->peer.port);
}

/* UDP: a connected socket, "9876" to the server, and the stream is ready
 * when "6789" comes back. */
static void client_udp_stream(struct tern_iperf *ip, struct ip_stream *st)
{
	if (st->sd < 0) {
		int rc = open_stream(ip, st, TERN_SOCK_DGRAM);
		if (rc == 0)
			rc = tern_send(ip->s, st->sd, udp_hello, sizeof(udp_hello), 0);
		if (rc < 0) {
			fail(ip, "unable to connect stream: %s", tern_strerror(rc));
			return;
		}
		st->connecting = true;
	}
	for (;;) {
		uint8_t buf[64];
		int n = tern_recv(ip->s, st->sd, buf, sizeof(buf), 0);
		if (n == TERN_EAGAIN)
			return;
		if (n < 0) {
			fail(ip, "unable to connect stream: %s", tern_strerror(n));
			return;
		}
		if (n == sizeof(udp_reply) && memcmp(buf, udp_reply, sizeof(udp_reply)) == 0)
			break;
	}
	st->connecting = false;
	st->ready = true;
	io_seen(ip);
	print_connected(ip, st);
	ip->next_connect++;
}

static void client_streams(struct tern_iperf *ip)
{
	while (ip->ph == PH_STREAMS && ip->next_connect < ip->nstreams) {
		struct ip_stream *st = &ip->st[ip->next_connect];
		if (ip->udp) {
			unsigned before = ip->next_connect;
			client_udp_stream(ip, st);
			if (ip->next_connect == before)
				return;
			continue;
		}
		if (st->sd < 0) {
			client_connect_stream(ip);
			continue;
		}
		int rc = tern_app_connect_result(ip->s, st->sd);
		if (rc == 0)
			return;
		if (rc < 0) {
			fail(ip, "unable to connect stream: %s", tern_strerror(rc));
			return;
		}
		st->connecting = false;
		/* the cookie names the test on each data connection (fits: a new
		 * connection's send buffer is empty) */
		if (tern_send(ip->s, st->sd, ip->cookie, IP_COOKIE_LEN, 0) != IP_COOKIE_LEN) {
			fail(ip, "unable to connect stream: %s", tern_strerror(TERN_ENOBUFS));
			return;
		}
		st->ready = true;
		print_connected(ip, st);
		ip->next_connect++;
	}
}

static void client_state(struct tern_iperf *ip, int state)
{
	switch (state) {
	case PARAM_EXCHANGE:
		if (ip->ph != PH_PARAMS || !send_params(ip))
			fail(ip, "unable to send parameters to server");
		return;
	case CREATE_STREAMS:
		if (ip->ph != PH_PARAMS) {
			fail(ip, "received an unknown control message");
			return;
		}
		ip->ph = PH_STREAMS;
		client_streams(ip);
		return;
	case TEST_START:
		if (ip->ph != PH_STREAMS || ip->next_connect < ip->nstreams) {
			fail(ip, "received an unknown control message");
			return;
		}
		test_start(ip);
		return;
	case TEST_RUNNING:
		if (ip->ph != PH_STREAMS) {
			fail(ip, "received an unknown control message");
			return;
		}
		test_running(ip);
		return;
	case EXCHANGE_RESULTS:
		if (ip->ph != PH_RESULTS || !send_results(ip)) {
			fail(ip, "unable to send results");
			return;
		}
		ip->want_json = true;
		return;
	case DISPLAY_RESULTS:
		if (ip->ph != PH_RESULTS || !ip->peer_results) {
			fail(ip, "unable to receive results");
			return;
		}
		summary(ip);
		send_state(ip, IPERF_DONE);
		say(ip, "\niperf Done.\n");
		stop_timers(ip);
		close_streams(ip);
		tern_app_close(ip->s, &ip->csd);
		ip->done = true;
		ip->ph = PH_DONE;
		return;
	case SERVER_TERMINATE:
		fail(ip, "the server has terminated");
		return;
	case ACCESS_DENIED:
		fail(ip, "the server is busy running a test. try again later");
		return;
	default:
		fail(ip, "received an unknown control message (%d)", state);
		return;
	}
}

/* ---- the server ----------------------------------------------------------------- */

static void server_accept(struct tern_iperf *ip)
{
	for (;;) {
		struct tern_sockaddr_in from;
		int sd = tern_accept(ip->s, ip->lsd, &from);
		if (sd >= 0)
			tern_socket_set_owner(ip->s, sd, "iperf");
		if (sd < 0)
			return;
		if (ip->ph == PH_IDLE && ip->csd < 0) {
			ip->csd = sd;
			ctrl_nodelay(ip, sd);
			ip->ph = PH_COOKIE;
			ip->cin_len = 0;
			tern_socket_set_callback(ip->s, sd, on_socket, ip);
			io_seen(ip);
			continue;
		}
		if (ip->ph == PH_STREAMS && !ip->udp) {
			unsigned i = 0;
			while (i < ip->nstreams && ip->st[i].sd >= 0)
				i++;
			if (i < ip->nstreams) {
				/* the client's -C, --fq-rate: an algorithm this
				 * stack lacks leaves its default */
				data_sockopts(ip, sd);
				ip->st[i].sd = sd;
				ip->st[i].cookie_len = 0;
				if (ip->nodelay)
					ctrl_nodelay(ip, sd);
				tern_socket_set_callback(ip->s, sd, on_socket, ip);
				continue;
			}
		}
		/* busy: iperf3 answers ACCESS_DENIED without reading */
		uint8_t deny = (uint8_t)(int8_t)ACCESS_DENIED;
		tern_send(ip->s, sd, &deny, 1, 0);
		tern_close(ip->s, sd);
	}
}

/* Read a cookie into buf; true once all 37 bytes are in. */
static bool read_cookie(struct tern_iperf *ip, int sd, uint8_t *buf, size_t *have, bool *bad)
{
	while (*have < IP_COOKIE_LEN) {
		int n = tern_recv(ip->s, sd, buf + *have, IP_COOKIE_LEN - *have, 0);
		if (n == TERN_EAGAIN)
			return false;
		if (n <= 0) {
			*bad = true;
			return false;
		}
		*have += (size_t)n;
		io_seen(ip);
	}
	return true;
}

/* UDP: a socket on the port waits for the client's "9876", connects to its
 * sender and answers "6789" (iperf3's iperf_udp_accept). */
static int udp_listen(struct tern_iperf *ip)
{
	int sd = tern_socket(ip->s, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	if (sd >= 0)
		tern_socket_set_owner(ip->s, sd, "iperf");
	if (sd < 0)
		return sd;
	int one = 1;
	tern_setsockopt(ip->s, sd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &one, sizeof(one));
	struct tern_sockaddr_in a = {0, ip->o.port};
	int rc = tern_bind(ip->s, sd, &a);
	if (rc < 0) {
		tern_close(ip->s, sd);
		return rc;
	}
	tern_socket_set_callback(ip->s, sd, on_socket, ip);
	ip->usd = sd;
	return 0;
}

static void server_udp_streams(struct tern_iperf *ip)
{
	while (ip->ph == PH_STREAMS && ip->usd >= 0 && ip->accepted < ip->nstreams) {
		uint8_t buf[64];
		struct tern_sockaddr_in from;
		int n = tern_recvfrom(ip->s, ip->usd, buf, sizeof(buf), 0, &from);
		if (n == TERN_EAGAIN)
			return;
		if (n != sizeof(udp_hello) || memcmp(buf, udp_hello, sizeof(udp_hello)) != 0)
			continue;
		int rc = tern_connect(ip->s, ip->usd, &from);
		if (rc == 0)
			rc = tern_send(ip->s, ip->usd, udp_reply, sizeof(udp_reply), 0);
		if (rc < 0) {
			fail(ip, "unable to accept stream connection: %s", tern_strerror(rc));
			return;
		}
		struct ip_stream *st = &ip->st[ip->accepted++];
		st->sd = ip->usd;
		st->ready = true;
		ip->usd = -1;
		io_seen(ip);
		print_connected(ip, st);
		if (ip->accepted < ip->nstreams && (rc = udp_listen(ip)) < 0) {
			fail(ip, "unable to start stream listener: %s", tern_strerror(rc));
			return;
		}
	}
}

static void server_streams(struct tern_iperf *ip)
{
	if (ip->udp)
		server_udp_streams(ip);
	for (unsigned i = 0; i < ip->nstreams && ip->ph == PH_STREAMS && !ip->udp; i++) {
		struct ip_stream *st = &ip->st[i];
		if (st->sd < 0 || st->ready)
			continue;
		bool bad = false;
		if (!read_cookie(ip, st->sd, st->cookie, &st->cookie_len, &bad)) {
			if (bad)
				tern_app_close(ip->s, &st->sd);
			continue;
		}
		if (memcmp(st->cookie, ip->cookie, IP_COOKIE_LEN) != 0) {
			uint8_t deny = (uint8_t)(int8_t)ACCESS_DENIED;
			tern_send(ip->s, st->sd, &deny, 1, 0);
			tern_app_close(ip->s, &st->sd);
			continue;
		}
		st->ready = true;
		print_connected(ip, st);
		ip->accepted++;
	}
	if (ip->ph == PH_STREAMS && ip->accepted == ip->nstreams) {
		send_state(ip, TEST_START);
		test_start(ip);
		send_state(ip, TEST_RUNNING);
		test_running(ip);
	}
}

/* TEST_END: what has arrived counts, the data connections close. */
static void server_test_end(struct tern_iperf *ip)
{
	tern_time_t now = now_of(ip);
	if (!ip->sender)
		for (unsigned i = 0; i < ip->nstreams; i++)
			stream_recv(ip, &ip->st[i], true);
	ip->t_end = now;
	ip->stop_sending = true;
	tern_timer_cancel(ip->s, &ip->iv_timer);
	tern_timer_cancel(ip->s, &ip->aux_timer);
	interval_report(ip, now, true);
	/* as iperf3's server: the data connections close now. A sender's
	 * queued data still goes, then its FIN: an iperf3 client draining its
	 * streams after TEST_END waits for that end (it hung when the
	 * connections stayed open) */
	keep_retr(ip);
	close_streams(ip);
	ip->ph = PH_RESULTS;
	send_state(ip, EXCHANGE_RESULTS);
	ip->want_json = true;
}

static void server_state(struct tern_iperf *ip, int state)
{
	switch (state) {
	case TEST_END:
		if (ip->ph != PH_RUNNING) {
			fail(ip, "received an unknown control message");
			return;
		}
		server_test_end(ip);
		return;
	case IPERF_DONE:
		if (ip->ph != PH_DONE_WAIT) {
			fail(ip, "received an unknown control message");
			return;
		}
		server_reset(ip, true);
		return;
	case CLIENT_TERMINATE:
		/* as iperf3: what the test did so far, then the next test */
		if (ip->ph == PH_RUNNING) {
			ip->t_end = now_of(ip);
			interval_report(ip, ip->t_end, true);
			summary(ip);
		}
		diag(ip, "the client has terminated");
		ip->res.failed++;
		server_reset(ip, false);
		return;
	default:
		fail(ip, "received an unknown control message (%d)", state);
		return;
	}
}

/* ---- the control connection --------------------------------------------------------- */

static void ctrl_json(struct tern_iperf *ip, const char *text, size_t len)
{
	ip->want_json = false;
	if (ip->server && ip->ph == PH_PARAMS) {
		const char *unsupported = NULL;
		if (!take_params(ip, text, len, &unsupported)) {
			if (unsupported) {
				/* iperf3's SERVER_ERROR: the state, then i_errno and
				 * errno as 32-bit big-endian; IEUNIMP (13) reads "an
				 * option you are trying to set is not implemented yet" */
				static const uint8_t msg[9] = {(uint8_t)(int8_t)SERVER_ERROR, 0, 0, 0,
							       IE_UNIMP, 0, 0, 0, 0};
				ctrl_queue(ip, msg, sizeof(msg));
				ctrl_flush(ip);
				fail(ip, "%s", unsupported);
			} else {
				fail(ip, "unable to receive parameters from client");
			}
			return;
		}
		reset_streams(ip);
		int rc = ip->udp ? udp_listen(ip) : 0;
		if (rc < 0) {
			fail(ip, "unable to start stream listener: %s", tern_strerror(rc));
			return;
		}
		ip->ph = PH_STREAMS;
		send_state(ip, CREATE_STREAMS);
		return;
	}
	if (ip->server && ip->ph == PH_RESULTS) {
		if (!take_results(ip, text, len)) {
			fail(ip, "unable to receive results");
			return;
		}
		if (!send_results(ip)) {
			fail(ip, "unable to send results");
			return;
		}
		send_state(ip, DISPLAY_RESULTS);
		summary(ip);
		close_streams(ip);
		ip->ph = PH_DONE_WAIT;
		return;
	}
	if (!ip->server && ip->ph == PH_RESULTS) {
		if (!take_results(ip, text, len))
			fail(ip, "unable to receive results");
		return;
	}
	fail(ip, "received an unknown control message");
}

/* Parse whole messages out of the control buffer. */
static void ctrl_parse(struct tern_iperf *ip)
{
	size_t off = 0;
	while (!ip->done && ip->csd >= 0 && off < ip->cin_len) {
		if (ip->want_json) {
			if (ip->cin_len - off < 4)
				break;
			const uint8_t *p = ip->cin + off;
			uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
			if (len > IP_JSON_MAX) {
				fail(ip, ip->server && ip->ph == PH_PARAMS
						 ? "unable to receive parameters from client"
						 : "unable to receive results");
				return;
			}
			if (ip->cin_len - off - 4 < len)
				break;
			off += 4 + len;
			ctrl_json(ip, (const char *)p + 4, len);
		} else {
			int state = (int8_t)ip->cin[off];
			if (!ip->server && state == SERVER_ERROR) {
				/* i_errno and errno follow, 32 bits each */
				if (ip->cin_len - off < 9)
					break;
				const uint8_t *p = ip->cin + off + 1;
				int32_t code = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
							 (uint32_t)p[2] << 8 | p[3]);
				off += 9;
				if (code == IE_UNIMP)
					fail(ip, "an option you are trying to set is not implemented yet");
				else
					fail(ip, "the server has reported an error (iperf3 error %d)", (int)code);
				break;
			}
			off++;
			if (ip->server)
				server_state(ip, state);
			else
				client_state(ip, state);
		}
	}
	if (ip->csd < 0) {
		ip->cin_len = 0;
		return;
	}
	memmove(ip->cin, ip->cin + off, ip->cin_len - off);
	ip->cin_len -= off;
}

static void ctrl_closed(struct tern_iperf *ip)
{
	if (ip->server) {
		diag(ip, "the client has unexpectedly closed the connection");
		ip->res.failed++;
		server_reset(ip, false);
	} else {
		fail(ip, "control socket has closed unexpectedly");
	}
}

static void ctrl_read(struct tern_iperf *ip)
{
	while (ip->csd >= 0 && !ip->done) {
		if (ip->cin_len == IP_CTRL_IN) {
			fail(ip, "received an unknown control message");
			return;
		}
		int n = tern_recv(ip->s, ip->csd, ip->cin + ip->cin_len, IP_CTRL_IN - ip->cin_len, 0);
		if (n == TERN_EAGAIN)
			break;
		if (n <= 0) {
			ctrl_parse(ip); /* what came before the end still counts */
			if (ip->csd >= 0 && !ip->done)
				ctrl_closed(ip);
			return;
		}
		ip->cin_len += (size_t)n;
		io_seen(ip);
		ctrl_parse(ip);
	}
}

static void client_ctrl_connect(struct tern_iperf *ip)
{
	int rc = tern_app_connect_result(ip->s, ip->csd);
	if (rc == 0)
		return;
	if (rc < 0) {
		fail(ip, "unable to connect to server: %s", tern_strerror(rc));
		return;
	}
	char a[TERN_IP4_STRLEN];
	say(ip, "Connecting to host %s, port %u\n", tern_ip4_str(ip->o.dst, a), ip->o.port);
	if (ip->reverse)
		say(ip, "Reverse mode, remote host %s is sending\n", a);
	if (ip->udp && !ip->o.len) {
		/* as iperf3: a UDP datagram as large as the control connection's MSS */
		struct tern_tcp_info ti;
		ip->blksize = tcp_info(ip, ip->csd, &ti) && ti.tcpi_snd_mss >= IP_UDP_HDR64
				      ? ti.tcpi_snd_mss
				      : 1460;
	}
	ctrl_queue(ip, ip->cookie, IP_COOKIE_LEN);
	ctrl_flush(ip);
	ip->ph = PH_PARAMS;
}

static void server_cookie(struct tern_iperf *ip)
{
	bool bad = false;
	uint8_t *buf = (uint8_t *)ip->cookie;
	if (!read_cookie(ip, ip->csd, buf, &ip->cin_len, &bad)) {
		if (bad) {
			tern_app_close(ip->s, &ip->csd);
			ip->ph = PH_IDLE;
		}
		return;
	}
	ip->cin_len = 0;
	struct tern_sockaddr_in peer;
	char a[TERN_IP4_STRLEN];
	tern_getpeername(ip->s, ip->csd, &peer);
	say(ip, "Accepted connection from %s, port %u\n", tern_ip4_str(peer.addr, a), peer.port);
	ip->ph = PH_PARAMS;
	send_state(ip, PARAM_EXCHANGE);
	ip->want_json = true;
}

static void step(struct tern_iperf *ip)
{
	if (ip->server && ip->lsd >= 0)
		server_accept(ip);
	if (ip->done)
		return;
	if (ip->ph == PH_CONNECTING)
		client_ctrl_connect(ip);
	if (ip->server && ip->ph == PH_COOKIE)
		server_cookie(ip);
	if (ip->done)
		return;
	ctrl_flush(ip);
	if (ip->ph != PH_COOKIE && ip->ph != PH_CONNECTING && ip->ph != PH_IDLE)
		ctrl_read(ip);
	if (ip->done || ip->ph == PH_IDLE)
		return;
	if (ip->ph == PH_STREAMS)
		ip->server ? server_streams(ip) : client_streams(ip);
	if (ip->ph == PH_RUNNING || ip->ph == PH_DRAINING || ip->ph == PH_RESULTS)
		streams_io(ip);
}

static void pump(struct tern_iperf *ip)
{
	if (ip->busy) {
		ip->again = true;
		return;
	}
	ip->busy = true;
	do {
		ip->again = false;
		step(ip);
	} while (ip->again && !ip->done);
	ip->busy = false;
}

/* ---- life cycle ----------------------------------------------------------------- */

static uint64_t next_rand(uint64_t *x)
{
	/* splitmix64 */
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void make_cookie(struct tern_iperf *ip)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
	for (int i = 0; i < IP_COOKIE_LEN - 1; i++)
		ip->cookie[i] = alphabet[next_rand(&ip->rng) % 32];
	ip->cookie[IP_COOKIE_LEN - 1] = '\0';
}

struct tern_iperf *tern_iperf_start(struct tern_stack *s, const struct tern_iperf_opts *o,
				    FILE *out, tern_time_t now, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
	(void)now;
	if (!s || !o || !out || o->parallel < 1 || o->parallel > TERN_IPERF_MAX_STREAMS ||
	    o->len > IP_MAX_LEN || o->port == 0 || (!o->server && o->dst == 0) ||
	    (o->udp && !o->server &&
	     (o->parallel > 1 || (o->len && (o->len < IP_UDP_HDR || o->len > TERN_UDP_MAX_PAYLOAD))))) {
		*err = TERN_EINVAL;
		return NULL;
	}
	struct tern_iperf *ip = calloc(1, sizeof(*ip));
	if (!ip || !(ip->cin = malloc(IP_CTRL_IN)) || !(ip->cout = malloc(IP_CTRL_OUT))) {
		if (ip) {
			free(ip->cin);
			free(ip);
		}
		*err = TERN_ENOMEM;
		return NULL;
	}
	ip->s = s;
	ip->o = *o;
	ip->out = out;
	ip->server = o->server;
	ip->lsd = ip->csd = ip->usd = -1;
	ip->rng = o->cookie_seed;
	ip->test_no = 1;
	for (unsigned i = 0; i < TERN_IPERF_MAX_STREAMS; i++)
		ip->st[i].sd = -1;
	tern_timer_init(&ip->iv_timer, on_interval);
	tern_timer_init(&ip->end_timer, on_end);
	tern_timer_init(&ip->aux_timer, on_aux);
	tern_timer_init(&ip->idle_timer, on_idle);
	int rc;
	if (ip->server) {
		rc = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
		if (rc >= 0)
			tern_socket_set_owner(s, rc, "iperf");
		if (rc >= 0) {
			ip->lsd = rc;
			int one = 1;
			tern_setsockopt(s, ip->lsd, TERN_SOL_SOCKET, TERN_SO_REUSEADDR, &one, sizeof(one));
			struct tern_sockaddr_in a = {0, o->port};
			rc = tern_bind(s, ip->lsd, &a);
			if (rc == 0)
				rc = tern_listen(s, ip->lsd, 16);
		}
		if (rc < 0) {
			diag(ip, "error - unable to start listener for connections: %s", tern_strerror(rc));
			*err = rc;
			tern_iperf_finish(ip);
			return NULL;
		}
		tern_socket_set_callback(s, ip->lsd, on_socket, ip);
		ip->ph = PH_IDLE;
		server_banner(ip);
		return ip;
	}
	ip->nstreams = o->parallel;
	ip->reverse = o->reverse;
	if (o->congestion)
		snprintf(ip->congestion, sizeof(ip->congestion), "%s", o->congestion);
	ip->fq_rate = o->fq_rate;
	ip->sender = !o->reverse;
	ip->udp = o->udp;
	ip->nodelay = o->no_delay;
	ip->blksize = o->len ? o->len : IP_DEFAULT_LEN; /* UDP: the control MSS, once connected */
	ip->bytes_limit = o->bytes;
	ip->rate = o->rate ? o->rate : o->udp ? IP_UDP_DEFAULT_RATE : 0;
	ip->duration = o->duration;
	make_cookie(ip);
	reset_streams(ip);
	if (!alloc_data(ip, ip->blksize)) {
		*err = TERN_ENOMEM;
		tern_iperf_finish(ip);
		return NULL;
	}
	rc = tern_socket(s, TERN_AF_INET, TERN_SOCK_STREAM, 0);
	if (rc >= 0)
		tern_socket_set_owner(s, rc, "iperf");
	if (rc < 0) {
		diag(ip, "error - unable to connect to server: %s", tern_strerror(rc));
		*err = rc;
		tern_iperf_finish(ip);
		return NULL;
	}
	ip->csd = rc;
	ctrl_nodelay(ip, rc);
	tern_socket_set_callback(s, ip->csd, on_socket, ip);
	ip->ph = PH_CONNECTING;
	io_seen(ip);
	struct tern_sockaddr_in peer = {o->dst, o->port};
	rc = tern_connect(s, ip->csd, &peer);
	if (rc < 0 && rc != TERN_EINPROGRESS)
		fail(ip, "unable to connect to server: %s", tern_strerror(rc));
	else
		pump(ip);
	return ip;
}

void tern_iperf_interrupt(struct tern_iperf *ip)
{
	if (ip->done)
		return;
	bool started = ip->ph == PH_RUNNING || ip->ph == PH_DRAINING || ip->ph == PH_RESULTS;
	if (started) {
		if (ip->ph == PH_RUNNING) {
			ip->t_end = now_of(ip);
			interval_report(ip, ip->t_end, true);
		}
		summary(ip);
	}
	if (ip->csd >= 0 && ip->ph != PH_CONNECTING && ip->ph != PH_COOKIE)
		send_state(ip, ip->server ? SERVER_TERMINATE : CLIENT_TERMINATE);
	diag(ip, "interrupt - the %s has terminated", ip->server ? "server" : "client");
	stop_timers(ip);
	close_streams(ip);
	tern_app_close(ip->s, &ip->csd);
	tern_app_close(ip->s, &ip->lsd);
	ip->status = 1;
	ip->done = true;
	ip->ph = PH_DONE;
}

bool tern_iperf_done(const struct tern_iperf *ip)
{
	return ip->done;
}

void tern_iperf_get_result(const struct tern_iperf *ip, struct tern_iperf_result *r)
{
	*r = ip->res;
}

int tern_iperf_finish(struct tern_iperf *ip)
{
	if (!ip)
		return 1;
	int status = ip->status;
	/* a client stopped before its test ended failed it */
	if (!ip->server && !ip->done)
		status = 1;
	stop_timers(ip);
	close_streams(ip);
	tern_app_close(ip->s, &ip->csd);
	tern_app_close(ip->s, &ip->usd);
	tern_app_close(ip->s, &ip->lsd);
	free(ip->cin);
	free(ip->cout);
	free(ip->data);
	free(ip);
	return status;
}
