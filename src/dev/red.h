/*
 * dev/red.h — Random Early Detection (Floyd & Jacobson, "Random Early
 * Detection Gateways for Congestion Avoidance", 1993), the decision alone:
 * the link (link.c) asks it about each arriving packet. Internal to
 * src/dev/; the parameters are tern_red_params (tern/netdev.h).
 */
#ifndef TERN_DEV_RED_H
#define TERN_DEV_RED_H

#include <stdbool.h>

#include "core/rng.h"
#include "tern/netdev.h"

struct tern_red {
	double avg;            /* the average queue, bytes */
	int count;             /* packets since the last mark (-1: below min) */
	struct tern_rng rng;
};

enum tern_red_verdict {
	TERN_RED_PASS,
	TERN_RED_MARK,         /* set CE (ecn, and the packet is ECT) */
	TERN_RED_DROP_EARLY,   /* between the thresholds */
	TERN_RED_DROP_FORCED,  /* the average at or above max */
};

void tern_red_init(struct tern_red *r, uint64_t seed);
/* A packet arrives at a queue holding qbytes; `idle` is how long the
 * queue has been empty (0 if it is not) and pkt_ns the time a typical
 * packet takes to send, from which the average decays over idle time
 * (the paper's m); ect: the packet is ECN-capable. */
enum tern_red_verdict tern_red_arrive(struct tern_red *r, const struct tern_red_params *p,
				      uint64_t qbytes, tern_time_t idle, tern_time_t pkt_ns,
				      bool ect);

#endif
