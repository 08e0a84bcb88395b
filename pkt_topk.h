/*-------------------------------------------------------------------------
 * pkt_topk.h
 *		Top talkers in bounded memory: exact counts up to a capacity,
 *		then the Space-Saving algorithm with a known error bound.
 *
 * Pure code: the caller hands in one block of memory (pkt_topk_size()),
 * so the server allocates it with palloc and the tests with malloc.
 *-------------------------------------------------------------------------
 */
#ifndef PKT_TOPK_H
#define PKT_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PKT_TOPK_KEYLEN 17		/* IP version byte + 16 address bytes */

typedef struct PktTopKItem
{
	uint8_t		key[PKT_TOPK_KEYLEN];
	uint64_t	packets;		/* may overcount by at most 'error' */
	uint64_t	bytes;			/* exact while error is 0, else a lower bound:
								 * those of the packets counted since the key
								 * entered the table */
	uint64_t	error;			/* 0 while counts are exact */
} PktTopKItem;

typedef struct PktTopK PktTopK;

/* splitmix64's finalizer: the mix of the seeded hashes of addresses */
static inline uint64_t
pkt_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* The key of an address: its IP version, then its 4 or 16 bytes, then zeros. */
static inline void
pkt_topk_key(uint8_t *key, int ip_version, const uint8_t *addr)
{
	memset(key, 0, PKT_TOPK_KEYLEN);
	key[0] = (uint8_t) ip_version;
	memcpy(key + 1, addr, ip_version == 4 ? 4 : 16);
}

extern size_t pkt_topk_size(uint32_t capacity);
extern PktTopK *pkt_topk_init(void *mem, uint32_t capacity, uint64_t seed);
extern void pkt_topk_add(PktTopK *tk, const uint8_t *key, uint64_t bytes);
extern void pkt_topk_add_n(PktTopK *tk, const uint8_t *key, uint64_t packets,
						   uint64_t bytes);
/* the readers first merge what is staged, so they modify the counter */
extern int	pkt_topk_top(PktTopK *tk, PktTopKItem *out, int n);
extern bool pkt_topk_is_approximate(PktTopK *tk);
extern uint64_t pkt_topk_error_bound(PktTopK *tk);
extern uint32_t pkt_topk_count(PktTopK *tk);
extern void pkt_topk_get(const PktTopK *tk, uint32_t i, PktTopKItem *item);

#endif							/* PKT_TOPK_H */
