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
 * 11), tcpi_options bits TS 1, SACK 2, WSCALE 4, ECN 8. getsockopt copies
 * min(optlen, sizeof) bytes. */
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

#endif
