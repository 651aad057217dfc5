/*
 * tests/install/hello_sim.c — a program built only from an installed tern
 * (pkg-config --cflags --libs tern): two simulated hosts on one link, a
 * UDP datagram from one to the other. Prints what arrived; exit 0 if it
 * did, 1 if not.
 */
#include <stdio.h>
#include <string.h>

#include <tern/sim.h>
#include <tern/socket.h>

int main(void)
{
	struct tern_sim *sim = tern_sim_create(1);
	if (!sim)
		return 1;
	struct tern_stack *a = tern_sim_host(sim, "a", NULL);
	struct tern_stack *b = tern_sim_host(sim, "b", NULL);
	if (!a || !b || tern_sim_connect(sim, a, "10.0.0.1/24", b, "10.0.0.2/24", NULL, NULL, NULL))
		return 1;
	int sa = tern_socket(a, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	int sb = tern_socket(b, TERN_AF_INET, TERN_SOCK_DGRAM, 0);
	struct tern_sockaddr_in bind_b = {.addr = 0, .port = 7};
	struct tern_sockaddr_in to = {.addr = TERN_IP4(10, 0, 0, 2), .port = 7};
	if (sa < 0 || sb < 0 || tern_bind(b, sb, &bind_b) < 0)
		return 1;
	tern_sim_run_for(sim, TERN_MSEC(100));
	const char msg[] = "hello from an installed tern";
	if (tern_sendto(a, sa, msg, sizeof(msg) - 1, 0, &to) < 0)
		return 1;
	tern_sim_run_for(sim, TERN_SEC(1));
	char buf[64];
	struct tern_sockaddr_in from;
	int n = tern_recvfrom(b, sb, buf, sizeof(buf) - 1, 0, &from);
	if (n < 0)
		return 1;
	buf[n] = 0;
	printf("%s\n", buf);
	tern_sim_destroy(sim);
	return strcmp(buf, msg) != 0;
}
