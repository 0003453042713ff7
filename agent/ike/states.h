/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exchange states and the transition table: for a state and the message
 * expected in it, the handler to run and the state reached when it
 * succeeds (libreswan's microcode idea). Names say what already
 * happened, the way libreswan and Cisco show them.
 */
#ifndef ESPTUND_IKE_STATES_H
#define ESPTUND_IKE_STATES_H

#include <stdbool.h>

#include "isakmp/isakmp.h"

enum ike_state {
	ST_NONE = 0,
	MM_WAIT_MSG2,		/* initiator sent MM1 */
	MM_WAIT_MSG3,		/* responder sent MM2 */
	MM_WAIT_MSG4,		/* initiator sent MM3 */
	MM_WAIT_MSG5,		/* responder sent MM4 */
	MM_WAIT_MSG6,		/* initiator sent MM5 */
	MM_ACTIVE,		/* phase 1 established (MM or AM) */
	QM_NONE,		/* a new Quick Mode as responder */
	QM_WAIT_MSG2,		/* initiator sent QM1 */
	QM_WAIT_MSG3,		/* responder sent QM2 */
	QM_ACTIVE,		/* IPsec SAs installed */
	ST_FAILED,
	AM_WAIT_MSG2,		/* initiator sent AM1 */
	AM_WAIT_MSG3,		/* responder sent AM2 */
	ST_DELETED,
	ST_MAX,
};

struct ike_dispatch;

struct ike_transition {
	enum ike_state from;
	enum isakmp_msg_kind msg;
	int (*handler)(struct ike_dispatch *d);
	enum ike_state to;
};

const char *ike_state_name(enum ike_state s);
/* Phase 1 state for status: an established Aggressive Mode SA is AM_ACTIVE. */
const char *ike_p1_state_name(enum ike_state s, bool aggressive);
/* The transition for a message of exchange type exch in state s, or NULL. */
const struct ike_transition *ike_transition_for(enum ike_state s,
						uint8_t exch);

#endif
