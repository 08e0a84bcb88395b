/*-------------------------------------------------------------------------
 * pkt_inet.h
 *		An inet Datum from the address bytes the decoder gives.
 *-------------------------------------------------------------------------
 */
#ifndef PKT_INET_H
#define PKT_INET_H

#include <sys/socket.h>

#include "utils/inet.h"

/*
 * Room for an inet: inet itself is 22 bytes with no alignment, and its
 * 4-byte length word must be aligned (also in arrays of them).
 */
typedef union InetSlot
{
	inet		ip;
	int32		align;
} InetSlot;

/*
 * Fill *ip, whatever it held, with the host address of the given IP
 * version whose bytes are at addr.
 */
static inline void
pkt_set_inet(inet *ip, int ip_version, const uint8 *addr)
{
	int			alen = ip_version == 4 ? 4 : 16;

	/* a 4-byte header first: ip_family() and the rest look past the header */
	SET_VARSIZE(ip, VARHDRSZ);
	ip_family(ip) = ip_version == 4 ? PGSQL_AF_INET : PGSQL_AF_INET6;
	ip_bits(ip) = alen * 8;
	memcpy(ip_addr(ip), addr, alen);
	SET_INET_VARSIZE(ip);
}

#endif							/* PKT_INET_H */
