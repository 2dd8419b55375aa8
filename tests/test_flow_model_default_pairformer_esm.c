/* FlowModel parity, default preset (case flow_model_default_pairformer_esm):
 * frozen ESM-2 (t6 shape, weights of case esm) + ESM combiner (single only)
 * -> Pairformer trunk (2 layers, post add/LayerNorms) -> IPA trunk (2 blocks,
 * 7 torsions), 1 recycle -> B-factor, pLDDT, PAE/pTM/ipTM -> 1-layer
 * Pairformer sequence trunk (pre add) -> aa_pred; contact conditioning. */
#include "flow_model_common.h"

int main(void) { return fm_run("flow_model_default_pairformer_esm", "esm"); }
