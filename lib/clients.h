/* clients.h: live connections counted per client address, for the per-client connection limit.
 *
 * A small open-addressing hash table from an address to a count. IPv4 addresses are kept in
 * their IPv4-mapped IPv6 form, so a client counts the same on an IPv4 and a dual-stack listener;
 * the port and an IPv6 scope are not part of the key. A Unix-socket peer has no address and is
 * not counted. Each process model keeps one table for the connections it holds (the event loop
 * per process, the fork parent for its children). */
#ifndef YMK_CLIENTS_H
#define YMK_CLIENTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ymk__client_slot;

struct ymk__clients {
	struct ymk__client_slot *v;
	size_t n, cap; /* addresses held; slots (a power of two, or 0) */
	uint64_t seed; /* of the hash, set when the slots are first made */
};

/* 1 when the address is one the table counts (IPv4 or IPv6), else 0. */
int ymk__clients_countable(const struct sockaddr *sa);

/* Live connections of the address (0 for one that is not countable). */
unsigned ymk__clients_count(const struct ymk__clients *t, const struct sockaddr *sa);

/* One more connection of the address (nothing for one that is not countable). 0 or YMK_ENOMEM. */
int ymk__clients_add(struct ymk__clients *t, const struct sockaddr *sa);

/* One connection of the address fewer; an address that reaches 0 leaves the table. */
void ymk__clients_remove(struct ymk__clients *t, const struct sockaddr *sa);

void ymk__clients_free(struct ymk__clients *t);

#endif
