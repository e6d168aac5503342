/* error.c: the library's version and the names of its error codes. */
#include "ymawky.h"

#include <errno.h>

const char *ymk_version(void)
{
	return "0.1.0";
}

const char *ymk_strerror(int err)
{
	switch (err) {
	case YMK_OK: return "success";
	case YMK_EINVAL: return "invalid argument";
	case YMK_ENOMEM: return "out of memory";
	case YMK_ESTATE: return "not allowed in the current state";
	case YMK_EADDRESS: return "listen address cannot be parsed";
	case YMK_ENOROOT: return "no document root and no handler configured";
	case YMK_ENOTDIR: return "document root is not a directory";
	case YMK_ERESPONDED: return "request already answered";
	case YMK_ENOCREDENTIALS: return "no credentials of this scheme";
	case YMK_EBADCREDENTIALS: return "malformed credentials";
	case YMK_ENOTLS: return "built without TLS";
	case YMK_ETLS: return "refused by the TLS library";
	case YMK_EAGAIN: return "no room now: wait until the stream is writable";
	case YMK_ENOTSUP: return "not supported by this build";
	}
	if (err < 0 && err > -4096) {
		/* strerror() is not thread-safe in every libc; the names we hand out are static. */
		switch (-err) {
		case ENOENT: return "no such file or directory";
		case EACCES: return "permission denied";
		case EADDRINUSE: return "address already in use";
		case EADDRNOTAVAIL: return "address not available";
		case EAFNOSUPPORT: return "address family not supported";
		case EMFILE: return "too many open files";
		case ENFILE: return "too many open files in system";
		case ENOMEM: return "out of memory";
		case ENOTDIR: return "not a directory";
		case EINVAL: return "invalid argument";
		case EPERM: return "operation not permitted";
		case ELOOP: return "symbolic link refused";
		case EAGAIN: return "resource temporarily unavailable";
		case EINTR: return "interrupted";
		default: return "system error";
		}
	}
	return "unknown error";
}
