/*
 * app/sock_util.c — see sock_util.h.
 */
#include "app/sock_util.h"

#include "tern/socket.h"

int tern_app_connect_result(struct tern_stack *s, int sd)
{
	struct tern_pollfd p = {sd, TERN_POLLOUT, 0};
	tern_poll(s, &p, 1);
	if (!(p.revents & (TERN_POLLOUT | TERN_POLLERR | TERN_POLLHUP)))
		return 0;
	int soerr = 0;
	size_t len = sizeof(soerr);
	int rc = tern_getsockopt(s, sd, TERN_SOL_SOCKET, TERN_SO_ERROR, &soerr, &len);
	if (rc < 0)
		return rc;
	return soerr < 0 ? soerr : 1;
}

void tern_app_close(struct tern_stack *s, int *sd)
{
	if (*sd < 0)
		return;
	tern_socket_set_callback(s, *sd, NULL, NULL);
	tern_close(s, *sd);
	*sd = -1;
}
