/*
 * tern/tcp.h — TCP socket options (level TERN_IPPROTO_TCP), with Linux's
 * numbers so code written for Linux ports by renaming.
 */
#ifndef TERN_TCP_H
#define TERN_TCP_H

#include <stddef.h>

#include "tern/socket.h"

#define TERN_TCP_NODELAY 1       /* no Nagle (RFC 896) */
#define TERN_TCP_MAXSEG 2        /* cap the MSS (88..32767; 0: none) */
#define TERN_TCP_CORK 3          /* send only full segments until cleared */
#define TERN_TCP_KEEPIDLE 4      /* seconds idle before the first keepalive (7200) */
#define TERN_TCP_KEEPINTVL 5     /* seconds between keepalives (75) */
#define TERN_TCP_KEEPCNT 6       /* unanswered keepalives before giving up (9) */
#define TERN_TCP_QUICKACK 12     /* acknowledge at once rather than delay */
#define TERN_TCP_USER_TIMEOUT 18 /* ms data may stay unacknowledged (RFC 9293 §3.8.3); 0: off */
#define TERN_TCP_INFO 11         /* get: struct tern_tcp_info, Linux's struct tcp_info */
#define TERN_TCP_CONGESTION 13   /* the congestion control's name, a string ("reno") */
#define TERN_TCP_FASTOPEN 23     /* listener: data on SYNs accepted (RFC 7413); the value is
				  * the queue limit of such not yet accepted connections */
#define TERN_TCP_FASTOPEN_CONNECT 30 /* client: connect returns at once and the first
				      * write goes on the SYN (with a cached cookie) */

#include <stdint.h>

struct tern_stack;
/* How many of the stack's connections still owe their peer data or a FIN
 * acknowledgment (closed ones included: the kernel would finish them
 * after the program exits). A program whose stack goes with its process
 * runs the stack until this is 0 before it exits. */
unsigned tern_tcp_pending(struct tern_stack *s);

/* Linux's struct tcp_info (include/uapi/linux/tcp.h, as of Linux 6.7:
 * 248 bytes), byte for byte, so tools written for Linux read it as is.
 * Fields tern does not track are zero. Units as Linux's: times in µs
 * (tcpi_last_*: ms), windows in segments (cwnd, ssthresh, unacked),
 * tcpi_state in Linux's numbering (ESTABLISHED 1 ... LISTEN 10, CLOSING
 * 11), tcpi_options bits TS 1, SACK 2, WSCALE 4, ECN 8, ECN_SEEN 16,
 * SYN_DATA 32 (the SYN's data was accepted: Fast Open). getsockopt
 * copies min(optlen, sizeof) bytes. */
struct tern_tcp_info {
	uint8_t tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes, tcpi_backoff;
	uint8_t tcpi_options;
	uint8_t tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;
	uint8_t tcpi_delivery_rate_app_limited : 1, tcpi_fastopen_client_fail : 2;
	uint32_t tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
	uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;
	uint32_t tcpi_last_data_sent, tcpi_last_ack_sent, tcpi_last_data_recv, tcpi_last_ack_recv;
	uint32_t tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar, tcpi_snd_ssthresh;
	uint32_t tcpi_snd_cwnd, tcpi_advmss, tcpi_reordering, tcpi_rcv_rtt, tcpi_rcv_space;
	uint32_t tcpi_total_retrans;
	uint64_t tcpi_pacing_rate, tcpi_max_pacing_rate, tcpi_bytes_acked, tcpi_bytes_received;
	uint32_t tcpi_segs_out, tcpi_segs_in, tcpi_notsent_bytes, tcpi_min_rtt;
	uint32_t tcpi_data_segs_in, tcpi_data_segs_out;
	uint64_t tcpi_delivery_rate, tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited;
	uint32_t tcpi_delivered, tcpi_delivered_ce;
	uint64_t tcpi_bytes_sent, tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups, tcpi_reord_seen, tcpi_rcv_ooopack, tcpi_snd_wnd, tcpi_rcv_wnd;
	uint32_t tcpi_rehash;
	uint16_t tcpi_total_rto, tcpi_total_rto_recoveries;
	uint32_t tcpi_total_rto_time;
};
_Static_assert(offsetof(struct tern_tcp_info, tcpi_rto) == 8, "tcp_info layout");
_Static_assert(offsetof(struct tern_tcp_info, tcpi_snd_mss) == 16, "tcp_info layout");
_Static_assert(offsetof(struct tern_tcp_info, tcpi_rtt) == 68, "tcp_info layout");
_Static_assert(offsetof(struct tern_tcp_info, tcpi_total_retrans) == 100, "tcp_info layout");
_Static_assert(offsetof(struct tern_tcp_info, tcpi_bytes_received) == 128, "tcp_info layout");
_Static_assert(offsetof(struct tern_tcp_info, tcpi_snd_wnd) == 228, "tcp_info layout");
_Static_assert(offsetof(struct tern_tcp_info, tcpi_rcv_wnd) == 232, "tcp_info layout");
_Static_assert(offsetof(struct tern_tcp_info, tcpi_total_rto_time) == 244, "tcp_info layout");
_Static_assert(sizeof(struct tern_tcp_info) == 248, "tcp_info layout");

