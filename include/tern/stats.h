/*
 * tern/stats.h — named per-stack counters, netstat -s style.
 *
 * Every counter has an enum value, a group (the protocol) and a name. Drop
 * reasons are counters too (kind DROP): wire parsers return the reason a
 * packet is bad as an enum tern_stat (0, TERN_STAT_NONE, means "valid"),
 * input paths bump it and tell trace subscribers, so every discarded packet
 * is counted under a name that says why.
 *
 * To add a counter, add one line to its group. Names are stable: tests and
 * tools look them up by "group.name".
 */
#ifndef TERN_STATS_H
#define TERN_STATS_H

#include <stdint.h>

/* X(ENUM_SUFFIX, group, name, kind)   kind: COUNT or DROP */
#define TERN_STATS(X) \
	/* packet buffers and devices */ \
	X(PKT_NOBUFS,            "pkt",  "no_buffers",            DROP) \
	X(DEV_TX_FRAMES,         "dev",  "tx_frames",             COUNT) \
	X(DEV_RX_FRAMES,         "dev",  "rx_frames",             COUNT) \
	X(DEV_TX_ERRORS,         "dev",  "tx_errors",             DROP) \
	X(DEV_RX_TOO_BIG,        "dev",  "rx_frame_too_big",      DROP) \
	X(DEV_NO_IFACE,          "dev",  "rx_unknown_interface",  DROP) \
	/* Ethernet */ \
	X(ETH_SHORT,             "eth",  "short_frame",           DROP) \
	X(ETH_NOT_FOR_US,        "eth",  "other_host",            DROP) \
	X(ETH_UNKNOWN_TYPE,      "eth",  "unknown_ethertype",     DROP) \
	X(ETH_BAD_SRC,           "eth",  "bad_source_mac",        DROP) \
	X(ETH_OWN_SRC,           "eth",  "own_source_mac",        DROP) \
	X(ETH_ZERO_SRC,          "eth",  "zero_source_mac",       DROP) \
	/* ARP (RFC 826, RFC 5227) */ \
	X(ARP_IN,                "arp",  "in_packets",            COUNT) \
	X(ARP_REQUESTS_SENT,     "arp",  "requests_sent",         COUNT) \
	X(ARP_REPLIES_SENT,      "arp",  "replies_sent",          COUNT) \
	X(ARP_GRATUITOUS_SENT,   "arp",  "announcements_sent",    COUNT) \
	X(ARP_PROBES_SENT,       "arp",  "probes_sent",           COUNT) \
	X(ARP_SHORT,             "arp",  "short_packet",          DROP) \
	X(ARP_BAD_FORMAT,        "arp",  "bad_hw_or_proto",       DROP) \
	X(ARP_BAD_OP,            "arp",  "bad_opcode",            DROP) \
	X(ARP_BAD_SENDER,        "arp",  "bad_sender_address",    DROP) \
	X(ARP_NOT_FOR_US,        "arp",  "target_not_ours",       DROP) \
	X(ARP_QUEUE_FULL,        "arp",  "unresolved_queue_full", DROP) \
	X(ARP_QUEUE_MEMORY,      "arp",  "unresolved_memory_limit", DROP) \
	X(ARP_UNRESOLVED,        "arp",  "unresolved_timeout",    DROP) \
	X(ARP_CACHE_FULL,        "arp",  "cache_full",            DROP) \
	X(ARP_EVICTED_UNRESOLVED,"arp",  "evicted_unresolved",    DROP) \
	X(ARP_CONFLICT,          "arp",  "address_conflicts",     COUNT) \
	X(ARP_UNSOLICITED,       "arp",  "unsolicited_ignored",   DROP) \
	X(ARP_OVERRIDE_REFUSED,  "arp",  "override_refused",      DROP) \
	X(ARP_STRICT_REFUSED,    "arp",  "strict_refused",        DROP) \
	X(ARP_STATIC_REFUSED,    "arp",  "static_refused",        DROP) \
	/* IPv4 (RFC 791, 1122, 1812) */ \
	X(IP_IN_RECEIVES,        "ip",   "in_receives",           COUNT) \
	X(IP_IN_DELIVERS,        "ip",   "in_delivers",           COUNT) \
	X(IP_OUT_REQUESTS,       "ip",   "out_requests",          COUNT) \
	X(IP_FORWARDED,          "ip",   "forwarded",             COUNT) \
	X(IP_SHORT,              "ip",   "short_packet",          DROP) \
	X(IP_BAD_VERSION,        "ip",   "bad_version",           DROP) \
	X(IP_BAD_HLEN,           "ip",   "bad_header_length",     DROP) \
	X(IP_BAD_CHECKSUM,       "ip",   "bad_checksum",          DROP) \
	X(IP_BAD_TOTAL_LEN,      "ip",   "bad_total_length",      DROP) \
	X(IP_BAD_OPTIONS,        "ip",   "bad_options",           DROP) \
	X(IP_SOURCE_ROUTE,       "ip",   "source_route_denied",   DROP) \
	X(IP_BAD_SRC,            "ip",   "martian_source",        DROP) \
	X(IP_BAD_DST,            "ip",   "martian_destination",   DROP) \
	X(IP_BAD_FRAG,           "ip",   "bad_fragment",          DROP) \
	X(IP_NOT_FOR_US,         "ip",   "not_for_us",            DROP) \
	X(IP_NO_ROUTE,           "ip",   "no_route",              DROP) \
	X(IP_TTL_EXCEEDED,       "ip",   "ttl_exceeded",          DROP) \
	X(IP_FRAG_NEEDED,        "ip",   "frag_needed_df",        DROP) \
	X(IP_UNKNOWN_PROTO,      "ip",   "unknown_protocol",      DROP) \
	X(IP_FRAG_CREATES,       "ip",   "frag_creates",          COUNT) \
	X(IP_FRAG_OKS,           "ip",   "frag_oks",              COUNT) \
	X(IP_REASM_REQDS,        "ip",   "reasm_reqds",           COUNT) \
	X(IP_REASM_OKS,          "ip",   "reasm_oks",             COUNT) \
	X(IP_REASM_OVERLAP,      "ip",   "reasm_overlap",         DROP) \
	X(IP_REASM_DUPLICATE,    "ip",   "reasm_duplicate_frag",  DROP) \
	X(IP_REASM_TIMEOUT,      "ip",   "reasm_timeout",         DROP) \
	X(IP_REASM_TOO_BIG,      "ip",   "reasm_too_big",         DROP) \
	X(IP_REASM_MEMORY,       "ip",   "reasm_memory_limit",    DROP) \
	X(IP_REASM_EVICTED,      "ip",   "reasm_evicted",         DROP) \
	X(IP_REASM_TOO_MANY,     "ip",   "reasm_too_many_frags",  DROP) \
	/* ICMP (RFC 792, 1122 3.2.2, 1812 4.3) */ \
	X(ICMP_IN_MSGS,          "icmp", "in_msgs",               COUNT) \
	X(ICMP_OUT_MSGS,         "icmp", "out_msgs",              COUNT) \
	X(ICMP_IN_ECHOS,         "icmp", "in_echos",              COUNT) \
	X(ICMP_IN_ECHO_REPS,     "icmp", "in_echo_reps",          COUNT) \
	X(ICMP_OUT_ECHO_REPS,    "icmp", "out_echo_reps",         COUNT) \
	X(ICMP_IN_ERRORS_MSGS,   "icmp", "in_error_msgs",         COUNT) \
	X(ICMP_OUT_DEST_UNREACH, "icmp", "out_dest_unreachs",     COUNT) \
	X(ICMP_OUT_TIME_EXCDS,   "icmp", "out_time_excds",        COUNT) \
	X(ICMP_OUT_REDIRECTS,    "icmp", "out_redirects",         COUNT) \
	X(ICMP_SHORT,            "icmp", "short_packet",          DROP) \
	X(ICMP_BAD_CHECKSUM,     "icmp", "bad_checksum",          DROP) \
	X(ICMP_TYPE_IGNORED,     "icmp", "type_ignored",          DROP) \
	X(ICMP_TIMESTAMP_IGNORED,"icmp", "timestamp_ignored",     DROP) \
	X(ICMP_ERROR_NOT_OURS,   "icmp", "error_not_ours",        DROP) \
	X(ICMP_BAD_CODE,         "icmp", "bad_code",              DROP) \
	X(ICMP_BAD_QUOTE,        "icmp", "bad_quoted_header",     DROP) \
	X(ICMP_BCAST_ECHO,       "icmp", "broadcast_echo_ignored",DROP) \
	X(ICMP_ECHO_IGNORED,     "icmp", "echo_ignored",          DROP) \
	X(ICMP_RATELIMITED,      "icmp", "errors_ratelimited",    DROP) \
	X(ICMP_RATELIMITED_HOST, "icmp", "errors_ratelimited_host", DROP) \
	X(ICMP_REDIRECT_IGNORED, "icmp", "redirects_ignored",     DROP) \
	X(ICMP_REDIRECT_TABLE_FULL, "icmp", "redirect_table_full", DROP) \
	X(ICMP_ERROR_SUPPRESSED, "icmp", "errors_not_sent",       COUNT) \
	X(ICMP_OUT_ERRORS,       "icmp", "out_errors",            DROP) \
	/* path MTU (RFC 1191, RFC 4821): net/pmtu.c, transport/tcp_mtu.c */ \
	X(IP_PMTU_UPDATES,       "ip",   "pmtu_updates",          COUNT) \
	X(IP_PMTU_CACHE_FULL,    "ip",   "pmtu_cache_full",       COUNT) \
	X(IP_PMTU_BOGUS,         "ip",   "pmtu_bogus_mtu",        DROP) \
	X(IP_PMTU_IGNORED,       "ip",   "pmtu_unverified",       DROP) \
	X(TCP_MTUP_FAIL,         "tcp",  "mtu_probe_fail",        COUNT) \
	X(TCP_MTUP_SUCCESS,      "tcp",  "mtu_probe_success",     COUNT) \
	X(TCP_MTU_BLACKHOLE,     "tcp",  "mtu_blackhole",         COUNT) \
	X(TCP_MTU_REDUCED,       "tcp",  "mtu_reduced",           COUNT) \
	/* UDP (RFC 768, 1122 4.1) */ \
	X(UDP_IN_DATAGRAMS,      "udp",  "in_datagrams",          COUNT) \
	X(UDP_OUT_DATAGRAMS,     "udp",  "out_datagrams",         COUNT) \
	X(UDP_SHORT,             "udp",  "short_packet",          DROP) \
	X(UDP_BAD_LEN,           "udp",  "bad_length",            DROP) \
	X(UDP_BAD_CHECKSUM,      "udp",  "bad_checksum",          DROP) \
	X(UDP_NO_PORT,           "udp",  "no_port",               DROP) \
	X(UDP_RCVBUF_ERRORS,     "udp",  "receive_buffer_errors", DROP) \
	X(UDP_SNDBUF_ERRORS,     "udp",  "send_buffer_errors",    DROP) \
	X(UDP_NO_BROADCAST,      "udp",  "broadcast_not_allowed", DROP) \
	/* TCP (RFC 9293 §3.1; the wire format, src/wire/tcp.c) */ \
	X(TCP_SHORT,             "tcp",  "short_packet",          DROP) \
	X(TCP_BAD_HLEN,          "tcp",  "bad_header_length",     DROP) \
	X(TCP_BAD_CHECKSUM,      "tcp",  "bad_checksum",          DROP) \
	X(TCP_BAD_OPTIONS,       "tcp",  "bad_options",           DROP) \
	X(TCP_IN_SEGS,           "tcp",  "in_segs",               COUNT) \
	X(TCP_OUT_SEGS,          "tcp",  "out_segs",              COUNT) \
	X(TCP_RETRANS_SEGS,      "tcp",  "retrans_segs",          COUNT) \
	X(TCP_ACTIVE_OPENS,      "tcp",  "active_opens",          COUNT) \
	X(TCP_PASSIVE_OPENS,     "tcp",  "passive_opens",         COUNT) \
	X(TCP_ATTEMPT_FAILS,     "tcp",  "attempt_fails",         COUNT) \
	X(TCP_ESTAB_RESETS,      "tcp",  "estab_resets",          COUNT) \
	X(TCP_OUT_RSTS,          "tcp",  "out_rsts",              COUNT) \
	X(TCP_DELAYED_ACKS,      "tcp",  "delayed_acks",          COUNT) \
	X(TCP_TIMEOUTS,          "tcp",  "timeouts",              COUNT) \
	X(TCP_TIMEOUT_DROPS,     "tcp",  "timeout_drops",         COUNT) \
	X(TCP_WINDOW_PROBES,     "tcp",  "window_probes",         COUNT) \
	X(TCP_KEEPALIVES,        "tcp",  "keepalive_probes",      COUNT) \
	X(TCP_KEEPALIVE_DROPS,   "tcp",  "keepalive_drops",       COUNT) \
	X(TCP_FAST_RETRANS,      "tcp",  "fast_retransmits",      COUNT) \
	/* HyStart++ (RFC 9406) left slow start on a delay increase; the
	 * windows (segments) it left at, summed, as Linux's */ \
	X(TCP_HYSTART_DELAY_DETECT, "tcp", "hystart_delay_detect", COUNT) \
	X(TCP_HYSTART_DELAY_CWND, "tcp",  "hystart_delay_cwnd",    COUNT) \
	/* SACK loss recovery (src/transport/tcp_recovery.c) */ \
	X(TCP_SACK_RECOVERY,     "tcp",  "sack_recovery",         COUNT) \
	X(TCP_RENO_RECOVERY,     "tcp",  "reno_recovery",         COUNT) \
	X(TCP_SACK_REORDER,      "tcp",  "sack_reorder",          COUNT) \
	X(TCP_TS_REORDER,        "tcp",  "ts_reorder",            COUNT) \
	X(TCP_SACK_RENEGING,     "tcp",  "sack_reneging",         COUNT) \
	X(TCP_SLOW_START_RETRANS, "tcp", "slow_start_retrans",    COUNT) \
	X(TCP_LOST_RETRANSMIT,   "tcp",  "lost_retransmit",       COUNT) \
	X(TCP_LOSS_PROBES,       "tcp",  "loss_probes",           COUNT) \
	X(TCP_LOSS_PROBE_RECOVERY, "tcp", "loss_probe_recovery",  COUNT) \
	/* RACK's reordering timer fired (RFC 8985 §6.3; tern's own) */ \
	X(TCP_RACK_REO_TIMEOUTS, "tcp",  "rack_reo_timeouts",     COUNT) \
	X(TCP_DSACK_UNDO,        "tcp",  "dsack_undo",            COUNT) \
	/* undo of a reduction shown spurious (transport/tcp_undo.c): after a \
	 * timeout (any detection), fast recovery's end or a partial ACK \
	 * (timestamps); timeouts undone (Eifel, F-RTO or D-SACK) */ \
	X(TCP_LOSS_UNDO,         "tcp",  "loss_undo",             COUNT) \
	X(TCP_FULL_UNDO,         "tcp",  "full_undo",             COUNT) \
	X(TCP_PARTIAL_UNDO,      "tcp",  "partial_undo",          COUNT) \
	X(TCP_SPURIOUS_RTOS,     "tcp",  "spurious_rtos",         COUNT) \
	X(TCP_CHALLENGE_ACKS,    "tcp",  "challenge_acks",        COUNT) \
	X(TCP_SYN_CHALLENGE,     "tcp",  "syn_challenge",         COUNT) \
	X(TCP_TW_RECYCLED,       "tcp",  "time_wait_reused",      COUNT) \
	/* header prediction (transport/tcp_fastpath.c): data, pure ACKs */ \
	X(TCP_DELAYED_ACK_LOST,  "tcp",  "delayed_ack_lost",      COUNT) \
	X(TCP_HP_HITS,           "tcp",  "hp_hits",               COUNT) \
	X(TCP_HP_ACKS,           "tcp",  "hp_acks",               COUNT) \
	X(TCP_NO_PORT,           "tcp",  "no_port",               DROP) \
	X(TCP_BAD_SYN,           "tcp",  "bad_syn",               DROP) \
	X(TCP_BAD_ACK,           "tcp",  "bad_ack",               DROP) \
	X(TCP_BAD_RST,           "tcp",  "bad_rst",               DROP) \
	X(TCP_RST_IN_WINDOW,     "tcp",  "rst_in_window",         DROP) \
	X(TCP_SYN_IN_WINDOW,     "tcp",  "syn_in_window",         DROP) \
	X(TCP_RCV_OUT_OF_WINDOW, "tcp",  "rcv_pack_after_win",    DROP) \
	X(TCP_RCV_DUP_PACK,      "tcp",  "rcv_dup_pack",          DROP) \
	X(TCP_RCV_ACK_TOO_MUCH,  "tcp",  "rcv_ack_too_much",      DROP) \
	X(TCP_RCV_OLD_ACK,       "tcp",  "rcv_old_ack",           DROP) \
	X(TCP_PAWS_DROP,         "tcp",  "paws_drop",             DROP) \
	X(TCP_ACK_SKIPPED_SEQ,   "tcp",  "ack_skipped_seq",       COUNT) \
	X(TCP_ACK_SKIPPED_PAWS,  "tcp",  "ack_skipped_paws",      COUNT) \
	X(TCP_RCV_AFTER_CLOSE,   "tcp",  "rcv_after_close",       DROP) \
	X(TCP_NO_ACK,            "tcp",  "no_ack_flag",           DROP) \
	X(TCP_RCVBUF_DROP,       "tcp",  "rcvbuf_drop",           DROP) \
	X(TCP_OFO_DROP,          "tcp",  "ofo_drop",              DROP) \
	X(TCP_OFO_PRUNED,        "tcp",  "ofo_pruned",            COUNT) \
	X(TCP_CHALLENGE_LIMITED, "tcp",  "challenge_ack_limited", DROP) \
	X(TCP_LISTEN_OVERFLOW,   "tcp",  "listen_overflows",      DROP) \
	X(TCP_SYN_QUEUE_FULL,    "tcp",  "syn_queue_full",        DROP) \
	X(TCP_SYNCOOKIES_SENT,   "tcp",  "syncookies_sent",       COUNT) \
	X(TCP_SYNCOOKIES_RECV,   "tcp",  "syncookies_recv",       COUNT) \
	X(TCP_SYNCOOKIES_FAILED, "tcp",  "syncookies_failed",     COUNT) \
	/* TCP Fast Open (RFC 7413): SYNs with data sent and their data not \
	 * acknowledged; SYNs with data accepted and refused (bad cookie); \
	 * refused because the listener's Fast Open queue was full; cookie \
	 * requests answered */ \
	X(TCP_FASTOPEN_ACTIVE,   "tcp",  "fastopen_active",       COUNT) \
	X(TCP_FASTOPEN_ACTIVE_FAIL, "tcp", "fastopen_active_fail", COUNT) \
	X(TCP_FASTOPEN_PASSIVE,  "tcp",  "fastopen_passive",      COUNT) \
	X(TCP_FASTOPEN_PASSIVE_FAIL, "tcp", "fastopen_passive_fail", COUNT) \
	X(TCP_FASTOPEN_LISTEN_OVERFLOW, "tcp", "fastopen_listen_overflow", COUNT) \
	X(TCP_FASTOPEN_COOKIE_REQD, "tcp", "fastopen_cookie_reqd", COUNT) \
	X(TCP_RCV_MEMORY,        "tcp",  "rcv_memory_limit",      DROP) \
	X(TCP_DSACK_OLD_SENT,    "tcp",  "dsack_old_sent",        COUNT) \
	X(TCP_DSACK_OFO_SENT,    "tcp",  "dsack_ofo_sent",        COUNT) \
	X(TCP_DSACK_RECV,        "tcp",  "dsack_recv",            COUNT) \
	X(TCP_DSACK_OFO_RECV,    "tcp",  "dsack_ofo_recv",        COUNT) \
	X(TCP_DSACK_IGNORED,     "tcp",  "dsack_ignored",         COUNT) \
	X(TCP_SACK_DISCARD,      "tcp",  "sack_discard",          COUNT) \
	/* buffer auto-tuning (transport/tcp_autotune.c) */ \
	X(TCP_RCVBUF_GROWN,      "tcp",  "rcvbuf_grown",          COUNT) \
	X(TCP_SNDBUF_GROWN,      "tcp",  "sndbuf_grown",          COUNT) \
	X(TCP_TX_REFUSED,        "tcp",  "tx_refused",            COUNT) \
	/* ECN (RFC 3168; transport/tcp_ecn.c, and IP input's codepoints) */ \
	X(TCP_ECN_DELIVERED_CE,  "tcp",  "ecn_delivered_ce",      COUNT) \
	X(TCP_ECN_REDUCTIONS,    "tcp",  "ecn_reductions",        COUNT) \
	X(TCP_ECN_CE_RECV,       "tcp",  "ecn_ce_received",       COUNT) \
	X(TCP_ECN_NEGOTIATED,    "tcp",  "ecn_negotiated",        COUNT) \
	X(TCP_ECN_REFUSED,       "tcp",  "ecn_setup_refused",     COUNT) \
	X(IP_IN_NOECT,           "ip",   "in_noect_pkts",         COUNT) \
	X(IP_IN_ECT1,            "ip",   "in_ect1_pkts",          COUNT) \
	X(IP_IN_ECT0,            "ip",   "in_ect0_pkts",          COUNT) \
	X(IP_IN_CE,              "ip",   "in_ce_pkts",            COUNT) \
	/* hardening (issue 7): TCP's budgets (transport/tcp_budget.c) */ \
	X(TCP_OFO_MEMORY,        "tcp",  "ofo_memory_limit",      DROP) \
	X(TCP_REQQ_FULL_COOKIES, "tcp",  "req_q_full_do_cookies", COUNT) \
	/* sockets */ \
	X(SOCK_ERRORS_QUEUED,    "sock", "icmp_errors_reported",  COUNT) \
	X(SOCK_RCV_MEMORY,       "sock", "rcv_memory_limit",      DROP)

enum tern_stat_kind { TERN_STAT_COUNT_KIND, TERN_STAT_DROP_KIND };

enum tern_stat {
	TERN_STAT_NONE = 0, /* "no reason": a valid packet */
#define TERN_STAT_ENUM_(n, g, s, k) TERN_STAT_##n,
	TERN_STATS(TERN_STAT_ENUM_)
#undef TERN_STAT_ENUM_
	TERN_STAT__COUNT
};

/* "ip", "bad_checksum", and whether it counts drops. */
const char *tern_stat_group(enum tern_stat s);
const char *tern_stat_name(enum tern_stat s);
int tern_stat_is_drop(enum tern_stat s);
/* Linux's name for the counter as nstat shows it ("TcpActiveOpens",
 * "TcpExtListenOverflows"), or NULL where Linux has none. */
const char *tern_stat_nstat_name(enum tern_stat s);
/* Look a counter up by "group.name"; returns TERN_STAT_NONE if unknown. */
enum tern_stat tern_stat_lookup(const char *group_dot_name);

#endif
