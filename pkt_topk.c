/*-------------------------------------------------------------------------
 * pkt_topk.c
 *		Bounded top-talker counter (exact, then Space-Saving).
 *
 * While fewer than 'capacity' distinct keys have been seen, every key has
 * its own exact counter.  When a new key arrives and the table is full,
 * the counter switches for good to Space-Saving (Metwally, Agrawal and El
 * Abbadi, "Efficient Computation of Frequent and Top-k Elements in Data
 * Streams", ICDT 2005): the key with the smallest count is replaced by
 * the newcomer, which inherits that count as its possible overcount
 * ('error').  Then, for N packets counted:
 *	- every stored count overestimates the true count by at most its error;
 *	- a key's bytes are those of the packets counted since it entered the
 *	  table: exact while its error is 0, else a lower bound (before it
 *	  entered, it had at most 'error' packets);
 *	- the smallest stored count, and so every error, is at most N/capacity;
 *	- any key with more than N/capacity packets is in the table.
 * A key that entered before the switch and was never evicted keeps an
 * exact count (error 0), which is why heavy hitters of skewed traffic
 * come out exact.
 *
 * Layout, all inside one caller-provided block: an array of entries, an
 * open-addressing hash index (linear probing, backward-shift deletion)
 * keyed by a seeded hash so hostile addresses cannot force collisions,
 * and, in Space-Saving mode, a binary min-heap of entries by count.
 *
 * In front of them, a small staging table sums the packets of the last
 * few thousand distinct keys; it is merged into the counter when it is
 * full and before anything is read.  Traffic repeats addresses, so the
 * counter, too large to stay in the CPU's caches, sees a fraction of the
 * updates.  A merge adds a key's staged packets at once: Space-Saving
 * with weighted updates, whose guarantees above are the same (N counts
 * packets, not updates).
 *-------------------------------------------------------------------------
 */
#include "pkt_topk.h"

#include <string.h>

#define EMPTY_SLOT UINT32_MAX

typedef struct TopKEntry
{
	uint8_t		key[PKT_TOPK_KEYLEN];
	uint32_t	hash;
	uint64_t	packets;
	uint64_t	bytes;
	uint64_t	error;
	uint32_t	heap_pos;
} TopKEntry;

/* the staging table: distinct keys held, and its index size */
#define STAGE_ENTRIES 4096
#define STAGE_SLOTS 8192

typedef struct StageEntry
{
	uint8_t		key[PKT_TOPK_KEYLEN];
	uint32_t	hash;
	uint64_t	packets;
	uint64_t	bytes;
} StageEntry;

struct PktTopK
{
	uint32_t	capacity;
	uint32_t	nentries;
	uint32_t	mask;			/* hash index size - 1 */
	bool		approximate;
	uint64_t	seed;
	TopKEntry  *entries;
	uint32_t   *index;			/* entry number or EMPTY_SLOT */
	uint32_t   *heap;			/* entry numbers, min-heap on packets */
	uint32_t	nstaged;
	StageEntry *stage;
	uint16_t   *stage_index;	/* stage entry number + 1, or 0 */
};

static uint32_t
index_size(uint32_t capacity)
{
	uint32_t	size = 16;

	/* keep the load factor at or below one half */
	while (size < capacity * 2 && size < (UINT32_C(1) << 31))
		size <<= 1;
	return size;
}

#define ALIGN8(x) (((x) + 7) & ~(size_t) 7)

size_t
pkt_topk_size(uint32_t capacity)
{
	if (capacity < 1)
		capacity = 1;
	return ALIGN8(sizeof(PktTopK)) +
		ALIGN8((size_t) capacity * sizeof(TopKEntry)) +
		ALIGN8((size_t) index_size(capacity) * sizeof(uint32_t)) +
		ALIGN8((size_t) capacity * sizeof(uint32_t)) +
		ALIGN8(STAGE_ENTRIES * sizeof(StageEntry)) +
		ALIGN8(STAGE_SLOTS * sizeof(uint16_t));
}

PktTopK *
pkt_topk_init(void *mem, uint32_t capacity, uint64_t seed)
{
	PktTopK    *tk = mem;
	char	   *p = mem;

	if (capacity < 1)
		capacity = 1;
	memset(tk, 0, sizeof(*tk));
	tk->capacity = capacity;
	tk->mask = index_size(capacity) - 1;
	tk->seed = seed;
	p += ALIGN8(sizeof(PktTopK));
	tk->entries = (TopKEntry *) p;
	p += ALIGN8((size_t) capacity * sizeof(TopKEntry));
	tk->index = (uint32_t *) p;
	p += ALIGN8((size_t) index_size(capacity) * sizeof(uint32_t));
	tk->heap = (uint32_t *) p;
	p += ALIGN8((size_t) capacity * sizeof(uint32_t));
	tk->stage = (StageEntry *) p;
	p += ALIGN8(STAGE_ENTRIES * sizeof(StageEntry));
	tk->stage_index = (uint16_t *) p;
	memset(tk->index, 0xFF, (size_t) (tk->mask + 1) * sizeof(uint32_t));
	memset(tk->stage_index, 0, STAGE_SLOTS * sizeof(uint16_t));
	return tk;
}

