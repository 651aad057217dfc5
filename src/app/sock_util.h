/*
 * app/sock_util.h — socket steps the TCP apps (nc, curl, iperf, rr) share.
 */
#ifndef TERN_APP_SOCK_UTIL_H
#define TERN_APP_SOCK_UTIL_H

struct tern_stack;

/* A non-blocking connect on sd: 0 while it is under way, 1 once it has
 * succeeded, or the negative error it ended with (SO_ERROR, as Linux
 * reports a finished connect through POLLOUT). */
int tern_app_connect_result(struct tern_stack *s, int sd);

/* Close *sd (if open) after dropping its callback, and mark it closed (-1). */
void tern_app_close(struct tern_stack *s, int *sd);

#endif
