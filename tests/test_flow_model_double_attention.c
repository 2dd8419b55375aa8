/* FlowModel parity, default preset with a DoublePair trunk (case
 * flow_model_double_attention): feature nets with every embedding and contact
 * conditioning -> trunk "double" (2 blocks, FiLM) with post add/LayerNorms ->
 * IPA trunk (2 blocks, 7 torsions) -> B-factor, pLDDT, PAE/pTM/ipTM heads ->
 * pair-bias sequence trunk (1 layer, pre add) -> aa_pred; no ESM, no recycling. */
#include "flow_model_common.h"

int main(void) { return fm_run("flow_model_double_attention", NULL); }