/* A seeded hash of the key bytes. */
static uint32_t
hash_key(const PktTopK *tk, const uint8_t *key)
{
	uint64_t	a;
	uint64_t	b;
	uint64_t	h;

	memcpy(&a, key + 1, 8);
	memcpy(&b, key + 9, 8);
	h = pkt_mix64(tk->seed ^ key[0]);
	h = pkt_mix64(h ^ a);
	h = pkt_mix64(h ^ b);
	return (uint32_t) h;
}

/* Index slot holding key (whose hash is h), or the empty slot where it would go. */
static uint32_t
find_slot(const PktTopK *tk, const uint8_t *key, uint32_t h)
{
	uint32_t	i = h & tk->mask;

	while (tk->index[i] != EMPTY_SLOT &&
		   (tk->entries[tk->index[i]].hash != h ||
			memcmp(tk->entries[tk->index[i]].key, key, PKT_TOPK_KEYLEN) != 0))
		i = (i + 1) & tk->mask;
	return i;
}

/* Remove the key at slot i, shifting back the probe chain behind it. */
static void
delete_slot(PktTopK *tk, uint32_t i)
{
	uint32_t	j = i;

	for (;;)
	{
		uint32_t	home;

		j = (j + 1) & tk->mask;
		if (tk->index[j] == EMPTY_SLOT)
			break;
		home = tk->entries[tk->index[j]].hash & tk->mask;
		/* move j back to i unless its home lies cyclically in (i, j] */
		if ((i < j) ? (home <= i || home > j) : (home <= i && home > j))
		{
			tk->index[i] = tk->index[j];
			i = j;
		}
	}
	tk->index[i] = EMPTY_SLOT;
}

static void
heap_swap(PktTopK *tk, uint32_t a, uint32_t b)
{
	uint32_t	ea = tk->heap[a];
	uint32_t	eb = tk->heap[b];

	tk->heap[a] = eb;
	tk->heap[b] = ea;
	tk->entries[eb].heap_pos = a;
	tk->entries[ea].heap_pos = b;
}

/* Counts only grow, so an entry only ever moves down the min-heap. */
static void
heap_sift_down(PktTopK *tk, uint32_t pos)
{
	uint32_t	n = tk->nentries;

	for (;;)
	{
		uint32_t	l = 2 * pos + 1;
		uint32_t	r = l + 1;
		uint32_t	m = pos;

		if (l < n && tk->entries[tk->heap[l]].packets < tk->entries[tk->heap[m]].packets)
			m = l;
		if (r < n && tk->entries[tk->heap[r]].packets < tk->entries[tk->heap[m]].packets)
			m = r;
		if (m == pos)
			return;
		heap_swap(tk, pos, m);
		pos = m;
	}
}

static void
heap_build(PktTopK *tk)
{
	for (uint32_t i = 0; i < tk->nentries; i++)
	{
		tk->heap[i] = i;
		tk->entries[i].heap_pos = i;
	}
	for (uint32_t i = tk->nentries / 2; i-- > 0;)
		heap_sift_down(tk, i);
}

/* Count 'packets' packets and 'bytes' bytes of key (hash h) in the counter. */
static void
counter_add(PktTopK *tk, const uint8_t *key, uint32_t h, uint64_t packets,
			uint64_t bytes)
{
	uint32_t	slot = find_slot(tk, key, h);
	uint32_t	e;
	TopKEntry  *entry;

	if (tk->index[slot] != EMPTY_SLOT)
	{
		e = tk->index[slot];
		tk->entries[e].packets += packets;
		tk->entries[e].bytes += bytes;
		if (tk->approximate)
			heap_sift_down(tk, tk->entries[e].heap_pos);
		return;
	}

	if (tk->nentries < tk->capacity)
	{
		e = tk->nentries++;
		entry = &tk->entries[e];
		memcpy(entry->key, key, PKT_TOPK_KEYLEN);
		entry->hash = h;
		entry->packets = packets;
		entry->bytes = bytes;
		entry->error = 0;
		tk->index[slot] = e;
		return;
	}

	/* table full: Space-Saving replaces the entry with the smallest count */
	if (!tk->approximate)
	{
		heap_build(tk);
		tk->approximate = true;
	}
	e = tk->heap[0];
	entry = &tk->entries[e];
	delete_slot(tk, find_slot(tk, entry->key, entry->hash));
	memcpy(entry->key, key, PKT_TOPK_KEYLEN);
	entry->hash = h;
	entry->error = entry->packets;
	entry->packets += packets;
	entry->bytes = bytes;		/* its own: the evicted key's are not its */
	tk->index[find_slot(tk, key, h)] = e;
	heap_sift_down(tk, 0);
}

