/*
 * host/host.h — what the host assembly offers the layers above it (the
 * simulator) beyond tern/stack.h. Not a public header.
 */
#ifndef TERN_HOST_HOST_H
#define TERN_HOST_HOST_H

#include "tern/stack.h"

/* tern_stack_create, sharing like's tunables (read-only until a sysctl
 * changes them: copy on write) if cfg's are the same: a lab's thousand
 * hosts made from one configuration hold one copy of it. like may be
 * NULL. */
struct tern_stack *tern_stack_create_like(const struct tern_stack_config *cfg,
					  const struct tern_stack *like);

#endif
