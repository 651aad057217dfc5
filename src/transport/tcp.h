/*
 * transport/tcp.h — TCP inside a stack (RFC 9293): the control block, the
 * sequence-number arithmetic, and the functions the TCP files share.
 *
 * Files and call order:
 *   tcp_conn.c     the connection and listener tables, ports, ISS (RFC 6528)
 *   tcp_input.c    SEGMENT ARRIVES, in RFC 9293 §3.10.7 order
 *   tcp_fastpath.c header prediction: the common ESTABLISHED segment, first
 *   tcp_output.c   the one place that decides what to send; RST and ACK replies
 *   tcp_timer.c    retransmission (RFC 6298), delayed ACK, keepalive, TIME-WAIT
 *   tcp_usrreq.c   the socket operations (struct tern_sock_ops for SOCK_STREAM)
 * IP input → tcp_input → (tcb found) → tcp_output; the socket calls and
 * timers end in tcp_output too.
 *
 * A connection (struct tern_tcb) is not a socket. A socket holds at most
 * one tcb (so->tcb), and a tcb points back at its socket (tp->so) while the
 * application has one: a connection being accepted has none yet, and a
 * closed socket leaves its tcb behind to finish the FIN exchange and
 * TIME-WAIT (an orphan), as Linux keeps a sock after close(2).
 */
#ifndef TERN_TRANSPORT_TCP_H
#define TERN_TRANSPORT_TCP_H

#include "core/pkt.h"
#include "core/ring.h"
#include "tern/stack.h"
#include "wire/tcp.h"

struct tern_sock;
struct tern_ipv4_repr;
struct tern_ip_proto;
struct tern_cc_ops;
struct tcp_trace;
struct tern_tcp_trace_event;

/* RFC 9293 §3.3.2 states; the order of the RFC's list. */
enum tern_tcp_state {
	TCPS_CLOSED,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSE_WAIT,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
};
const char *tern_tcp_state_name(enum tern_tcp_state st);
/* Linux's number for the state (include/net/tcp_states.h: ESTABLISHED 1 ...). */
uint8_t tcp_linux_state(enum tern_tcp_state st);
/* The state as ss names it ("ESTAB", "SYN-RECV", "CLOSE"; tcp_diag.c). */
const char *tcp_ss_state_name(enum tern_tcp_state st);

/* ---- sequence numbers (RFC 9293 §3.4): modulo 2^32 ---- */

