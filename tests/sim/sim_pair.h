/*
 * tests/sim/sim_pair.h — the two-host network most simulation tests start
 * from: A 10.0.0.1/24 and B 10.0.0.2/24 on a 1 ms link, run for 100 ms so
 * their gratuitous ARPs have settled (neither knows the other's MAC yet).
 */
#ifndef TERN_TESTS_SIM_PAIR_H
#define TERN_TESTS_SIM_PAIR_H

#include "tern/sim.h"

/* NULL (everything freed) if the network cannot be built. */
static inline struct tern_sim *sim_pair(uint64_t seed, struct tern_stack **a,
					struct tern_stack **b)
{
	struct tern_sim *sim = tern_sim_create(seed);
	struct tern_sim_link_opts lo = {.delay = TERN_MSEC(1)};
	if (!sim)
		return NULL;
	*a = tern_sim_host(sim, "A", NULL);
	*b = tern_sim_host(sim, "B", NULL);
	if (!*a || !*b ||
	    tern_sim_connect(sim, *a, "10.0.0.1/24", *b, "10.0.0.2/24", &lo, NULL, NULL) < 0) {
		tern_sim_destroy(sim);
		return NULL;
	}
	tern_sim_run_until(sim, TERN_MSEC(100));
	return sim;
}

#endif
