/*
 * core/addr.c — text forms of IPv4 and MAC addresses, and error strings.
 *
 * Formatting writes into the caller's buffer and returns it, so several
 * addresses can appear in one printf. Parsing is strict: tools and lab
 * topologies feed user text here, and a typo must be an error rather than
 * a silently different address. No locale, no global state.
 */
#include <stdio.h>

#include "tern/err.h"
#include "tern/types.h"

char *tern_ip4_str(tern_ip4_t a, char buf[TERN_IP4_STRLEN])
{
	snprintf(buf, TERN_IP4_STRLEN, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)(a >> 16) & 0xffu,
		 (unsigned)(a >> 8) & 0xffu, (unsigned)a & 0xffu);
	return buf;
}

char *tern_mac_str(const struct tern_mac *m, char buf[TERN_MAC_STRLEN])
{
	snprintf(buf, TERN_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2],
		 m->b[3], m->b[4], m->b[5]);
	return buf;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parse a decimal number of at most max_digits digits, no sign, no
 * leading zero unless it is "0" itself (so "010" cannot be mistaken for
 * octal 8, as inet_aton would). Advances *sp past the digits.
 */
static int parse_dec(const char **sp, unsigned max_digits, unsigned max, unsigned *out)
{
	const char *s = *sp;
	unsigned v = 0, n = 0;

	while (is_digit(s[n])) {
		if (n == max_digits)
			return TERN_EINVAL;
		v = v * 10 + (unsigned)(s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0') || v > max)
		return TERN_EINVAL;
	*sp = s + n;
	*out = v;
	return 0;
}

/* Exactly four dotted decimal parts 0..255; stops after the fourth. */
static int parse_quad(const char **sp, tern_ip4_t *out)
{
	const char *s = *sp;
	tern_ip4_t a = 0;

	for (int i = 0; i < 4; i++) {
		unsigned part;
		if (i > 0 && *s++ != '.')
			return TERN_EINVAL;
		if (parse_dec(&s, 3, 255, &part) < 0)
			return TERN_EINVAL;
		a = a << 8 | part;
	}
	*sp = s;
	*out = a;
	return 0;
}

int tern_ip4_parse(const char *s, tern_ip4_t *out)
{
	tern_ip4_t a;

	if (!s || parse_quad(&s, &a) < 0 || *s != '\0')
		return TERN_EINVAL;
	*out = a;
	return 0;
}

int tern_ip4_parse_prefix(const char *s, tern_ip4_t *addr, unsigned *plen)
{
	tern_ip4_t a;
	unsigned p = 32;

	if (!s || parse_quad(&s, &a) < 0)
		return TERN_EINVAL;
	if (*s == '/') {
		s++;
		if (parse_dec(&s, 2, 32, &p) < 0)
			return TERN_EINVAL;
	}
	if (*s != '\0')
		return TERN_EINVAL;
	*addr = a;
	*plen = p;
	return 0;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "02:00:00:00:00:01": six parts of exactly two hex digits (either case)
 * separated by colons. */
int tern_mac_parse(const char *s, struct tern_mac *out)
{
	struct tern_mac m;

	if (!s)
		return TERN_EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi, lo;
		if (i > 0 && *s++ != ':')
			return TERN_EINVAL;
		hi = hex_val(s[0]);
		if (hi < 0)
			return TERN_EINVAL;
		lo = hex_val(s[1]);
		if (lo < 0)
			return TERN_EINVAL;
		m.b[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	if (*s != '\0')
		return TERN_EINVAL;
	*out = m;
	return 0;
}

/*
 * The text strerror(-err) gives on Linux, from a constant table so it is
 * thread-safe and independent of the C library's locale. Covers every
 * enum tern_err value and the other errno values a C programmer might pass.
 */
const char *tern_strerror(int err)
{
	switch (-(long long)err) { /* no overflow for INT_MIN */
	case 0: return "Success";
	case EPERM: return "Operation not permitted";
	case ENOENT: return "No such file or directory";
	case ESRCH: return "No such process";
	case EINTR: return "Interrupted system call";
	case EIO: return "Input/output error";
	case ENXIO: return "No such device or address";
	case E2BIG: return "Argument list too long";
	case EBADF: return "Bad file descriptor";
	case EAGAIN: return "Resource temporarily unavailable";
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK: return "Resource temporarily unavailable";
#endif
	case ENOMEM: return "Cannot allocate memory";
	case EACCES: return "Permission denied";
	case EFAULT: return "Bad address";
	case EBUSY: return "Device or resource busy";
	case EEXIST: return "File exists";
	case ENODEV: return "No such device";
	case ENOTDIR: return "Not a directory";
	case EISDIR: return "Is a directory";
	case EINVAL: return "Invalid argument";
	case ENFILE: return "Too many open files in system";
	case EMFILE: return "Too many open files";
	case ENOTTY: return "Inappropriate ioctl for device";
	case ENOSPC: return "No space left on device";
	case EPIPE: return "Broken pipe";
	case EDOM: return "Numerical argument out of domain";
	case ERANGE: return "Numerical result out of range";
	case ENAMETOOLONG: return "File name too long";
	case ENOSYS: return "Function not implemented";
	case ENOTSOCK: return "Socket operation on non-socket";
	case EDESTADDRREQ: return "Destination address required";
	case EMSGSIZE: return "Message too long";
	case EPROTOTYPE: return "Protocol wrong type for socket";
	case ENOPROTOOPT: return "Protocol not available";
	case EPROTONOSUPPORT: return "Protocol not supported";
	case EOPNOTSUPP: return "Operation not supported";
	case EAFNOSUPPORT: return "Address family not supported by protocol";
	case EADDRINUSE: return "Address already in use";
	case EADDRNOTAVAIL: return "Cannot assign requested address";
	case ENETDOWN: return "Network is down";
	case ENETUNREACH: return "Network is unreachable";
	case ECONNABORTED: return "Software caused connection abort";
	case ECONNRESET: return "Connection reset by peer";
	case ENOBUFS: return "No buffer space available";
	case EISCONN: return "Transport endpoint is already connected";
	case ENOTCONN: return "Transport endpoint is not connected";
	case ESHUTDOWN: return "Cannot send after transport endpoint shutdown";
	case ETIMEDOUT: return "Connection timed out";
	case ECONNREFUSED: return "Connection refused";
	case EHOSTDOWN: return "Host is down";
	case EHOSTUNREACH: return "No route to host";
	case EALREADY: return "Operation already in progress";
	case EINPROGRESS: return "Operation now in progress";
	case EPROTO: return "Protocol error";
	case EBADMSG: return "Bad message";
	case EOVERFLOW: return "Value too large for defined data type";
	case ECANCELED: return "Operation canceled";
	default: return "Unknown error";
	}
}