/* ---- the per-connection trace hook ---------------------------------------- */

/* What happened. Each event carries the connection's figures as they are
 * right after it. */
enum tern_tcp_trace_kind {
	TERN_TCP_TRACE_SEND = 1,    /* a segment left: seq, len, flags (a pure ACK: len 0) */
	TERN_TCP_TRACE_RETRANSMIT,  /* a segment with data, SYN or FIN below the highest
				     * sequence number sent left again */
	TERN_TCP_TRACE_ACK_RCVD,    /* an acceptable ACK arrived: ack = SEG.ACK, window =
				     * the window it offers (scaled), before tern acts on it */
	TERN_TCP_TRACE_CWND,        /* the congestion window changed */
	TERN_TCP_TRACE_SSTHRESH,    /* the slow-start threshold changed */
	TERN_TCP_TRACE_SRTT,        /* an RTT sample moved srtt or rttvar */
	TERN_TCP_TRACE_STATE,       /* the state changed (to .state) */
	TERN_TCP_TRACE_MSS,         /* the MSS changed after the handshake (path MTU:
				     * RFC 1191, RFC 4821): len = the payload a full
				     * segment carries now */
	TERN_TCP_TRACE_UNDO,        /* a reduction proved spurious and was undone: undo =
				     * which (enum tern_tcp_undo); cwnd, ssthresh as
				     * restored */
	TERN_TCP_TRACE_CA_STATE,    /* a reduction began or ended: a recovery episode
				     * (ca_state 3), a timeout's (4), ECN's or the
				     * device's (2); back to 0 or 1 (Open, Disorder) */
	TERN_TCP_TRACE_FASTOPEN,    /* Fast Open's outcome for this connection (RFC 7413):
				     * fastopen = enum tern_tcp_fastopen, len = the octets
				     * the SYN carried */
};

/* What a FASTOPEN event says. */
enum tern_tcp_fastopen {
	TERN_TCP_FO_COOKIE = 1,     /* a cookie was asked for and given (no data went) */
	TERN_TCP_FO_DATA,           /* the SYN's data was taken (client: acknowledged) */
	TERN_TCP_FO_REFUSED,        /* the SYN's data was not taken (a bad or stale
				     * cookie, a full queue, a server without Fast Open):
				     * it goes again after the handshake */
};

/* What an UNDO event undid (as Linux's nstat counters name them). */
enum tern_tcp_undo {
	TERN_TCP_UNDO_LOSS = 1,     /* a retransmission timeout (TcpExtTCPLossUndo) */
	TERN_TCP_UNDO_FULL,         /* fast recovery, at its end (TCPFullUndo) */
	TERN_TCP_UNDO_PARTIAL,      /* fast recovery, on a partial ACK (TCPPartialUndo) */
	TERN_TCP_UNDO_DSACK,        /* fast recovery, by D-SACKs (TCPDSACKUndo) */
};

struct tern_tcp_trace_event {
	tern_time_t time;
	enum tern_tcp_trace_kind kind;
	int sd;                         /* the socket, -1 if none (orphaned, not yet accepted) */
	struct tern_sockaddr_in local, peer;
	uint8_t state;                  /* Linux's numbering, as tcpi_state (ESTABLISHED 1 ...) */
	uint8_t flags;                  /* SEND/RETRANSMIT: the segment's TERN_TCP_* flags */
	uint8_t undo;                   /* UNDO: enum tern_tcp_undo (0 for other events) */
	uint8_t ca_state;               /* as tcpi_ca_state: 0 Open, 1 Disorder, 2 CWR,
					 * 3 Recovery, 4 Loss */
	uint8_t fastopen;               /* FASTOPEN: enum tern_tcp_fastopen (else 0) */
	uint32_t seq, len;              /* SEND/RETRANSMIT: the segment's */
	uint32_t ack;                   /* SEND/RETRANSMIT: the ACK field (0 without ACK);
					 * ACK_RCVD: SEG.ACK */
	uint32_t window;                /* ACK_RCVD: SEG.WND (scaled); else SND.WND */
	uint32_t cwnd, ssthresh;        /* bytes; ssthresh UINT32_MAX: none yet */
	tern_time_t srtt, rttvar;       /* 0 before the first sample */
	uint32_t snd_una, snd_nxt, rcv_nxt;
	/* ACK_RCVD: the SACK blocks the ACK carried (RFC 2018), as received;
	 * nsack 0 for other events (the line format leaves them out) */
	uint8_t nsack;
	struct { uint32_t left, right; } sack[4];
};

