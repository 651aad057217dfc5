/*
 * tests/fuzz/fuzz_sack.c — libFuzzer target for the sender's SACK
 * scoreboard (transport/tcp_recovery.c) under hostile block sets:
 * overlapping, touching, nested, out of the window, empty, reversed, more
 * than the option carries, and far more ranges than the scoreboard holds.
 *
 * One tcb with SND.UNA..SND.MAX of up to 4 MiB; the input is a program of
 * 9-byte operations [u8 op][u32 a][u32 b]:
 *   op % 4 == 0, 1: a block [SND.UNA + a, SND.UNA + a + b % 65536) (raw
 *                   offsets, so also below SND.UNA and past SND.MAX);
 *   op % 4 == 2:    the cumulative ACK moves by a % 65536 (tcp_sb_ack);
 *   op % 4 == 3:    a retransmission timeout clears it (tcp_sb_clear).
 * Oracles (abort, which libFuzzer reports): after every operation the
 * ranges are sorted, disjoint and not touching, each non-empty and inside
 * (SND.UNA, SND.MAX]; at most TCP_SB_MAX of them; sacked_bytes is their
 * sum; an empty scoreboard is back in the tcb; and a block inside the
 * window that was just taken in is covered (unless the scoreboard is full
 * and it would have been the highest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_impl.h"
#include "tern/stack.h"
#include "transport/sock.h"
#include "transport/tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* (little-endian: the input's own layout, not the wire's) */
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check(const struct tern_tcb *tp)
{
	uint32_t sum = 0;
	if (tp->sb_count > TCP_SB_MAX || tp->sb_count > tp->sb_cap)
		abort();
	for (unsigned i = 0; i < tp->sb_count; i++) {
		const struct tern_tcp_sack_block *b = &tp->sb[i];
		if (!seq_lt(b->left, b->right) || !seq_gt(b->left, tp->snd_una) ||
		    seq_gt(b->right, tp->snd_max))
			abort();
		if (i && !seq_lt(tp->sb[i - 1].right, b->left))
			abort(); /* overlapping or touching: should have merged */
		sum += b->right - b->left;
	}
	if (sum != tp->sacked_bytes)
		abort();
	if (!tp->sb_count && tp->sb != tp->sb_inline)
		abort();
}

static bool covered(const struct tern_tcb *tp, tcp_seq l, tcp_seq r)
{
	for (unsigned i = 0; i < tp->sb_count; i++)
		if (seq_leq(tp->sb[i].left, l) && seq_geq(tp->sb[i].right, r))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tern_stack_config cfg;
	tern_stack_config_init(&cfg);
	struct tern_stack *s = tern_stack_create(&cfg);
	if (!s)
		return 0;
	/* (a host without sockets shares a read-only empty table) */
	struct tern_tcb *tp = tern_sock_table_own(s) ? tcp_tcb_new(s) : NULL;
	if (!tp) {
		tern_stack_destroy(s);
		return 0;
	}
	tp->state = TCPS_ESTABLISHED;
	tp->flags |= TF_SACK_PERMIT;
	tp->t_maxseg = 1460;
	tp->snd_una = size >= 4 ? le32(data) : 1; /* any ISN: wrap-around too */
	tp->snd_nxt = tp->snd_max = tp->snd_una + (4u << 20);
	for (size_t i = 4; i + 9 <= size; i += 9) {
		uint8_t op = data[i];
		uint32_t a = le32(data + i + 1), b = le32(data + i + 5);
		switch (op % 4) {
		case 0:
		case 1: {
			tcp_seq l = tp->snd_una + a, r = l + b % 65536;
			bool full_before = tp->sb_count == TCP_SB_MAX;
			tcp_sb_update(s, tp, l, r);
			bool inside = seq_lt(l, r) && seq_gt(l, tp->snd_una) && !seq_gt(r, tp->snd_max);
			if (inside && !full_before && !covered(tp, l, r))
				abort();
			break;
		}
		case 2:
			if (seq_lt(tp->snd_una + a % 65536, tp->snd_max)) {
				tp->snd_una += a % 65536;
				tcp_sb_ack(s, tp);
			}
			break;
		default:
			tcp_sb_clear(tp);
			break;
		}
		check(tp);
	}
	tcp_tcb_free(s, tp);
	tern_stack_destroy(s);
	return 0;
}
