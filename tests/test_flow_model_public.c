/* FlowModel parity, public MultiFlow preset (case flow_model_public): feature
 * nets -> IPA trunk (2 blocks) -> aa_pred head; no torsions, no confidence
 * heads, no recycling. */
#include "flow_model_common.h"

int main(void) { return fm_run("flow_model_public", NULL); }
