/*
 * core/stats.c — the names of tern's counters and drop reasons.
 *
 * Three constant tables generated from the TERN_STATS X-macro in
 * include/tern/stats.h, indexed by enum tern_stat; index 0 is
 * TERN_STAT_NONE ("none.none"). The counters themselves live in each
 * stack; this file only maps numbers to names and back, for `tern stats`,
 * the tracer and tests that look counters up by "group.name".
 */
#include "tern/stats.h"

#include <stddef.h>
#include <string.h>

#define STAT_KIND_COUNT TERN_STAT_COUNT_KIND
#define STAT_KIND_DROP  TERN_STAT_DROP_KIND

static const char *const stat_groups[TERN_STAT__COUNT] = {
	"none",
#define X_GROUP_(n, g, s, k) g,
	TERN_STATS(X_GROUP_)
#undef X_GROUP_
};

static const char *const stat_names[TERN_STAT__COUNT] = {
	"none",
#define X_NAME_(n, g, s, k) s,
	TERN_STATS(X_NAME_)
#undef X_NAME_
};

static const unsigned char stat_kinds[TERN_STAT__COUNT] = {
	STAT_KIND_COUNT,
#define X_KIND_(n, g, s, k) STAT_KIND_##k,
	TERN_STATS(X_KIND_)
#undef X_KIND_
};

static int stat_valid(enum tern_stat s)
{
	return (unsigned)s < (unsigned)TERN_STAT__COUNT;
}

const char *tern_stat_group(enum tern_stat s)
{
	return stat_valid(s) ? stat_groups[s] : "unknown";
}

const char *tern_stat_name(enum tern_stat s)
{
	return stat_valid(s) ? stat_names[s] : "unknown";
}

int tern_stat_is_drop(enum tern_stat s)
{
	return stat_valid(s) && stat_kinds[s] == STAT_KIND_DROP;
}

/* Linear search: about a hundred entries, used by tools and tests only,
 * never on a packet path. */
enum tern_stat tern_stat_lookup(const char *group_dot_name)
{
	const char *dot;
	size_t glen;

	if (!group_dot_name)
		return TERN_STAT_NONE;
	dot = strchr(group_dot_name, '.');
	if (!dot)
		return TERN_STAT_NONE;
	glen = (size_t)(dot - group_dot_name);
	for (int i = 1; i < TERN_STAT__COUNT; i++) {
		if (strlen(stat_groups[i]) == glen &&
		    memcmp(stat_groups[i], group_dot_name, glen) == 0 &&
		    strcmp(stat_names[i], dot + 1) == 0)
			return (enum tern_stat)i;
	}
	return TERN_STAT_NONE;
}

/* Linux's names for the counters it has too, as nstat prints them
 * (/proc/net/snmp "Tcp:", "Ip:", ... and /proc/net/netstat "TcpExt:"),
 * so a tern host and a Linux one compare line by line. */
