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
 * tcp_congestion_control, "cubic" by default as Linux) and per socket
 * (TCP_CONGESTION). Modules: "cubic" (tcp_cc_cubic.c, RFC 9438 with
 * HyStart++, RFC 9406) and "reno" (tcp_cc_reno.c, which keeps the list).
 *
 * The optional hooks (NULL: not wanted) carry what delay- and rate-based
 * modules need beyond the loss events (HyStart++ now, BBR later): every
 * RTT sample, and the restart of sending after an idle period.
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
	/* Optional. An RTT sample was taken (tcp_rtt_sample, RFC 6298 §3:
	 * Karn's rule already applied), after SND.UNA moved for the ACK that
	 * gave it and before on_ack. s is for the module's counters. */
	void (*on_rtt)(struct tern_stack *s, struct tern_tcb *tp, tern_time_t rtt, tern_time_t now);
	/* Optional. New data leaves while nothing was in flight (Linux's
	 * CA_EVENT_TX_START): a module keeping time since an event (CUBIC's
	 * epoch) can leave out the idle period. tp->last_data_sent is still
	 * the time of the previous data segment. */
	void (*on_tx_start)(struct tern_tcb *tp, tern_time_t now);
	/* Optional. The last reduction was spurious (an undo, tcp_undo.c:
	 * Eifel, F-RTO, timestamps or D-SACKs showed nothing was lost;
	 * Linux's undo_cwnd): restore the window to what it was before the
	 * episode began, prior_cwnd and prior_ssthresh, at least, and the
	 * module's own state as it was before that episode's first
	 * reduction (on_loss, or an on_rto outside recovery and loss).
	 * Without the hook, the core's default: cwnd and ssthresh each
	 * raised to its prior value (tcp_cc_undo). */
	void (*undo)(struct tern_tcb *tp, uint32_t prior_cwnd, uint32_t prior_ssthresh,
		     tern_time_t now);
};

/* The core's calls into the optional hooks (nothing if the module has none). */
void tcp_cc_rtt(struct tern_stack *s, struct tern_tcb *tp, tern_time_t rtt, tern_time_t now);
void tcp_cc_tx_start(struct tern_tcb *tp, tern_time_t now);
/* The core's only way to undo a reduction: the module's undo hook with
 * the window saved when the episode began (tp->undo_cwnd, undo_ssthresh). */
void tcp_cc_undo(struct tern_tcb *tp, tern_time_t now);

extern const struct tern_cc_ops tern_cc_reno;
extern const struct tern_cc_ops tern_cc_cubic;
/* CUBIC's state, for tests (tcp_cc_cubic.c). */
struct tcp_cubic_view {
	uint32_t w_max, origin, w_est;  /* bytes */
	tern_time_t k, epoch_start;     /* K (ms resolution), the epoch's start */
	bool in_epoch;
	uint8_t hystart;                /* 1: slow start, 2: CSS (RFC 9406), 0: neither */
	tern_time_t css_baseline;       /* cssBaselineMinRtt (TERN_TIME_NEVER: infinity) */
};
void tcp_cubic_peek(const struct tern_tcb *tp, struct tcp_cubic_view *v);

/* The module of that name, or NULL. */
const struct tern_cc_ops *tern_cc_find(const char *name);
/* The i-th module built in, NULL past the last (tcp_available_congestion_control). */
const struct tern_cc_ops *tern_cc_at(size_t i);

#endif