/* Move the staged sums into the counter and empty the staging table. */
static void
merge_stage(PktTopK *tk)
{
	for (uint32_t i = 0; i < tk->nstaged; i++)
	{
		const StageEntry *se = &tk->stage[i];

		counter_add(tk, se->key, se->hash, se->packets, se->bytes);
	}
	if (tk->nstaged > 0)
		memset(tk->stage_index, 0, STAGE_SLOTS * sizeof(uint16_t));
	tk->nstaged = 0;
}

void
pkt_topk_add(PktTopK *tk, const uint8_t *key, uint64_t bytes)
{
	pkt_topk_add_n(tk, key, 1, bytes);
}

void
pkt_topk_add_n(PktTopK *tk, const uint8_t *key, uint64_t packets, uint64_t bytes)
{
	uint32_t	h = hash_key(tk, key);
	uint32_t	i = h & (STAGE_SLOTS - 1);
	uint16_t	e;
	StageEntry *se;

	while ((e = tk->stage_index[i]) != 0)
	{
		se = &tk->stage[e - 1];
		if (se->hash == h && memcmp(se->key, key, PKT_TOPK_KEYLEN) == 0)
		{
			se->packets += packets;
			se->bytes += bytes;
			return;
		}
		i = (i + 1) & (STAGE_SLOTS - 1);
	}
	if (tk->nstaged == STAGE_ENTRIES)
	{
		merge_stage(tk);
		i = h & (STAGE_SLOTS - 1);
	}
	se = &tk->stage[tk->nstaged++];
	memcpy(se->key, key, PKT_TOPK_KEYLEN);
	se->hash = h;
	se->packets = packets;
	se->bytes = bytes;
	tk->stage_index[i] = (uint16_t) tk->nstaged;
}

/* Order: most packets first; ties broken by key so output is stable. */
static bool
item_before(const TopKEntry *a, const TopKEntry *b)
{
	if (a->packets != b->packets)
		return a->packets > b->packets;
	return memcmp(a->key, b->key, PKT_TOPK_KEYLEN) < 0;
}

int
pkt_topk_top(PktTopK *tk, PktTopKItem *out, int n)
{
	const TopKEntry *best[64];
	int			nbest = 0;

	merge_stage(tk);
	if (n > 64)
		n = 64;
	if (n <= 0)
		return 0;
	for (uint32_t i = 0; i < tk->nentries; i++)
	{
		const TopKEntry *e = &tk->entries[i];
		int			pos;

		if (nbest == n && !item_before(e, best[n - 1]))
			continue;
		pos = (nbest < n) ? nbest++ : n - 1;
		while (pos > 0 && item_before(e, best[pos - 1]))
		{
			best[pos] = best[pos - 1];
			pos--;
		}
		best[pos] = e;
	}
	for (int i = 0; i < nbest; i++)
	{
		memcpy(out[i].key, best[i]->key, PKT_TOPK_KEYLEN);
		out[i].packets = best[i]->packets;
		out[i].bytes = best[i]->bytes;
		out[i].error = best[i]->error;
	}
	return nbest;
}

bool
pkt_topk_is_approximate(PktTopK *tk)
{
	merge_stage(tk);
	return tk->approximate;
}

/* Largest possible overcount of any stored key: the smallest count. */
uint64_t
pkt_topk_error_bound(PktTopK *tk)
{
	merge_stage(tk);
	if (!tk->approximate)
		return 0;
	return tk->entries[tk->heap[0]].packets;
}

uint32_t
pkt_topk_count(PktTopK *tk)
{
	merge_stage(tk);
	return tk->nentries;
}

/*
 * Entry i of the counter, for i < pkt_topk_count() (which merges what is
 * staged), in no particular order.
 */
void
pkt_topk_get(const PktTopK *tk, uint32_t i, PktTopKItem *item)
{
	const TopKEntry *e = &tk->entries[i];

	memcpy(item->key, e->key, PKT_TOPK_KEYLEN);
	item->packets = e->packets;
	item->bytes = e->bytes;
	item->error = e->error;
}
