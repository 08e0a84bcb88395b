/*-------------------------------------------------------------------------
 * pkt_hub.h
 *		A hub: the rows of many sensors, by logical replication (pkt_hub.c).
 *-------------------------------------------------------------------------
 */
#ifndef PKT_HUB_H
#define PKT_HUB_H

#include "fmgr.h"

extern Datum pkt_hub_trigger(FunctionCallInfo fcinfo);
extern int	pkt_hub_start(void);
extern void pkt_hubs_register(void);

#endif							/* PKT_HUB_H */