typedef uint32_t tcp_seq;
static inline bool seq_lt(tcp_seq a, tcp_seq b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(tcp_seq a, tcp_seq b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(tcp_seq a, tcp_seq b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(tcp_seq a, tcp_seq b) { return (int32_t)(a - b) >= 0; }
static inline tcp_seq seq_max(tcp_seq a, tcp_seq b) { return seq_gt(a, b) ? a : b; }
static inline tcp_seq seq_min(tcp_seq a, tcp_seq b) { return seq_lt(a, b) ? a : b; }
/* lo <= x < lo + len */
static inline bool seq_in(tcp_seq x, tcp_seq lo, uint32_t len) { return x - lo < len; }

/* ---- the connection's endpoints ---- */

/* The 4-tuple, local side first. IPv6 joins as another family here: the
 * tables hash and compare tuples, never bare addresses. */
struct tcp_tuple {
	tern_ip4_t laddr, raddr;
	uint16_t lport, rport;
};

/* ---- the control block ---- */

/* Flags (FreeBSD's TF_ names where they exist). */
enum {
	TF_ACKNOW = 1u << 0,      /* send an ACK at the next tcp_output */
	TF_DELACK = 1u << 1,      /* an ACK is owed, on the delayed-ACK timer */
	TF_NODELAY = 1u << 2,     /* TCP_NODELAY: no Nagle */
	TF_CORK = 1u << 3,        /* TCP_CORK: only full segments */
	TF_QUICKACK = 1u << 4,    /* TCP_QUICKACK: no delayed ACKs for now */
	TF_SENTFIN = 1u << 5,     /* our FIN has been sent (snd_max covers it) */
	TF_WANTFIN = 1u << 6,     /* the application shut down writing: FIN after the data */
	TF_REQ_SCALE = 1u << 7,   /* we offered window scaling */
	TF_RCVD_SCALE = 1u << 8,  /* the peer offered it too: in use */
	TF_REQ_TSTMP = 1u << 9,
	TF_RCVD_TSTMP = 1u << 10,
	TF_SACK_PERMIT = 1u << 11, /* both offered SACK */
	TF_RTT_TIMING = 1u << 12, /* rtt_seq is being timed (no timestamps) */
	TF_KEEPALIVE = 1u << 13,  /* SO_KEEPALIVE */
	TF_FASTRECOV = 1u << 14,  /* in fast recovery (RFC 6582) */
	TF_RCVD_FIN = 1u << 15,   /* the peer's FIN is in (rcv_nxt covers it) */
	TF_LINGER0 = 1u << 16,    /* SO_LINGER with 0 s: close sends RST */
	TF_READ = 1u << 17,       /* the application read since the last ACK: a window update may be due */
	TF_FORCEDATA = 1u << 18,  /* the persist timer: send what the window allows, however little */
};

/* DupThresh's ceiling in segments (Linux's tcp_max_reordering). */
#define TCP_MAX_REORDERING 300
/* The SACK scoreboard (tcp_recovery.c): TCP_SB_INLINE ranges in the tcb,
 * grown on the heap when a loss episode leaves more holes (a drop-tail
 * queue overflowing in slow start drops every other segment: hundreds)
 * and given back when it empties, up to TCP_SB_MAX ranges (8 KiB); when
 * full, the highest range is forgotten, which only makes the sender less
 * informed (it may resend what arrived), never wrong. */
#define TCP_SB_INLINE 4
#define TCP_SB_MAX 1024
/* RACK's send-time maps (tcp_rack.c): new data, retransmissions. */
#define TCP_XMAP_MAX 32
#define TCP_RXMAP_MAX 8
/* Linux's congestion-avoidance states (tcpi_ca_state). */
enum { TCP_CA_OPEN, TCP_CA_DISORDER, TCP_CA_CWR, TCP_CA_RECOVERY, TCP_CA_LOSS };

/* Deadline slots behind the one timer (TCP.md §4). */
enum { TCPT_RXT, TCPT_DELACK, TCPT_KEEP, TCPT_PACE, TCPT_N }; /* PACE: tcp_pacing.c */
/* What TCPT_RXT times now. */
enum { RXT_NONE, RXT_REXMT, RXT_PERSIST, RXT_TLP, RXT_REO };

/* Path MTU (tcp_mtu.c): RFC 1191's MSS, RFC 4821's search (Linux's
 * icsk_mtup). MTUs in bytes of IP datagram. */
struct tcp_mtu_state {
	uint16_t mss_clamp;     /* the MSS the handshake settled (peer's, ours, TCP_MAXSEG) */
	uint16_t route_mtu;     /* the route's interface MTU at the handshake */
	uint16_t pmtu;          /* the path MTU t_maxseg follows (TCP_INFO's tcpi_pmtu) */
	uint16_t search_low, search_high;
	uint16_t probe;         /* the probe in flight, as an MTU (0: none) */
	bool enabled;           /* searching: a black hole was seen, or tcp_mtu_probing 2 */
	tcp_seq probe_seq, probe_end;
	tern_time_t stamp;      /* when the search (re)started */
};

/* RACK's send times (tcp_rack.c): held by a connection only while it has
 * data in flight, so an idle one costs nothing for them. */
struct tcp_txtimes {
	struct tcp_xmark { tcp_seq end; tern_time_t t; } xmap[TCP_XMAP_MAX];
	struct tcp_rxmark { tcp_seq left, end; tern_time_t lo, hi; } rxmap[TCP_RXMAP_MAX];
	struct tcp_txtimes *next;       /* on the table's cache */
};

/* TCP Fast Open, a client connection's part (tcp_fastopen_client.c). */
struct tcp_fo_client {
	bool connect_opt;       /* TCP_FASTOPEN_CONNECT set */
	bool deferred;          /* connect returned 0: the SYN waits for the first write */
	bool syn_opt;           /* the first SYN carries the option: the cookie, or a
				 * request if cookie_len is 0 */
	bool syn_data_acked;    /* the SYN-ACK acknowledged the SYN's data (TCPI_OPT_SYN_DATA) */
	uint8_t cookie_len;
	uint8_t fail;           /* tcpi_fastopen_client_fail: TCP_FO_FAIL_* */
	uint16_t syn_data;      /* octets of the ring the first SYN carries */
	uint8_t cookie[TERN_TCP_FASTOPEN_MAX];
};
/* Linux's enum tfo_client_fail (tcpi_fastopen_client_fail). */
enum { TCP_FO_FAIL_NONE, TCP_FO_FAIL_NO_COOKIE, TCP_FO_FAIL_DATA_NOT_ACKED,
       TCP_FO_FAIL_SYN_RETRANSMITTED };

struct tern_tcb {
	struct tern_sock *so;           /* the application's socket; NULL: none (yet, or any more) */
	struct tern_tcb *listener;      /* SYN-RECEIVED / unaccepted: the listening tcb */
	struct tern_tcb *hnext;         /* connection table chain */
	struct tern_tcb *qnext;         /* the listener's accept queue */
	struct tcp_tuple t;
	uint8_t state;                  /* enum tern_tcp_state */
	bool hashed;                    /* in the connection table */
	uint32_t flags;                 /* TF_* */

	/* send sequence space (RFC 9293 §3.3.1) */
	tcp_seq iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd;               /* scaled */
	tcp_seq snd_wl1, snd_wl2;
	uint32_t max_sndwnd;
	/* receive sequence space */
	tcp_seq irs, rcv_nxt;
	uint32_t rcv_wnd;
	tcp_seq rcv_adv;                /* right edge advertised: never moves left */
	tcp_seq last_ack_sent;

	/* options */
	uint16_t t_maxseg;              /* MSS we send: min(peer's, route's) */
	uint16_t rcv_mss;               /* the MSS we advertised */
	uint16_t rcv_mss_seen;          /* the largest payload received, up to rcv_mss (TCP_INFO) */
	uint8_t snd_scale, rcv_scale;   /* window shifts in use */
	uint32_t ts_recent;             /* RFC 7323 §4.3 */
	tern_time_t ts_recent_age;
	uint32_t ts_offset;             /* added to our clock in TSval */

	/* RTT and RTO (RFC 6298), nanoseconds */
	tern_time_t srtt, rttvar, rto;
	tern_time_t rtt_min;            /* the smallest sample (0: none yet; TCP_INFO's min_rtt) */
	uint8_t rxtshift;               /* backoff count */
	tcp_seq rtt_seq;
	tern_time_t rtt_start;
	tern_time_t t_rcvtime;          /* last segment from the peer */
	tern_time_t first_rexmit;       /* when the oldest outstanding retransmission began */

	/* congestion: the module (tcp_cc.h) owns cwnd and ssthresh and keeps
	 * its own state inline; recovery (RFC 6582) is the core's */
	const struct tern_cc_ops *cc;
	uint64_t cc_state[16];          /* 128 bytes: CUBIC with HyStart++ and its undo copy takes 104 */
	uint32_t snd_cwnd, snd_ssthresh;
	tcp_seq snd_recover;
	uint8_t dupacks;

	/* ---- loss recovery (tcp_recovery.c): the SACK scoreboard (RFC 6675
	 * §3-5), limited transmit (RFC 3042) and PRR (RFC 6937) ---- */
	struct tern_tcp_sack_block *sb; /* SACKed ranges above snd_una: sorted,
					 * disjoint, not touching; sb_inline or heap */
	uint16_t sb_count, sb_cap;
	struct tern_tcp_sack_block sb_inline[TCP_SB_INLINE];
	uint8_t ca_state;               /* TCP_CA_*: Linux's Open/Disorder/CWR/Recovery/Loss */
	uint32_t sacked_bytes;          /* octets in sb[] */
	tcp_seq high_rxt;               /* HighRxt: the highest octet retransmitted, + 1 */
	tcp_seq rescue_rxt;             /* RescueRxt; valid while rescue_set */
	bool rescue_set;
	bool rec_first;                 /* the segment at SND.UNA is due (RFC 6675 §5 step 4.3) */
	uint32_t prr_delivered, prr_out, recover_fs; /* RFC 6937 §3 */
	uint32_t rec_quota;             /* bytes recovery lets out before the next ACK */
	uint32_t reordering;            /* DupThresh in segments (Linux's tp->reordering) */
	/* RACK-TLP (RFC 8985; tcp_rack.c): when octets were last sent, as
	 * ranges [previous end, end) in sequence order, coalesced per send
	 * time (TCP_XMAP_MAX, the two closest in time merged when full, the
	 * later time kept: loss is then inferred later, never earlier);
	 * retransmissions are in rxmap: ranges, each with the earliest and
	 * latest time it left (merged when full, the two closest in time). */
	struct tcp_txtimes *tx;         /* the maps, held while data is in flight (NULL: none) */
	uint8_t xmap_n, rxmap_n;
	tern_time_t rexmit_t;           /* the latest retransmission */
	tern_time_t rack_xmit, rack_rtt; /* RACK.xmit_ts, RACK.rtt */
	tcp_seq rack_end;               /* RACK.end_seq */
	tcp_seq rack_edge;              /* unSACKed octets below it are lost by time */
	tern_time_t rack_reo_at;        /* when the next octet sent before RACK.xmit_ts is
					 * lost by time (§6.3's timer; 0: none) */
	tern_time_t reo_rxt_at;         /* RXT_REO: the deadline it took the place of */
	uint8_t reo_rxt_mode;           /* and that deadline's mode */
	tcp_seq rack_hi_new;            /* this ACK: the end of the highest newly SACKed octets */
	bool rack_reord;                /* reordering seen (RACK.reord) */
	bool dsack_seen;                /* this ACK carried a valid D-SACK */
	uint8_t reo_wnd_mult, reo_wnd_persist; /* RACK.reo_wnd_mult; recoveries left at it */
	tcp_seq reo_round;              /* no second growth before SND.UNA passes it */
	tcp_seq tlp_end;                /* TLP.end_seq, valid while tlp_active */
	bool tlp_active, tlp_rexmit, tlp_send;
	/* Undo of a spurious recovery (Linux's undo_marker / undo_retrans):
	 * the window before it, and how many retransmissions of the episode
	 * (all within [undo_seq, undo_end)) no D-SACK has yet shown needless. */
	bool undo_armed, undo_dsacked;
	uint32_t undo_cwnd, undo_ssthresh, undo_retrans;
	tcp_seq undo_seq, undo_end;
	/* ... and what timestamps and F-RTO tell of it (tcp_undo.c): the
	 * TSval of the episode's first retransmission (RFC 3522's
	 * RetransmitTS, valid while undo_ts), the TSecr of the ACK being
	 * taken in (0: none), whether the first acceptable ACK after a
	 * timeout is still to come (eifel), F-RTO's step (TCP_FRTO_*), the
	 * new segments step 2b may still send, and the end of step 1's
	 * retransmission. */
	bool undo_ts, eifel;
	uint32_t undo_tsval, ack_tsecr;
	uint8_t frto, frto_quota;
	tcp_seq frto_end;

	/* data */
	struct tern_ring snd;           /* offset 0 = snd_una (SYN and FIN take no byte); its
					 * storage grows on demand up to snd_limit */
	size_t snd_limit;               /* SO_SNDBUF */
	/* buffer auto-tuning (tcp_autotune.c; Linux's rcvq_space and
	 * rcv_rtt_est) */
	uint32_t rcvq_space;            /* the most the application read in one RTT */
	tcp_seq rcvq_seq;               /* the read point when this RTT's count began */
	tern_time_t rcvq_time;
	tern_time_t rcv_rtt;            /* the receiver's RTT estimate (0: none yet) */
	tcp_seq rcv_rtt_seq;            /* without timestamps: the window edge being timed */
	tern_time_t rcv_rtt_time;       /* when that timing began (0: none) */
	uint32_t rcv_rtt_last_tsecr;    /* the TSecr last sampled: an echo counts once */
	struct tern_pkt_queue rcvq;     /* in-order payload, data = payload */
	uint32_t rcv_queued;            /* payload bytes on rcvq */
	size_t rcv_charged;             /* true sizes on rcvq (and the OOO queue) */
	struct tern_pkt *ofo;           /* out of order, sorted by seq (pkt->next) */
	struct tern_pkt *ofo_tail;      /* its last entry, for appends */
	unsigned ofo_count;
	/* SACK blocks we report (RFC 2018 §4): ranges of the out-of-order
	 * list, the most recently changed first (Linux's selective_acks), and
	 * a D-SACK block (RFC 2883) for the next ACK only. tcp_sack.c. */
	struct tern_tcp_sack_block sack[TERN_TCP_MAX_SACK];
	uint8_t sack_count;
	bool dsack;
	struct tern_tcp_sack_block dsack_block;
	int soft_error;                 /* an ICMP error kept until (unless) it proves fatal */

	/* timers */
	struct tern_timer timer;
	tern_time_t deadline[TCPT_N];
	uint8_t rxt_mode;               /* RXT_* */
	uint8_t keep_probes;            /* keepalives sent without answer */
	/* Linux's ACK engine: the first data is acknowledged at once (up to
	 * 16 "quick ACKs"), until the connection turns interactive
	 * (pingpong: we answered within the delayed-ACK time). */
	uint8_t quickacks;
	bool ato_init, pingpong;
	tern_time_t last_data_rcvd;
	tern_time_t last_oow_ack;       /* last ACK sent to an unacceptable pure ACK */
	tcp_seq sack_high;              /* highest sequence the peer has SACKed (RFC 6675 DupAcks) */
	/* Whether the window was what limited sending (Linux's
	 * tcp_cwnd_validate, RFC 7661's idea): cwnd grows only then. Kept
	 * per window of data: the largest flight and whether cwnd stopped a
	 * send, since cwnd_usage_seq. */
	bool cwnd_limited;
	uint32_t max_flight;
	tcp_seq cwnd_usage_seq;

	/* ---- pacing (tcp_pacing.c): Linux's internal pacing, off unless
	 * SO_MAX_PACING_RATE or the stack's tcp_pacing asks for it ---- */
	bool pacing;                    /* data segments leave no earlier than pace_next */
	uint64_t max_pacing_rate;       /* SO_MAX_PACING_RATE, bytes/s; UINT64_MAX: none */
	tern_time_t pace_next;          /* Linux's tcp_wstamp_ns: the next burst's departure */
	uint32_t pace_quota;            /* bytes the current burst may still carry */

	/* listener */
	struct tern_tcb *accq_head, *accq_tail;
	unsigned accq_len, synq_len, backlog;

	/* socket options (per connection) */
	tern_time_t keepidle, keepintvl, user_timeout;
	unsigned keepcnt;
	uint16_t user_mss;              /* TCP_MAXSEG, 0: none */

	/* counters for ss -i / TCP_INFO */
	uint32_t total_retrans, total_rto;
	uint32_t dsack_dups;            /* segments the peer's D-SACKs reported twice received */
	uint32_t segs_out, segs_in, data_segs_out, data_segs_in;
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	/* Delivery rate (as TCP_INFO's tcpi_delivery_rate): one sample in
	 * flight at a time, like RTT timing without timestamps: the bytes
	 * acknowledged between the send of rate_seq's segment and its ACK,
	 * over that time; app-limited if cwnd was not what limited sending. */
	uint64_t delivery_rate;         /* bytes per second, last sample */
	uint64_t rate_acked;            /* bytes_acked when the sample began */
	tern_time_t rate_start;
	tcp_seq rate_seq;
	bool rate_pending, rate_app_limited;
	uint32_t delivered;             /* segments acknowledged (Linux's tp->delivered) */
	tern_time_t last_data_sent, last_ack_rcvd;
	tern_time_t busy_since, busy_total; /* Linux's busy chrono: data queued or unacked */
	bool busy;
	uint64_t id;                    /* unique per stack (ss -e's sk:) */
	struct tcp_trace *trace;        /* tern_tcp_set_trace's hook, NULL: none (tcp_trace.h) */
	/* ---- ECN (RFC 3168), tcp_ecn.c ---- */
	uint8_t ecn_flags;              /* TCP_ECN_* */
	tcp_seq ecn_high;               /* a reduction's (or timeout's) window: snd_max then */
	uint32_t ecn_rto;               /* total_rto when last looked at: a timeout since? */
	uint32_t delivered_ce;          /* segments acknowledged with ECE (tcpi_delivered_ce) */

	/* ---- perf: TIME-WAIT's place in the stack's FIFO (tcp_timer.c) ----
	 * Every TIME-WAIT lasts tcp_time_wait, so they expire in the order
	 * they began (TCP.md §4): one list, one stack timer for its head,
	 * instead of thousands of entries in the timer heap. deadline[TCPT_KEEP]
	 * still holds the expiry (ss shows it), without arming tp->timer. */
	struct tern_tcb *tw_prev, *tw_next;
	bool tw_queued;

	/* ---- path MTU discovery (tcp_mtu.c) ---- */
	struct tcp_mtu_state mtu;

	/* ---- hardening: this connection's share of the stack's
	 * out-of-order budget (tcp_budget.c) ---- */
	size_t ofo_charged;             /* true sizes on the OOO list (also in rcv_charged) */

	/* ---- TCP Fast Open, the server side (RFC 7413; tcp_fastopen.c) ---- */
	uint8_t fo_flags;               /* TCP_FO_* */
	unsigned fo_max, fo_qlen;       /* a listener: TCP_FASTOPEN's limit (0: no Fast Open)
					 * and its children still in SYN-RECEIVED */
	unsigned fo_rst;                /* ... and those reset in SYN-RECEIVED, counted */
	tern_time_t fo_rst_until;       /*     until then (Linux's rskq_rst list) */
	struct tern_tcb *fo_listener;   /* a child counted in fo_qlen: the listener */
	/* ---- TCP Fast Open, the client (RFC 7413; tcp_fastopen_client.c) ---- */
	struct tcp_fo_client fo;
};

/* fo_flags. A Fast Open child is in its listener's accept queue from its
 * SYN on, still SYN-RECEIVED (RFC 7413 §4.2.2): it may be accepted, read
 * and written before the handshake's last ACK. */
enum {
	TCP_FO_CHILD = 1u << 0,         /* made by Fast Open (queued for accept at the SYN) */
	TCP_FO_COOKIE = 1u << 1,        /* our SYN-ACK carries a cookie */
	TCP_FO_SYN_DATA = 1u << 2,      /* the SYN's data was accepted (TCPI_OPT_SYN_DATA) */
};
static inline bool tcp_fo_child(const struct tern_tcb *tp)
{
	return tp->fo_flags & TCP_FO_CHILD;
}
/* The sequence number of the send ring's first byte: SND.UNA, or the one
 * after our SYN while the SYN is unacknowledged (only a Fast Open child
 * sends data then). */
static inline tcp_seq tcp_ring_seq(const struct tern_tcb *tp)
{
	return tp->snd_una + (tp->state <= TCPS_SYN_RECEIVED && tp->snd_una == tp->iss);
}

/* The payload a full segment carries: the MSS less the options every
 * segment takes (timestamps, 12 bytes with their padding). Congestion
 * windows count in these. */
static inline uint32_t tcp_mss(const struct tern_tcb *tp)
{
	return tp->t_maxseg - ((tp->flags & TF_RCVD_TSTMP) ? 12u : 0u);
}

/* Linux's busy time (TCP_INFO's busy_time, ss's busy:): from the first
 * byte written into an empty send buffer until all of it is acknowledged. */
static inline void tcp_busy_start(struct tern_tcb *tp, tern_time_t now)
{
	if (!tp->busy) {
		tp->busy = true;
		tp->busy_since = now;
	}
}
static inline void tcp_busy_stop(struct tern_tcb *tp, tern_time_t now)
{
	if (tp->busy) {
		tp->busy = false;
		tp->busy_total += now - tp->busy_since;
	}
}

/* What Linux estimates as the peer's MSS (icsk_ack.rcv_mss, TCP_INFO's
 * rcv_mss, ss's rcvmss): the largest payload seen, capped at our MSS. */
static inline void tcp_measure_rcv_mss(struct tern_tcb *tp, uint32_t len)
{
	uint32_t cap = tp->rcv_mss ? tp->rcv_mss : 536;
	if (len > tp->rcv_mss_seen)
		tp->rcv_mss_seen = (uint16_t)(len < cap ? len : cap);
}

/* Per-packet scratch while a pkt sits on a TCP receive queue (as Linux's
 * TCP_SKB_CB): its first sequence number. Kept in the pkt's next_hop word,
 * which only IP output uses. */
static inline tcp_seq tcp_pkt_seq(const struct tern_pkt *p) { return p->next_hop; }
static inline void tcp_pkt_set_seq(struct tern_pkt *p, tcp_seq seq) { p->next_hop = seq; }

/* The TCP layer's per-stack state (s->socks->tcp). */
#define TCP_HASH_MIN 64
struct tern_tcp_table {
	struct tern_tcb **buckets;      /* by 4-tuple; listeners are not here */
	uint32_t nbuckets, count;
	unsigned half_open;             /* SYN-RECEIVED connections, all listeners */
	uint64_t secret;                /* ISS and port choice (RFC 6528, RFC 6056) */
	uint32_t port_hint;             /* RFC 6056 algorithm 3's counter */
	uint32_t challenge_budget;      /* challenge ACKs left this second (randomized) */
	const struct tern_cc_ops *cc_default; /* tcp_congestion_control, resolved at creation */
	tern_time_t last_cookie;        /* when a SYN cookie was last sent (0: never) */
	tern_time_t challenge_second;
	uint64_t next_id;               /* tern_tcb.id of the next connection */
	void (*trace_fn)(void *, struct tern_stack *, const struct tern_tcp_trace_event *);
	void *trace_ctx;                /* the stack-wide trace (tern_tcp_set_trace(s, -1, ...)) */
	/* perf: the TIME-WAIT FIFO, oldest first, and its one timer (tcp_timer.c) */
	struct tern_tcb *tw_head, *tw_tail;
	struct tern_timer tw_timer;
	/* perf: freed tcbs and smallest send-ring buffers kept for the next
	 * connection (tcp_conn.c; none in sanitizer builds) */
	struct tern_tcb *tcb_cache;
	unsigned tcb_cached, ring_cached, tx_cached;
	uint8_t *ring_cache[16];
	struct tcp_txtimes *tx_cache;
	struct tcp_fo_cache *fo_cache;  /* Fast Open cookies by server, made on first use (NULL: none) */
};

/* ---- tcp_conn.c ---- */
int tern_tcp_table_init(struct tern_stack *s);
void tern_tcp_table_fini(struct tern_stack *s);
struct tern_tcb *tcp_tcb_new(struct tern_stack *s);
/* Free a tcb that is in no table (its queues, ring, timer). */
void tcp_tcb_free(struct tern_stack *s, struct tern_tcb *tp);
/* The send ring's storage goes (kept for another connection if it is of
 * the smallest size); before a write, such kept storage is taken. */
void tcp_snd_ring_free(struct tern_stack *s, struct tern_tcb *tp);
void tcp_snd_ring_prepare(struct tern_stack *s, struct tern_tcb *tp);
int tcp_hash_insert(struct tern_stack *s, struct tern_tcb *tp);
void tcp_hash_remove(struct tern_stack *s, struct tern_tcb *tp);
struct tern_tcb *tcp_lookup(struct tern_stack *s, const struct tcp_tuple *t);
/* The listening socket for a segment of 4-tuple t (exact address first,
 * then the wildcard; within an SO_REUSEPORT group, by hash of t). */
struct tern_sock *tcp_lookup_listener(struct tern_stack *s, const struct tcp_tuple *t);
/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 µs clock. */
tcp_seq tcp_iss(struct tern_stack *s, const struct tcp_tuple *t, tern_time_t now);
/* A local port for connect() to raddr:rport (RFC 6056 algorithm 3). */
int tcp_pick_port(struct tern_stack *s, tern_ip4_t laddr, tern_ip4_t raddr, uint16_t rport);
/* Move to a new state (and TIME-WAIT's, CLOSED's consequences). */
void tcp_set_state(struct tern_stack *s, struct tern_tcb *tp, enum tern_tcp_state st);
/* The connection is over: unhash, detach, and free it, unless a socket
 * still holds it (then it stays, CLOSED, to report its error). Returns
 * false if tp was freed. */
bool tcp_close_tcb(struct tern_stack *s, struct tern_tcb *tp);
/* Abort with err: RST if synchronized and send_rst, then closed. Returns
 * false if tp was freed. */
bool tcp_drop(struct tern_stack *s, struct tern_tcb *tp, int err, bool send_rst);
/* Tell the application its socket's readiness may have changed. */
void tcp_wakeup(struct tern_stack *s, struct tern_tcb *tp);

/* ---- tcp_input.c ---- */
extern const struct tern_ip_proto tern_tcp_proto;
/* What our SYN offers: MSS from the route, window scale, timestamps. */
void tcp_options_offer(struct tern_stack *s, struct tern_tcb *tp);
/* Pieces of SEGMENT ARRIVES shared with the header-prediction path: step
 * 5's SND.UNA advance to th->ack (above it), with the RTT sample, the
 * congestion module's on_ack and the retransmission timer; step 5's
 * window update rule; the delayed-ACK decision for data now
 * unacknowledged; SO_RCVBUF's and the socket budget's charge for an
 * in-order pkt (false: dropped, counted). */
void tcp_ack_new_data(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		      tern_time_t now);
/* n octets at the front of the send ring are acknowledged: they go (an
 * emptied ring starts small again). */
void tcp_snd_consume(struct tern_stack *s, struct tern_tcb *tp, size_t n, tern_time_t now);
void tcp_update_window(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th);
void tcp_schedule_ack(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
bool tcp_charge_rcv(struct tern_stack *s, struct tern_tcb *tp, struct tern_pkt *pkt,
		    const struct tern_ipv4_repr *ip, const struct tern_tcp_repr *th, tern_time_t now);

/* ---- tcp_fastpath.c: header prediction ----
 * An ESTABLISHED segment that is the predicted one (a pure ACK of new
 * data, or the next in-order data): handled as the general path would,
 * in fewer steps. True if it was (pkt consumed); false: nothing was
 * touched, the general path takes it. */
bool tcp_fastpath(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		  const struct tern_ipv4_repr *ip, struct tern_pkt *pkt, tern_time_t now);

/* ---- tcp_sack.c: SACK and D-SACK (RFC 2018, RFC 2883) ---- */
/* The receiver: [seq, end) is now held out of order (the block holding it
 * goes first); RCV.NXT moved (blocks it reached go); a duplicate
 * [seq, end) arrived (a D-SACK block for the next ACK, which is due now). */
void tcp_sack_add(struct tern_tcb *tp, tcp_seq seq, tcp_seq end);
void tcp_sack_clean(struct tern_tcb *tp);
/* Free a packet from the receive or out-of-order queue, giving back what
 * charge_rcv charged (SO_RCVBUF's and the stack's socket budget). */
void tcp_rcv_free(struct tern_stack *s, struct tern_tcb *tp, struct tern_pkt *p);
/* Out-of-order data from `from` on was discarded (pruned): report none of it. */
void tcp_sack_renege(struct tern_tcb *tp, tcp_seq from);
void tcp_dsack_add(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, tcp_seq end);
/* Bytes the SACK option takes on our next ACK (0: none to send). */
size_t tcp_sack_optlen(const struct tern_tcb *tp);
/* Put the blocks into an ACK being built, and forget the D-SACK block. */
void tcp_sack_fill(struct tern_tcb *tp, struct tern_tcp_repr *th);
/* The sender: validate and count the blocks an ACK carries (no
 * scoreboard trusts them yet). True if they bring news that makes the
 * segment a duplicate ACK (RFC 6675 §2). */
bool tcp_sack_input(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th);

/* ---- tcp_ecn.c: Explicit Congestion Notification (RFC 3168 §6.1) ---- */
enum {
	TCP_ECN_OK = 1u << 0,         /* negotiated (or, in SYN-SENT, asked for) */
	TCP_ECN_QUEUE_CWR = 1u << 1,  /* the next new data segment carries CWR */
	TCP_ECN_DEMAND_CWR = 1u << 2, /* CE seen: ECE on every segment until a CWR */
	TCP_ECN_SEEN = 1u << 3,       /* an ECT or CE data segment arrived (ss's ecnseen) */
	TCP_ECN_IN_CWR = 1u << 4,     /* reduced; no second reduction before snd_una passes ecn_high */
	TCP_ECN_IN_LOSS = 1u << 5,    /* a timeout's window: ECE ignored, the window may grow */
};
/* Flags and ECN codepoint for a segment being built: ECE|CWR on our SYN
 * (tcp_ecn = 1, not a fallback retransmission), ECE on an ECN SYN-ACK,
 * ECE while CE is owed, CWR on the first new data after a reduction; the
 * return value is the IP ECN field (ECT(0) on new data only). */
uint8_t tcp_ecn_out(struct tern_stack *s, struct tern_tcb *tp, uint8_t *flags, size_t len,
		    bool rexmit);
/* A SYN at a listener (tp the new connection): accept ECN if asked for. */
void tcp_ecn_syn_in(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		    uint8_t ip_tos);
/* The SYN-ACK (or simultaneous SYN) in SYN-SENT settles ours. */
void tcp_ecn_synack_in(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th);
/* The receiver's side of an acceptable segment: CE sets DEMAND_CWR, CWR
 * clears it. True if an ACK is due at once. */
bool tcp_ecn_rcv(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		 uint8_t ip_tos, uint32_t len);
/* The sender's side of an ACK (before it is applied): ECE reduces the
 * window once per window of data. */
void tcp_ecn_ack(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		 tern_time_t now);
/* The local device refused a segment (its queue is full): reduce the
 * window as for ECE, once per window (Linux's tcp_enter_cwr on a qdisc's
 * drop), so flows sharing a host's own bottleneck converge as they would
 * on a router's. */
void tcp_cwr_local(struct tern_tcb *tp, tern_time_t now);
/* A loss response begins (fast retransmit, SACK recovery, a loss probe's
 * repair): CWR is queued for the next new data (RFC 3168 §6.1.2); true
 * if this window's reduction was already made (by ECN or the device):
 * the caller then leaves ssthresh as it is. */
bool tcp_ecn_loss(struct tern_tcb *tp);
/* While a reduction's window lasts, the window does not grow (RFC 3168
 * §6.1.2; Linux's CWR state). */
static inline bool tcp_ecn_in_cwr(const struct tern_tcb *tp)
{
	return tp->ecn_flags & TCP_ECN_IN_CWR;
}
/* The congestion state as Linux numbers it (tcpi_ca_state): NewReno's
 * recovery, SACK's, a timeout's Loss, ECN's (or the device's) CWR. */
static inline uint8_t tcp_ca_state(const struct tern_tcb *tp)
{
	if (tp->flags & TF_FASTRECOV)
		return TCP_CA_RECOVERY;
	if (tp->ca_state != TCP_CA_OPEN)
		return tp->ca_state;
	return tcp_ecn_in_cwr(tp) ? TCP_CA_CWR : TCP_CA_OPEN;
}
/* ---- tcp_recovery.c: the sender's SACK loss recovery (RFC 6675, RFC
 * 3042, RFC 6937); NewReno (RFC 6582, tcp_input.c) stays for peers
 * without SACK ---- */
void tcp_recovery_init(struct tern_tcb *tp);
/* What the scoreboard holds on the heap, freed (the tcb is going). */
void tcp_recovery_free(struct tern_tcb *tp);
/* A valid D-SACK block: a retransmission of the episode was needless. */
void tcp_recovery_dsack(struct tern_tcb *tp, tcp_seq left, tcp_seq right);
/* A valid SACK block (not a D-SACK) from the peer: into the scoreboard. */
void tcp_sb_update(struct tern_stack *s, struct tern_tcb *tp, tcp_seq left, tcp_seq right);
/* SND.UNA moved: ranges below it go; if it stopped at a range's left
 * edge, the peer reneged (RFC 2018 §8) and the scoreboard is cleared. */
void tcp_sb_ack(struct tern_stack *s, struct tern_tcb *tp);
/* Forget every SACK (RFC 2018 §8 reneging, RFC 6675 §5.1 after an RTO). */
void tcp_sb_clear(struct tern_tcb *tp);
/* Is seq SACKed? If so, *end is where its range ends. */
bool tcp_sb_sacked(const struct tern_tcb *tp, tcp_seq seq, tcp_seq *end);
/* The first SACKed octet at or above seq (snd_max if none). */
tcp_seq tcp_sb_next_sacked(const struct tern_tcb *tp, tcp_seq seq);
/* RFC 6675 §4: IsLost's boundary: every unSACKed octet below it is lost. */
tcp_seq tcp_sb_lost_edge(const struct tern_tcb *tp);
/* RFC 6675 §4 SetPipe: the octets in flight. */
uint32_t tcp_sb_pipe(const struct tern_tcb *tp);
/* Octets lost (unSACKed below the lost edge) and retransmitted and not
 * yet SACKed or acknowledged, for TCP_INFO. */
uint32_t tcp_sb_lost_bytes(const struct tern_tcb *tp);
uint32_t tcp_sb_retrans_bytes(const struct tern_tcb *tp);
/* SACK recovery governs what is sent (instead of NewReno and the plain window). */
static inline bool tcp_sack_recovery(const struct tern_tcb *tp)
{
	return tp->ca_state == TCP_CA_RECOVERY;
}
/* The ACK path, once the segment's ACK and SACK blocks are taken in:
 * delivered = octets newly acknowledged or SACKed (RFC 6937's
 * DeliveredData), dup = a duplicate ACK (RFC 6675 §2). Only for
 * connections with SACK. */
/* RACK's reordering timer fired: its detection as if an ACK had come
 * (nothing new delivered), then what recovery does with new losses;
 * false if there were none. */
bool tcp_recovery_timeout_detect(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
void tcp_recovery_ack(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una,
		      int64_t delivered, bool dup, tern_time_t now);
/* The window the send loop may fill, as the offset from SND.UNA up to
 * which new data may go: PRR's quota in recovery, limited transmit's
 * two extra segments on the first duplicate ACKs (RFC 3042). */
uint32_t tcp_recovery_wnd(const struct tern_tcb *tp, uint32_t wnd, uint32_t snd_wnd, uint32_t off,
			  uint32_t unsent);
/* tcp_output's steps: retransmissions of lost octets first (RFC 6675
 * NextSeg rule 1) and, after new data (rule 2), rules 3 and 4. */
void tcp_recovery_send(struct tern_stack *s, struct tern_tcb *tp, bool tail, tern_time_t now);
/* A segment of len octets at seq went out (rexmit: below snd_max). */
void tcp_recovery_sent(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint32_t len,
		       bool rexmit, tern_time_t now);
/* The retransmission timer expired. */
void tcp_recovery_rto(struct tern_tcb *tp);

/* ---- tcp_undo.c: undoing a reduction shown spurious (RFC 3522's Eifel
 * detection, RFC 5682's F-RTO, Linux's loss, partial, full and D-SACK
 * undo) ---- */
/* F-RTO's steps (RFC 5682 §2.1): the first ACK after the timeout's
 * retransmission is awaited; up to two new segments may go (step 2b);
 * the second ACK is awaited (step 3). */
enum { TCP_FRTO_OFF, TCP_FRTO_WAIT1, TCP_FRTO_SEND, TCP_FRTO_WAIT2 };
/* A recovery episode begins (before congestion control reduces): the
 * window to restore if it proves spurious. */
void tcp_undo_begin(struct tern_tcb *tp);
/* The retransmission timer expired (before congestion control reduces):
 * a new episode, Eifel's wait for the first acceptable ACK, F-RTO. */
void tcp_undo_rto(struct tern_stack *s, struct tern_tcb *tp);
/* A retransmission of the episode (its TSval for Eifel) or a new segment
 * (F-RTO step 2b) left. */
void tcp_undo_sent(struct tern_tcb *tp, tcp_seq seq, uint32_t len, bool rexmit,
		   tern_time_t now);
/* An ACK in TCP_CA_LOSS, before the state's exit: Eifel (with
 * timestamps) or F-RTO (without) may undo the timeout. */
void tcp_undo_loss_ack(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una, bool dup,
		       tern_time_t now);
/* Fast recovery: a partial ACK (true: undone) or the full one (true:
 * undone, the episode is over) whose TSecr predates every
 * retransmission. */
bool tcp_undo_partial(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una,
		      tern_time_t now);
bool tcp_undo_full(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
/* Every retransmission of the episode came back as a D-SACK (loss: the
 * ACK found the connection in TCP_CA_LOSS, a timeout's episode). */
void tcp_undo_dsack(struct tern_stack *s, struct tern_tcb *tp, bool loss, tern_time_t now);
/* F-RTO step 2b's window: two new segments beyond cwnd (wnd otherwise). */
uint32_t tcp_undo_frto_wnd(const struct tern_tcb *tp, uint32_t wnd, uint32_t snd_wnd,
			   uint32_t off, uint32_t unsent);
/* Resending from snd_nxt (after an RTO): snd_nxt skips what the peer
 * SACKed since, and a segment stops at the next SACKed range. */
void tcp_recovery_skip(struct tern_tcb *tp);
size_t tcp_recovery_clip(const struct tern_tcb *tp, size_t len);

/* ---- tcp_rack.c: RACK-TLP (RFC 8985) ---- */
/* Octets [seq, seq + len) went out at now (rexmit: a retransmission). */
void tcp_rack_sent(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint32_t len,
		   bool rexmit, tern_time_t now);
/* The send-time maps, taken (NULL if out of memory) and given back
 * (tcp_conn.c, cached as tcbs are). */
struct tcp_txtimes *tcp_txtimes_get(struct tern_stack *s);
void tcp_txtimes_put(struct tern_stack *s, struct tern_tcb *tp);
/* An ACK was taken in: RACK.xmit_ts from what it delivered, then the
 * octets sent before that and older than RACK.rtt + reo_wnd are lost
 * (rack_edge; a lost retransmission reopens HighRxt); the TLP episode's
 * end. */
void tcp_rack_ack(struct tern_stack *s, struct tern_tcb *tp, tcp_seq prior_una, tern_time_t now);
/* RACK's loss detection is on: SACK, and tcp_recovery's bit 0. */
bool tcp_rack_on(const struct tern_stack *s, const struct tern_tcb *tp);
/* RACK's reordering window now. */
tern_time_t tcp_rack_reo_wnd(const struct tern_tcb *tp);
/* Arm the probe timeout (PTO = 2 SRTT) if a tail loss probe may go. */
void tcp_tlp_schedule(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
/* The PTO passed: one new segment, or the last one again. */
void tcp_tlp_fire(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
/* RACK's reordering timer (RFC 8985 §6.3): armed, in place of the RTO or
 * the probe, when an octet sent before RACK.xmit_ts will be lost by time
 * before either fires; firing, it detects losses as an ACK would and
 * starts or feeds the recovery. */
void tcp_rack_reo_schedule(struct tern_stack *s, struct tern_tcb *tp);
void tcp_rack_reo_fire(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);

/* ---- tcp_output.c, for recovery ---- */
/* Resend [seq, seq + len) (len within the ring; a FIN rides on the last
 * octet). Returns the octets sent, 0 if none could be. */
uint32_t tcp_output_rexmit(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint32_t len,
			   tern_time_t now);
/* ---- tcp_mtu.c: the MSS from the path MTU, PLPMTUD (RFC 1191, 4821) ---- */
struct tern_icmp_msg;
/* The handshake settled t_maxseg: take the path MTU into it, set up the search. */
void tcp_mtu_init(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
/* Before sending: a probe acknowledged, the cache changed. */
void tcp_mtu_sync(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
/* The IP layer's DF mode for the connection's segments (enum tern_ip_pmtu). */
uint8_t tcp_mtu_ip_mode(const struct tern_stack *s, const struct tern_tcb *tp);
/* A checked "fragmentation needed" about a segment in flight. */
void tcp_mtu_icmp(struct tern_stack *s, struct tern_tcb *tp, const struct tern_icmp_msg *m,
		  tern_time_t now);
/* A retransmission timeout (rxtshift already counts it). */
void tcp_mtu_rto(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
/* The length of a probe to send now as the new data at ring offset off,
 * or 0 (then an ordinary segment); recorded as sent. */
uint32_t tcp_mtu_probe_len(struct tern_stack *s, struct tern_tcb *tp, size_t off, size_t avail,
			   uint32_t wnd, tern_time_t now);
/* [seq, seq + len) is being resent: a probe among it failed. */
void tcp_mtu_rexmit(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint32_t len);
/* The third duplicate ACK: true if it tells of a lost probe (handled:
 * no fast retransmit). */
bool tcp_mtu_probe_lost(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);

/* ---- tcp_budget.c: the stack's budget for out-of-order data (issue 7) ----
 * Out-of-order segments are charged to sock_rx (with in-order data,
 * within SO_RCVBUF) and to tcp_ofo, a part of it: many connections
 * filling their windows with data above a hole cannot take what
 * in-order data (and UDP) needs. tcp_ofo_admit before an insert (false:
 * refuse it, tcp.ofo_memory_limit), tcp_ofo_charge once it is held,
 * tcp_ofo_uncharge as each pkt leaves the list, tcp_ofo_uncharge_all
 * when the whole list goes. */
bool tcp_ofo_admit(const struct tern_stack *s, const struct tern_pkt *p);
void tcp_ofo_charge(struct tern_stack *s, struct tern_tcb *tp, const struct tern_pkt *p);
void tcp_ofo_uncharge(struct tern_stack *s, struct tern_tcb *tp, const struct tern_pkt *p);
void tcp_ofo_uncharge_all(struct tern_stack *s, struct tern_tcb *tp);

/* ---- tcp_syncookie.c ---- */
struct tcp_cookie {
	uint16_t mss;
	int wscale;   /* the peer's shift, -1: it offered none */
	bool sack;
};
/* The ISN of a SYN-ACK that remembers the SYN's options. */
tcp_seq tcp_cookie_make(const struct tern_stack *s, const struct tcp_tuple *t, tcp_seq peer_isn,
			uint16_t mss, int wscale, bool sack, tern_time_t now);
/* Is cookie (SEG.ACK - 1) ours for this tuple and peer ISN (SEG.SEQ - 1)? */
/* The cookie SYN-ACK's TSval (tmp's ts_offset) with ECN's bit: 1 if
 * tmp->ecn_flags has TCP_ECN_OK, else 0. */
void tcp_cookie_stamp(struct tern_tcb *tmp, tern_time_t now);
bool tcp_cookie_check(const struct tern_stack *s, const struct tcp_tuple *t, tcp_seq peer_isn,
		      tcp_seq cookie, tern_time_t now, struct tcp_cookie *out);

/* ---- tcp_fastopen.c: TCP Fast Open, the server side (RFC 7413) ---- */
/* An address of either family, as the Fast Open cookie hashes it (IPv6
 * joins as family 6 with its 16 bytes). */
struct tcp_addr {
	uint8_t family;                 /* 4 or 6 */
	uint8_t len;                    /* bytes in b: 4 or 16 */
	uint8_t b[16];
};
struct tcp_addr tcp_addr_ip4(tern_ip4_t a);
#define TCP_FO_COOKIE_LEN 8
/* SipHash-2-4 of msg[0..n) under the key (k0, k1), little-endian words. */
uint64_t tcp_siphash24(uint64_t k0, uint64_t k1, const uint8_t *msg, size_t n);
/* The cookie for client (and server) address (RFC 7413 §4.1.2). */
void tcp_fastopen_cookie(const struct tern_stack *s, const struct tcp_addr *client,
			 const struct tcp_addr *server, uint8_t out[TCP_FO_COOKIE_LEN]);
/* What Fast Open does with a SYN at listener lp (len payload octets). */
enum tcp_fo_verdict {
	TCP_FO_NONE,                    /* an ordinary handshake */
	TCP_FO_SEND_COOKIE,             /* ordinary, a cookie in the SYN-ACK */
	TCP_FO_ACCEPT,                  /* a Fast Open child: the data is taken */
};
enum tcp_fo_verdict tcp_fastopen_syn(struct tern_stack *s, struct tern_tcb *lp,
				     const struct tern_tcp_repr *th, const struct tcp_tuple *t,
				     uint32_t len);
/* Make tp (SYN-RECEIVED, just created by lp) a Fast Open child: the SYN's
 * payload (pkt, TCP header pulled) joins its receive queue and it goes
 * to lp's accept queue. False: it stays an ordinary SYN-RECEIVED tcb
 * (*pkt_taken says whether pkt was consumed, dropped and counted). */
bool tcp_fastopen_child(struct tern_stack *s, struct tern_tcb *lp, struct tern_tcb *tp,
			struct tern_pkt *pkt, const struct tern_ipv4_repr *ip,
			const struct tern_tcp_repr *th, uint32_t len, bool *pkt_taken);
/* tp leaves SYN-RECEIVED or goes: it no longer counts in its listener's
 * Fast Open queue. */
void tcp_fastopen_release(struct tern_tcb *tp);
/* A reset is taking tp (SYN-RECEIVED) away: its place in the Fast Open
 * queue stays taken for a while. */
void tcp_fastopen_reset(struct tern_stack *s, struct tern_tcb *tp);
/* A listener's limit at listen(2): tcp_fastopen 0x400 gives every
 * listener without TCP_FASTOPEN one (its backlog). */
void tcp_fastopen_listen(const struct tern_stack *s, struct tern_tcb *lp);
/* setsockopt(TCP_FASTOPEN, qlen): on a socket closed or listening. */
int tcp_fastopen_set(const struct tern_stack *s, struct tern_tcb *tp, int qlen);
/* ---- tcp_fastopen_client.c: TCP Fast Open, the client (RFC 7413) ----
 * The stack's cookie cache (by server address, with the server's MSS,
 * TCP_FO_CACHE_MAX entries, the oldest replaced), and what a connection
 * does with it: its first SYN carries a cached cookie and data, or a
 * cookie request; the SYN-ACK teaches the cache and says whether the
 * data got through. */
#define TCP_FO_CACHE_MAX 64
#define TCP_FO_CLIENT 0x1       /* net.ipv4.tcp_fastopen bits, as Linux's TFO_* */
#define TCP_FO_CLIENT_NO_COOKIE 0x4
/* Free the cache (the stack is going). */
void tcp_fo_cache_free(struct tern_stack *s);
/* TCP_FASTOPEN_CONNECT's connect: true if the SYN waits for the first
 * write (a cookie is cached, or none is needed); false: it goes now, with
 * a cookie request if the option is set. */
bool tcp_fo_defer(struct tern_stack *s, struct tern_tcb *tp);
/* The first SYN is about to carry up to `want` octets (MSG_FASTOPEN or
 * the deferred write): sets what the SYN carries; returns the octets it
 * may take (0: a cookie request or a plain SYN, no data). */
uint32_t tcp_fo_syn_prepare(struct tern_stack *s, struct tern_tcb *tp, size_t want);
/* The octets of the ring this SYN carries (only the first SYN), and its
 * option (fill_options; only the first SYN too). */
uint32_t tcp_fo_syn_len(const struct tern_tcb *tp);
void tcp_fo_syn_option(const struct tern_tcb *tp, struct tern_tcp_repr *th);
/* A SYN-ACK in SYN-SENT, before SND.UNA moves: the cache learns (or
 * forgets) the cookie; the SYN's data acknowledged goes from the ring,
 * the rest is resent after the handshake (snd_nxt pulled back). */
void tcp_fo_synack(struct tern_stack *s, struct tern_tcb *tp, const struct tern_tcp_repr *th,
		   tern_time_t now);

/* ---- tcp_output.c ---- */
/* Send what may be sent now (data, SYN, FIN, ACK, window update). */
void tcp_output(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
/* A zero-window probe: one byte past the window if there is one, else an
 * empty ACK (RFC 9293 §3.8.6.1). */
void tcp_send_probe(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
/* A control segment for a connection: <SEQ=seq><ACK=rcv_nxt><flags>. */
void tcp_send_ctl(struct tern_stack *s, struct tern_tcb *tp, tcp_seq seq, uint8_t flags,
		  tern_time_t now);
/* RFC 9293 §3.10.7.1: the reset for a segment that has no connection. */
void tcp_respond_rst(struct tern_stack *s, const struct tern_ipv4_repr *ip,
		     const struct tern_tcp_repr *th, tern_time_t now);
/* The window we would advertise now (unscaled bytes). */
uint32_t tcp_rcv_space(const struct tern_tcb *tp);
/* The payload the receive buffer holds: the largest window we offer. */
uint32_t tcp_rcv_capacity(const struct tern_tcb *tp);

/* The TSecr of the ACK being taken in, for RACK's and the undo checks
 * (tcp_rack.c, tcp_undo.c); 0 without timestamps. Both input paths. */
static inline void tcp_note_ack_tsecr(struct tern_tcb *tp, const struct tern_tcp_repr *th)
{
	tp->ack_tsecr = (tp->flags & TF_RCVD_TSTMP) && th->has_ts ? th->tsecr : 0;
}

/* In-order payload (pkt, charged already) joins the receive queue
 * (tcp_input.c; the fast path's too). */
void tcp_rcv_enqueue(struct tern_tcb *tp, struct tern_pkt *pkt, const struct tern_tcp_repr *th,
		     uint32_t len, tern_time_t now);

/* ---- tcp_autotune.c: buffers that follow the path ---- */
/* The window scale to offer at the SYN. */
uint8_t tcp_rcv_wscale(const struct tern_stack *s, const struct tern_tcb *tp);
/* An in-order segment of len payload octets arrived (tsecr if has_ts). */
void tcp_rcv_rtt_measure(struct tern_tcb *tp, tern_time_t now, bool has_ts, uint32_t tsecr,
			 uint32_t len);
/* The application read: grow SO_RCVBUF with what it reads per RTT. */
void tcp_rcv_space_adjust(struct tern_stack *s, struct tern_tcb *tp);
/* New data was acknowledged: grow SO_SNDBUF to two congestion windows. */
void tcp_sndbuf_expand(struct tern_stack *s, struct tern_tcb *tp);
/* Our timestamp clock: ms since the stack began, plus the connection's offset. */
static inline uint32_t tcp_ts_now(const struct tern_tcb *tp, tern_time_t now)
{
	return (uint32_t)(now / TERN_MSEC(1)) + tp->ts_offset;
}

/* ---- tcp_timer.c ---- */
/* Arm slot `which` at `when` (TERN_TIME_NEVER clears it). */
void tcp_timer_set(struct tern_stack *s, struct tern_tcb *tp, int which, tern_time_t when);
static inline bool tcp_timer_isset(const struct tern_tcb *tp, int which)
{
	return tp->deadline[which] != TERN_TIME_NEVER;
}
void tcp_timer_init(struct tern_tcb *tp);
/* Cancels the TIME-WAIT expiry too. */
void tcp_timer_cancel_all(struct tern_stack *s, struct tern_tcb *tp);
/* TIME-WAIT ends at `expire`: (re)queued at the FIFO's tail (RFC 9293
 * §3.10.7.4: a retransmitted FIN restarts 2*MSL). */
void tcp_tw_start(struct tern_stack *s, struct tern_tcb *tp, tern_time_t expire);
void tcp_tw_table_init(struct tern_stack *s);
void tcp_tw_table_fini(struct tern_stack *s);
/* An RTT sample (RFC 6298 §2). */
void tcp_rtt_sample(struct tern_stack *s, struct tern_tcb *tp, tern_time_t rtt);
/* The current RTO, backed off by rxtshift, within the configured bounds. */
tern_time_t tcp_rto(const struct tern_stack *s, const struct tern_tcb *tp);
/* Arm the retransmission timer from now if data or SYN/FIN is outstanding. */
void tcp_rearm_rxt(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);

/* ---- tcp_pacing.c ---- */
/* A new connection's pacing settings (the stack's), or a listener's copy. */
void tcp_pacing_init(const struct tern_stack *s, struct tern_tcb *tp);
void tcp_pacing_inherit(struct tern_tcb *tp, const struct tern_tcb *lp);
/* Linux's tcp_update_pacing_rate, computed when asked: bytes per second,
 * UINT64_MAX before an RTT sample (Linux's ~0: unlimited). */
uint64_t tcp_pacing_rate(const struct tern_stack *s, const struct tern_tcb *tp);
/* The output gate (tp->pacing only): true if a data segment must wait;
 * then the PACE slot is armed at its departure time. */
bool tcp_pacing_hold(struct tern_stack *s, struct tern_tcb *tp, tern_time_t now);
/* len bytes of data left now: the next may leave len / rate later. */
void tcp_pacing_sent(struct tern_stack *s, struct tern_tcb *tp, uint32_t len, tern_time_t now);
/* SO_MAX_PACING_RATE: a cap (UINT64_MAX: none); any cap turns pacing on. */
void tcp_pacing_set_max(struct tern_tcb *tp, uint64_t rate);

/* ---- tcp_usrreq.c (its ops table: tern_tcp_sock_ops, transport/sock.h) ---- */
/* A connection the listener completed: queue it for accept (the caller
 * wakes the listener once the segment is done with). */
void tcp_accept_enqueue(struct tern_stack *s, struct tern_tcb *lp, struct tern_tcb *tp);
/* Bytes the application may still write (within SO_SNDBUF). */
size_t tcp_snd_space(const struct tern_tcb *tp);
/* The socket's tcb, made on first use (NULL: out of memory). */
struct tern_tcb *tcp_attach_tcb(struct tern_stack *s, struct tern_sock *so);
/* The send ring's first allocation: it doubles from here as data waits,
 * so a connection that writes little holds little. */
#define TCP_SND_RING_MIN 4096
struct tern_tcp_info;
/* TCP_INFO for a connection (tp NULL: a socket without one). */
void tern_tcp_fill_info(const struct tern_stack *s, const struct tern_tcb *tp,
			struct tern_tcp_info *ti);

#endif
