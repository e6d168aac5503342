/* clients.c: live connections per client address (see clients.h). Linear probing with
 * backward-shift deletion, so the table never fills with tombstones however many clients come and
 * go; it grows at half load. The hash mixes the address with a per-table seed (taken from where
 * the first slots landed in memory, which ASLR varies), so that a client cannot aim collisions at
 * a slot layout it knows. */
#include "clients.h"

#include "alloc.h"
#include "ymawky.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

struct ymk__client_slot {
	unsigned char addr[16];
	unsigned count; /* 0: empty */
};

static int key_of(const struct sockaddr *sa, unsigned char key[16])
{
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	if (sa->sa_family == AF_INET) {
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	return -1;
}

static size_t hash(const struct ymk__clients *t, const unsigned char key[16])
{
	uint64_t a, b;
	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	uint64_t h = (a ^ t->seed) * 0x9E3779B97F4A7C15u;
	h = (h ^ (h >> 29) ^ b) * 0xBF58476D1CE4E5B9u;
	return (size_t)(h ^ (h >> 32));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const struct ymk__clients *t, const unsigned char key[16])
{
	size_t mask = t->cap - 1, i = hash(t, key) & mask;
	while (t->v[i].count && memcmp(t->v[i].addr, key, 16))
		i = (i + 1) & mask;
	return i;
}

int ymk__clients_countable(const struct sockaddr *sa)
{
	unsigned char key[16];
	return key_of(sa, key) == 0;
}

unsigned ymk__clients_count(const struct ymk__clients *t, const struct sockaddr *sa)
{
	unsigned char key[16];
	if (!t->cap || key_of(sa, key) < 0)
		return 0;
	return t->v[find(t, key)].count;
}

static int grow(struct ymk__clients *t)
{
	size_t cap = t->cap ? 2 * t->cap : 16;
	struct ymk__client_slot *v = ymk__calloc(cap, sizeof *v);
	if (!v)
		return YMK_ENOMEM;
	struct ymk__clients old = *t;
	if (!t->cap)
		t->seed = (uint64_t)(uintptr_t)v * 0xD6E8FEB86659FD93u;
	t->v = v;
	t->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.v[i].count)
			t->v[find(t, old.v[i].addr)] = old.v[i];
	ymk__free(old.v);
	return 0;
}

int ymk__clients_add(struct ymk__clients *t, const struct sockaddr *sa)
{
	unsigned char key[16];
	if (key_of(sa, key) < 0)
		return 0;
	if (2 * (t->n + 1) > t->cap && grow(t) < 0)
		return YMK_ENOMEM;
	size_t i = find(t, key);
	if (!t->v[i].count) {
		memcpy(t->v[i].addr, key, 16);
		t->n++;
	}
	t->v[i].count++;
	return 0;
}

void ymk__clients_remove(struct ymk__clients *t, const struct sockaddr *sa)
{
	unsigned char key[16];
	if (!t->cap || key_of(sa, key) < 0)
		return;
	size_t mask = t->cap - 1, i = find(t, key);
	if (!t->v[i].count || --t->v[i].count)
		return;
	t->n--;
	/* Backward shift: pull later members of the run into the hole when their home allows it. */
	for (size_t j = (i + 1) & mask; t->v[j].count; j = (j + 1) & mask) {
		size_t home = hash(t, t->v[j].addr) & mask;
		/* j's entry may move to i unless its home lies cyclically in (i, j]. */
		int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (stays)
			continue;
		t->v[i] = t->v[j];
		t->v[j].count = 0;
		i = j;
	}
}

void ymk__clients_free(struct ymk__clients *t)
{
	ymk__free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