/* Called for each event, inside the stack's input, output or timers: it
 * must not call back into the stack (copy what it needs). */
typedef void (*tern_tcp_trace_fn)(void *ctx, struct tern_stack *s,
				  const struct tern_tcp_trace_event *ev);

/* Trace socket sd's connection (a listener: every connection it accepts
 * from now on), or with sd < 0 every connection of the stack, those open
 * now and those to come. fn NULL stops. A connection keeps its trace when
 * its socket is closed (an orphan still finishing its FIN exchange), until
 * it ends. Without a trace the cost is one predictable branch per event.
 * Returns 0, TERN_EBADF (no such socket), TERN_EINVAL (not TCP) or
 * TERN_ENOMEM. */
int tern_tcp_set_trace(struct tern_stack *s, int sd, tern_tcp_trace_fn fn, void *ctx);

/* "SEND", "RETRANSMIT", "ACK_RCVD", "CWND", "SSTHRESH", "SRTT", "STATE", "MSS",
 * "UNDO", "CA_STATE", "FASTOPEN". */
const char *tern_tcp_trace_kind_name(enum tern_tcp_trace_kind k);

/* One event as a line of space-separated columns, for plotting (no
 * newline), in TERN_TCP_TRACE_COLUMNS' order: time in seconds, kind,
 * local and peer address:port, state (Linux's number), flags (TCP's
 * letters, "-" for none), seq, len, ack, window, cwnd, ssthresh (-1: none),
 * srtt and rttvar in ms, snd_una, snd_nxt, rcv_nxt, ca_state. Returns
 * what snprintf returns. */
#define TERN_TCP_TRACE_COLUMNS \
	"time kind local peer state flags seq len ack window cwnd ssthresh srtt_ms rttvar_ms " \
	"snd_una snd_nxt rcv_nxt ca"
int tern_tcp_trace_format(const struct tern_tcp_trace_event *ev, char *buf, size_t len);

/* ---- every connection, for ss ------------------------------------------------ */

/* What ss shows of one TCP socket or connection, socket or not. */
struct tern_tcp_conn {
	int sd;                         /* -1: none (orphaned, TIME-WAIT, not yet accepted) */
	const char *state;              /* as ss names it: "ESTAB", "TIME-WAIT", "LISTEN" ... */
	struct tern_sockaddr_in local, peer;
	uint32_t rx_queue, tx_queue;    /* Recv-Q, Send-Q (a listener: accept queue, backlog) */
	uint64_t id;                    /* unique per stack and connection (ss -e's sk:) */
	char owner[TERN_SOCK_OWNER_LEN]; /* the socket's owner tag, "" if none */
	bool full;                      /* a full socket, as Linux's: not TIME-WAIT or SYN-RECV
					 * (those have no skmem, tcp_info or shutdown) */
	uint8_t shutdown;               /* bit 0: no more to receive, bit 1: no more to send */
	/* the timer ss -o shows (Linux's idiag_timer): 0 none, 1 retransmission,
	 * 2 keepalive (also FIN-WAIT-2's), 3 TIME-WAIT, 4 zero-window probe */
	uint8_t timer;
	uint8_t timer_retrans;          /* retransmissions or unanswered probes so far */
	uint32_t timer_ms;              /* until it fires */
	/* ss -m's skmem:(r,rb,t,tb,f,w,o,bl,d) */
	uint32_t rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc, wmem_queued, optmem, backlog,
		 drops;
	char cc[16];                    /* the congestion control ("reno") */
	struct tern_tcp_info info;      /* TCP_INFO (full sockets only) */
};

/* Call fn for each TCP socket and connection of the stack in the order
 * Linux's inet_diag dump walks its tables: listeners first (by
 * descriptor), then the connection table by hash bucket, newest first in
 * a bucket (SYN-RECV, established, orphaned and TIME-WAIT alike). Sockets
 * neither listening nor connected (Linux's CLOSE) are not listed, as ss
 * 6.1 does not list them. fn returning non-zero stops the walk and is
 * returned. */
typedef int (*tern_tcp_conn_fn)(void *ctx, const struct tern_tcp_conn *c);
int tern_tcp_conns(struct tern_stack *s, tern_tcp_conn_fn fn, void *ctx);

#endif
