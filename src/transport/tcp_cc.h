/*
 * transport/tcp_cc.h — congestion control behind a small ops table
 * (FreeBSD's struct cc_algo, Linux's tcp_congestion_ops).
 *
 * The core (tcp_input.c, tcp_recovery.c, tcp_timer.c) decides *what* to
 * resend: duplicate ACKs, SACK recovery (RFC 6675) or NewReno's partial
 * ACKs (RFC 6582), the retransmission timeout. During SACK recovery the
 * core's PRR (RFC 6937) sets cwnd on each ACK; on_loss has set ssthresh
 * before, and on_recovery_end (tp->ca_state still TCP_CA_RECOVERY) sets
 * the window after. The module decides *how much* may be in flight:
 * it owns snd_cwnd and snd_ssthresh, and is told of each event with `now`
 * (there is no clock to read). Its state lives inline in the tcb
 * (cc_state), so no module allocates. SACK recovery, PRR, RACK-TLP, CUBIC,
 * ECN and BBR come as modules or core steps without touching the other.
 *
 * A module is chosen by its Linux name: per stack (the configuration's
 * tcp_congestion_control) and per socket (TCP_CONGESTION).
 */
#ifndef TERN_TRANSPORT_TCP_CC_H
#define TERN_TRANSPORT_TCP_CC_H

#include "tern/stack.h"

struct tern_tcb;

struct tern_cc_ops {
	const char *name;   /* as Linux's tcp_congestion_control: "reno", ... */
	/* The connection is established: the initial window (RFC 6928). */
	void (*init)(struct tern_tcb *tp, tern_time_t now);
	/* acked bytes of new data were acknowledged outside recovery. */
	void (*on_ack)(struct tern_tcb *tp, uint32_t acked, tern_time_t now);
	/* Loss inferred from duplicate ACKs: recovery begins (set ssthresh;
	 * the core then sets cwnd = ssthresh + 3 segments and inflates). */
	void (*on_loss)(struct tern_tcb *tp, tern_time_t now);
	/* Recovery is over (a full acknowledgment). */
	void (*on_recovery_end)(struct tern_tcb *tp, tern_time_t now);
	/* The retransmission timer expired (RFC 5681 §3.1's loss window). */
	void (*on_rto)(struct tern_tcb *tp, tern_time_t now);
	/* The peer echoed congestion experienced (RFC 3168; ECN comes later). */
	void (*on_ecn)(struct tern_tcb *tp, tern_time_t now);
};

extern const struct tern_cc_ops tern_cc_reno;
/* The module of that name, or NULL. */
const struct tern_cc_ops *tern_cc_find(const char *name);
/* The i-th module built in, NULL past the last (tcp_available_congestion_control). */
const struct tern_cc_ops *tern_cc_at(size_t i);

#endif
