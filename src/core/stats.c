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
