/*-------------------------------------------------------------------------
 * pkt_spooler.h
 *		The spool of a live capture: a second process drains the kernel
 *		buffer into files, the capture worker makes rows from them
 *		(pkt_spooler.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_SPOOLER_H
#define PKT_SPOOLER_H

#include <pcap/pcap.h>

#include "pkt_pcap.h"
#include "pkt_shmem.h"

/* The capture worker's side of its spool. */
typedef struct PktSpoolReader
{
	PktSlotRef	ref;
	char		dir[MAXPGPATH];
	pcap_t	   *seg;			/* the segment being read, or NULL */
	struct timeval last_ts;		/* of the newest frame read */
	PktSpooler	spooler;		/* as last read from the slot */
	PktSpoolReading reading;	/* what we have read, as published */
	struct BackgroundWorkerHandle *handle;
} PktSpoolReader;

extern bool pkt_spooler_open(PktSpoolReader *r, PktSlotRef ref, const char *ifname,
						   PktOpenError *err, char *msg, size_t msglen);
extern int	pkt_spooler_dispatch(PktSpoolReader *r, int cnt, pcap_handler cb,
							   u_char *user, char *msg, size_t msglen);
extern void pkt_spooler_refresh(PktSpoolReader *r);
extern bool pkt_spooler_backlog(const PktSpoolReader *r);
extern bool pkt_spooler_done(const PktSpoolReader *r);
extern void pkt_spooler_stop(PktSpoolReader *r);
extern void pkt_spooler_close(PktSpoolReader *r);

#endif							/* PKT_SPOOLER_H */