static const struct {
	enum tern_stat st;
	const char *name;
} nstat_names[] = {
	{TERN_STAT_IP_IN_RECEIVES, "IpInReceives"},
	{TERN_STAT_IP_IN_DELIVERS, "IpInDelivers"},
	{TERN_STAT_IP_OUT_REQUESTS, "IpOutRequests"},
	{TERN_STAT_IP_FORWARDED, "IpForwDatagrams"},
	{TERN_STAT_IP_UNKNOWN_PROTO, "IpInUnknownProtos"},
	{TERN_STAT_IP_REASM_REQDS, "IpReasmReqds"},
	{TERN_STAT_IP_REASM_OKS, "IpReasmOKs"},
	{TERN_STAT_IP_FRAG_OKS, "IpFragOKs"},
	{TERN_STAT_IP_FRAG_CREATES, "IpFragCreates"},
	{TERN_STAT_ICMP_IN_MSGS, "IcmpInMsgs"},
	{TERN_STAT_ICMP_OUT_MSGS, "IcmpOutMsgs"},
	{TERN_STAT_ICMP_OUT_ERRORS, "IcmpOutErrors"},
	{TERN_STAT_ICMP_IN_ECHOS, "IcmpInEchos"},
	{TERN_STAT_ICMP_IN_ECHO_REPS, "IcmpInEchoReps"},
	{TERN_STAT_ICMP_OUT_ECHO_REPS, "IcmpOutEchoReps"},
	{TERN_STAT_ICMP_OUT_DEST_UNREACH, "IcmpOutDestUnreachs"},
	{TERN_STAT_ICMP_OUT_TIME_EXCDS, "IcmpOutTimeExcds"},
	{TERN_STAT_ICMP_OUT_REDIRECTS, "IcmpOutRedirects"},
	{TERN_STAT_ICMP_RATELIMITED, "IcmpMsgOutRateLimitGlobal"},
	{TERN_STAT_ICMP_RATELIMITED_HOST, "IcmpMsgOutRateLimitHost"},
	{TERN_STAT_UDP_IN_DATAGRAMS, "UdpInDatagrams"},
	{TERN_STAT_UDP_OUT_DATAGRAMS, "UdpOutDatagrams"},
	{TERN_STAT_UDP_NO_PORT, "UdpNoPorts"},
	{TERN_STAT_UDP_RCVBUF_ERRORS, "UdpRcvbufErrors"},
	{TERN_STAT_UDP_SNDBUF_ERRORS, "UdpSndbufErrors"},
	{TERN_STAT_UDP_BAD_CHECKSUM, "UdpInCsumErrors"},
	{TERN_STAT_TCP_ACTIVE_OPENS, "TcpActiveOpens"},
	{TERN_STAT_TCP_PASSIVE_OPENS, "TcpPassiveOpens"},
	{TERN_STAT_TCP_ATTEMPT_FAILS, "TcpAttemptFails"},
	{TERN_STAT_TCP_ESTAB_RESETS, "TcpEstabResets"},
	{TERN_STAT_TCP_IN_SEGS, "TcpInSegs"},
	{TERN_STAT_TCP_OUT_SEGS, "TcpOutSegs"},
	{TERN_STAT_TCP_RETRANS_SEGS, "TcpRetransSegs"},
	{TERN_STAT_TCP_BAD_CHECKSUM, "TcpInCsumErrors"},
	{TERN_STAT_TCP_OUT_RSTS, "TcpOutRsts"},
	{TERN_STAT_TCP_DELAYED_ACK_LOST, "TcpExtDelayedACKLost"},
	{TERN_STAT_TCP_SYNCOOKIES_SENT, "TcpExtSyncookiesSent"},
	{TERN_STAT_TCP_SYNCOOKIES_RECV, "TcpExtSyncookiesRecv"},
	{TERN_STAT_TCP_FASTOPEN_ACTIVE, "TcpExtTCPFastOpenActive"},
	{TERN_STAT_TCP_FASTOPEN_ACTIVE_FAIL, "TcpExtTCPFastOpenActiveFail"},
	{TERN_STAT_TCP_FASTOPEN_PASSIVE, "TcpExtTCPFastOpenPassive"},
	{TERN_STAT_TCP_FASTOPEN_PASSIVE_FAIL, "TcpExtTCPFastOpenPassiveFail"},
	{TERN_STAT_TCP_FASTOPEN_LISTEN_OVERFLOW, "TcpExtTCPFastOpenListenOverflow"},
	{TERN_STAT_TCP_FASTOPEN_COOKIE_REQD, "TcpExtTCPFastOpenCookieReqd"},
	{TERN_STAT_TCP_SYNCOOKIES_FAILED, "TcpExtSyncookiesFailed"},
	{TERN_STAT_TCP_PAWS_DROP, "TcpExtPAWSEstab"},
	{TERN_STAT_TCP_ACK_SKIPPED_SEQ, "TcpExtTCPACKSkippedSeq"},
	{TERN_STAT_TCP_ACK_SKIPPED_PAWS, "TcpExtTCPACKSkippedPAWS"},
	{TERN_STAT_TCP_DELAYED_ACKS, "TcpExtDelayedACKs"},
	{TERN_STAT_TCP_LISTEN_OVERFLOW, "TcpExtListenOverflows"},
	{TERN_STAT_TCP_SYN_QUEUE_FULL, "TcpExtListenDrops"},
	{TERN_STAT_TCP_TIMEOUTS, "TcpExtTCPTimeouts"},
	{TERN_STAT_TCP_FAST_RETRANS, "TcpExtTCPFastRetrans"},
	{TERN_STAT_TCP_HYSTART_DELAY_DETECT, "TcpExtTCPHystartDelayDetect"},
	{TERN_STAT_TCP_HYSTART_DELAY_CWND, "TcpExtTCPHystartDelayCwnd"},
	{TERN_STAT_TCP_SACK_RECOVERY, "TcpExtTCPSackRecovery"},
	{TERN_STAT_TCP_RENO_RECOVERY, "TcpExtTCPRenoRecovery"},
	{TERN_STAT_TCP_SACK_REORDER, "TcpExtTCPSACKReorder"},
	{TERN_STAT_TCP_TS_REORDER, "TcpExtTCPTSReorder"},
	{TERN_STAT_TCP_SACK_RENEGING, "TcpExtTCPSACKReneging"},
	{TERN_STAT_TCP_SLOW_START_RETRANS, "TcpExtTCPSlowStartRetrans"},
	{TERN_STAT_TCP_LOST_RETRANSMIT, "TcpExtTCPLostRetransmit"},
	{TERN_STAT_TCP_LOSS_PROBES, "TcpExtTCPLossProbes"},
	{TERN_STAT_TCP_LOSS_PROBE_RECOVERY, "TcpExtTCPLossProbeRecovery"},
	{TERN_STAT_TCP_DSACK_UNDO, "TcpExtTCPDSACKUndo"},
	{TERN_STAT_TCP_LOSS_UNDO, "TcpExtTCPLossUndo"},
	{TERN_STAT_TCP_FULL_UNDO, "TcpExtTCPFullUndo"},
	{TERN_STAT_TCP_PARTIAL_UNDO, "TcpExtTCPPartialUndo"},
	{TERN_STAT_TCP_SPURIOUS_RTOS, "TcpExtTCPSpuriousRTOs"},
	{TERN_STAT_TCP_CHALLENGE_ACKS, "TcpExtTCPChallengeACK"},
	{TERN_STAT_TCP_SYN_CHALLENGE, "TcpExtTCPSYNChallenge"},
	{TERN_STAT_TCP_KEEPALIVE_DROPS, "TcpExtTCPAbortOnTimeout"},
	{TERN_STAT_TCP_RCV_AFTER_CLOSE, "TcpExtTCPAbortOnData"},
	{TERN_STAT_TCP_OFO_DROP, "TcpExtTCPOFODrop"},
	{TERN_STAT_TCP_REQQ_FULL_COOKIES, "TcpExtTCPReqQFullDoCookies"},
	{TERN_STAT_TCP_OFO_PRUNED, "TcpExtOfoPruned"},
	{TERN_STAT_TCP_RCVBUF_DROP, "TcpExtTCPRcvQDrop"},
	{TERN_STAT_TCP_MTUP_FAIL, "TcpExtTCPMTUPFail"},
	{TERN_STAT_TCP_MTUP_SUCCESS, "TcpExtTCPMTUPSuccess"},
	{TERN_STAT_TCP_TW_RECYCLED, "TcpExtTWRecycled"},
	{TERN_STAT_TCP_HP_HITS, "TcpExtTCPHPHits"},
	{TERN_STAT_TCP_HP_ACKS, "TcpExtTCPHPAcks"},
	{TERN_STAT_TCP_DSACK_OLD_SENT, "TcpExtTCPDSACKOldSent"},
	{TERN_STAT_TCP_DSACK_OFO_SENT, "TcpExtTCPDSACKOfoSent"},
	{TERN_STAT_TCP_DSACK_RECV, "TcpExtTCPDSACKRecv"},
	{TERN_STAT_TCP_DSACK_OFO_RECV, "TcpExtTCPDSACKOfoRecv"},
	{TERN_STAT_TCP_SACK_DISCARD, "TcpExtTCPSACKDiscard"},
	{TERN_STAT_TCP_ECN_DELIVERED_CE, "TcpExtTCPDeliveredCE"},
	{TERN_STAT_IP_IN_NOECT, "IpExtInNoECTPkts"},
	{TERN_STAT_IP_IN_ECT1, "IpExtInECT1Pkts"},
	{TERN_STAT_IP_IN_ECT0, "IpExtInECT0Pkts"},
	{TERN_STAT_IP_IN_CE, "IpExtInCEPkts"},
};

const char *tern_stat_nstat_name(enum tern_stat s)
{
	for (size_t i = 0; i < sizeof(nstat_names) / sizeof(nstat_names[0]); i++)
		if (nstat_names[i].st == s)
			return nstat_names[i].name;
	return NULL;
}
