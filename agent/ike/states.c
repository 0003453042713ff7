// SPDX-License-Identifier: GPL-2.0
/* The IKEv1 transition table (Main Mode, Aggressive Mode, Quick Mode). */
#include <stddef.h>

#include "ike/ikev1.h"
#include "ike/states.h"

static const char *const names[ST_MAX] = {
	[ST_NONE] = "NONE",
	[MM_WAIT_MSG2] = "MM_WAIT_MSG2",
	[MM_WAIT_MSG3] = "MM_WAIT_MSG3",
	[MM_WAIT_MSG4] = "MM_WAIT_MSG4",
	[MM_WAIT_MSG5] = "MM_WAIT_MSG5",
	[MM_WAIT_MSG6] = "MM_WAIT_MSG6",
	[MM_ACTIVE] = "MM_ACTIVE",
	[QM_NONE] = "QM_NONE",
	[QM_WAIT_MSG2] = "QM_WAIT_MSG2",
	[QM_WAIT_MSG3] = "QM_WAIT_MSG3",
	[QM_ACTIVE] = "QM_ACTIVE",
	[ST_FAILED] = "FAILED",
	[ST_DELETED] = "DELETED",
	[AM_WAIT_MSG2] = "AM_WAIT_MSG2",
	[AM_WAIT_MSG3] = "AM_WAIT_MSG3",
};

/*
 * One message expected per state and exchange type: IKEv1 exchanges are
 * lock-step, and a new responder SA (ST_NONE) starts MM or AM.
 */
static const struct ike_transition table[] = {
	{ ST_NONE,	MSG_MM1, mm_inI1_outR1, MM_WAIT_MSG3 },
	{ MM_WAIT_MSG2,	MSG_MM2, mm_inR1_outI2, MM_WAIT_MSG4 },
	{ MM_WAIT_MSG3,	MSG_MM3, mm_inI2_outR2, MM_WAIT_MSG5 },
	{ MM_WAIT_MSG4,	MSG_MM4, mm_inR2_outI3, MM_WAIT_MSG6 },
	{ MM_WAIT_MSG5,	MSG_MM5, mm_inI3_outR3, MM_ACTIVE },
	{ MM_WAIT_MSG6,	MSG_MM6, mm_inR3,	MM_ACTIVE },
	{ ST_NONE,	MSG_AM1, am_inI1_outR1, AM_WAIT_MSG3 },
	{ AM_WAIT_MSG2,	MSG_AM2, am_inR1_outI2, MM_ACTIVE },
	{ AM_WAIT_MSG3,	MSG_AM3, am_inI2,	MM_ACTIVE },
	{ QM_NONE,	MSG_QM1, qm_inI1_outR1, QM_WAIT_MSG3 },
	{ QM_WAIT_MSG2,	MSG_QM2, qm_inR1_outI2, QM_ACTIVE },
	{ QM_WAIT_MSG3,	MSG_QM3, qm_inI2,	QM_ACTIVE },
};

const char *ike_state_name(enum ike_state s)
{
	return s < ST_MAX && names[s] ? names[s] : "?";
}

const char *ike_p1_state_name(enum ike_state s, bool aggressive)
{
	return aggressive && s == MM_ACTIVE ? "AM_ACTIVE" : ike_state_name(s);
}

const struct ike_transition *ike_transition_for(enum ike_state s,
						uint8_t exch)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].from == s &&
		    isakmp_msg_rule(table[i].msg)->exch == exch)
			return &table[i];
	return NULL;
}
